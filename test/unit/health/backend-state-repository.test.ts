import { describe, expect, it } from 'vitest';
import type { BackendStateChange } from '../../../src/health/status.js';
import { tempStore } from '../store/temp-store.js';

function change(backend: string, at: number, to: BackendStateChange['to'] = 'healthy'): BackendStateChange {
  return { backend, from: 'unknown', to, at, reason: `change at ${at}` };
}

describe('backend state history in the store', () => {
  it('lists a backend\'s changes newest first, limited', () => {
    const repo = tempStore().backendStates;
    repo.append(change('a', 1), 100);
    repo.append(change('b', 2), 100);
    repo.append(change('a', 3, 'unhealthy'), 100);
    expect(repo.list('a', 10)).toEqual([change('a', 3, 'unhealthy'), change('a', 1)]);
    expect(repo.list('a', 1)).toEqual([change('a', 3, 'unhealthy')]);
    expect(repo.list('a', 0)).toEqual([]);
    expect(repo.list('nobody', 5)).toEqual([]);
  });

  it('keeps at most the cap per backend, the newest, without touching other backends', () => {
    const repo = tempStore().backendStates;
    repo.append(change('other', 0), 3);
    for (let i = 1; i <= 10; i++) repo.append(change('a', i), 3);
    expect(repo.list('a', 100).map((c) => c.at)).toEqual([10, 9, 8]);
    expect(repo.list('other', 100)).toHaveLength(1);
  });

  it('prunes changes older than the retention, in steps', () => {
    const repo = tempStore().backendStates;
    for (let i = 0; i < 12_000; i++) repo.append(change(`b${i % 3}`, i), 10_000);
    expect(repo.pruneOlderThan(11_000)).toBe(11_000);
    expect(repo.list('b0', 10_000).every((c) => c.at >= 11_000)).toBe(true);
    expect(repo.pruneOlderThan(0)).toBe(0);
  });

  it('the schema keeps the operator drain switch of a backend', () => {
    const store = tempStore();
    store.routing.replaceAll({
      backends: [{ name: 'a', url: 'http://a:8080', enabled: true, prefixRouting: false, schedules: [], draining: true }, { name: 'b', url: 'http://b:8080', enabled: true, prefixRouting: false, schedules: [] }],
      groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }] }],
      rules: [],
      defaultGroup: 'g',
    });
    expect(store.routing.getBackend('a')).toMatchObject({ draining: true });
    // Not draining is stored as absent, so a saved config deep-equals the loaded one.
    expect(store.routing.getBackend('b')).toEqual({ name: 'b', url: 'http://b:8080', enabled: true, prefixRouting: false, schedules: [] });
    store.routing.updateBackend({ ...store.routing.getBackend('a'), draining: false });
    expect(store.routing.getBackend('a').draining).toBeUndefined();
  });
});
