import { describe, expect, it } from 'vitest';
import { admit, isLimited, type RunningCounts } from '../../../src/routing/admission.js';
import type { BackendCondition } from '../../../src/routing/engine.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';

function config(overrides: { a?: number; b?: number; group?: number } = {}): RoutingConfig {
  return {
    backends: [
      { name: 'a', url: 'http://a:8080', enabled: true, prefixRouting: false, schedules: [], ...(overrides.a === undefined ? {} : { maxRunningQueries: overrides.a }) },
      { name: 'b', url: 'http://b:8080', enabled: true, prefixRouting: false, schedules: [], ...(overrides.b === undefined ? {} : { maxRunningQueries: overrides.b }) },
    ],
    groups: [
      { name: 'g', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }], ...(overrides.group === undefined ? {} : { maxRunningQueries: overrides.group }) },
      { name: 'free', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] },
    ],
    rules: [{ name: 'etl', priority: 1, group: 'g', match: {}, maxRunningPerUser: 2 }],
    defaultGroup: 'g',
  };
}

function counts(byBackend: Record<string, number>, byUser: Record<string, number> = {}): RunningCounts {
  return { backend: (name) => byBackend[name] ?? 0, user: (rule, user) => byUser[`${rule}/${user}`] ?? 0 };
}

const request = { group: 'g', rule: undefined, user: 'alice', userLimit: undefined };

describe('admission to a limited group', () => {
  it('takes only backends under their limit', () => {
    const snapshot = compileSnapshot(config({ a: 5, b: 5 }), 1);
    const decision = admit(snapshot, request, new Map(), counts({ a: 5, b: 4 }), createStrategyState(() => 0));
    expect(decision).toEqual({ admit: true, backend: 'b' });
  });

  it('queues when every backend is at its limit, naming the counts', () => {
    const snapshot = compileSnapshot(config({ a: 5, b: 5 }), 1);
    const decision = admit(snapshot, request, new Map(), counts({ a: 5, b: 7 }), createStrategyState());
    expect(decision).toMatchObject({ admit: false, reason: 'backends_full' });
    if (!decision.admit) expect(decision.detail).toContain('a 5/5, b 7/5');
  });

  it('queues when the group total is reached although a backend has room', () => {
    const snapshot = compileSnapshot(config({ a: 5, group: 6 }), 1);
    expect(admit(snapshot, request, new Map(), counts({ a: 2, b: 4 }), createStrategyState())).toMatchObject({ admit: false, reason: 'group_full' });
    expect(admit(snapshot, request, new Map(), counts({ a: 2, b: 3 }), createStrategyState())).toMatchObject({ admit: true });
  });

  it("holds a user at the rule's per-user limit, whatever the backends' room", () => {
    const snapshot = compileSnapshot(config({ a: 5 }), 1);
    const mine = { group: 'g', rule: 'etl', user: 'alice', userLimit: 2 };
    expect(admit(snapshot, mine, new Map(), counts({}, { 'etl/alice': 2 }), createStrategyState())).toMatchObject({ admit: false, reason: 'user_limit' });
    expect(admit(snapshot, { ...mine, user: 'bob' }, new Map(), counts({}, { 'etl/alice': 2 }), createStrategyState())).toMatchObject({ admit: true });
  });

  it('never admits to an unhealthy backend even with room', () => {
    const snapshot = compileSnapshot(config({ a: 5, b: 5 }), 1);
    const down: BackendCondition = { health: 'unhealthy', load: 0, inSchedule: true };
    const decision = admit(snapshot, request, new Map([['b', down]]), counts({ a: 5 }), createStrategyState());
    expect(decision).toMatchObject({ admit: false, reason: 'backends_full' });
    expect(admit(snapshot, request, new Map([['b', down]]), counts({ a: 1 }), createStrategyState())).toEqual({ admit: true, backend: 'a' });
  });

  it('knows which groups and rules queue at all', () => {
    const snapshot = compileSnapshot(config({ a: 5 }), 1);
    expect(isLimited(snapshot, 'g', undefined)).toBe(true);
    expect(isLimited(snapshot, 'free', undefined)).toBe(true);
    const unlimited = compileSnapshot(config(), 1);
    expect(isLimited(unlimited, 'free', undefined)).toBe(false);
    expect(isLimited(unlimited, 'g', unlimited.config.rules[0])).toBe(true);
  });
});
