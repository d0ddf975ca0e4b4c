import { describe, expect, it } from 'vitest';
import { seedFromConfig } from '../../../src/store/index.js';
import { backend, sampleConfig } from '../routing/fixtures.js';
import { tempStore } from './temp-store.js';

describe('seedFromConfig', () => {
  it('if-empty seeds a new store once; later starts keep what the admin API changed', () => {
    const store = tempStore();
    expect(seedFromConfig(store, sampleConfig(), 'if-empty')).toStrictEqual({ seeded: true, revision: 1 });
    store.routing.createBackend(backend('c'));
    expect(seedFromConfig(store, sampleConfig(), 'if-empty')).toStrictEqual({ seeded: false, revision: 2 });
    expect(store.routing.listBackends().map((b) => b.name)).toEqual(['a', 'b', 'c']);
  });

  it('overwrite replaces the store on every start, but not when nothing differs', () => {
    const store = tempStore();
    expect(seedFromConfig(store, sampleConfig(), 'overwrite')).toStrictEqual({ seeded: true, revision: 1 });
    expect(seedFromConfig(store, sampleConfig(), 'overwrite')).toStrictEqual({ seeded: false, revision: 1 });
    store.routing.createBackend(backend('c'));
    expect(seedFromConfig(store, sampleConfig(), 'overwrite')).toStrictEqual({ seeded: true, revision: 3 });
    expect(store.routing.load()).toStrictEqual(sampleConfig());
  });

  it('an invalid config seeds nothing', () => {
    const store = tempStore();
    expect(() => seedFromConfig(store, { ...sampleConfig(), defaultGroup: 'nope' }, 'if-empty')).toThrow(/defaultGroup/);
    expect(store.routing.isEmpty()).toBe(true);
    expect(store.routing.revision()).toBe(0);
  });
});
