import { describe, expect, it } from 'vitest';
import { decide, describeRejection, type BackendCondition } from '../../../src/routing/engine.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import type { RequestFacts } from '../../../src/routing/model.js';
import { backend, facts, sampleConfig } from './fixtures.js';

const healthy: BackendCondition = { health: 'healthy', load: 0, inSchedule: true };

function route(f: RequestFacts, conditions: Map<string, BackendCondition> = new Map()) {
  return decide(compileSnapshot(sampleConfig(), 1), f, conditions, createStrategyState(() => 0));
}

describe('rule selection', () => {
  const cases: { name: string; facts: Partial<RequestFacts>; rule: string | undefined; group: string }[] = [
    { name: 'no rule matches -> default group', facts: {}, rule: undefined, group: 'adhoc' },
    { name: 'client tag any-of', facts: { clientTags: ['x', 'batch'] }, rule: 'etl-tags', group: 'etl' },
    { name: 'exact source', facts: { source: 'airflow' }, rule: 'airflow', group: 'etl' },
    { name: 'source is case sensitive', facts: { source: 'Airflow' }, rule: undefined, group: 'adhoc' },
    { name: 'every condition must hold (port missing)', facts: { user: 'admin_bob' }, rule: undefined, group: 'adhoc' },
    { name: 'regex user and listener port', facts: { user: 'admin_bob', listenerPort: 8443 }, rule: 'admins', group: 'only-a' },
    { name: 'lower priority number wins', facts: { user: 'admin_x', listenerPort: 8443, source: 'airflow' }, rule: 'admins', group: 'only-a' },
    { name: 'session property key=value', facts: { sessionProperties: new Map([['query_priority', '1']]) }, rule: 'priority-session', group: 'only-a' },
    { name: 'session property other value', facts: { sessionProperties: new Map([['query_priority', '2']]) }, rule: undefined, group: 'adhoc' },
    { name: 'absent user never matches a regex', facts: { user: undefined, listenerPort: 8443 }, rule: undefined, group: 'adhoc' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = route(facts(c.facts));
      expect(decision.outcome).toBe('routed');
      if (decision.outcome !== 'routed') return;
      expect(decision.rule).toBe(c.rule);
      expect(decision.group).toBe(c.group);
    });
  }

  it('contains-all needs every tag', () => {
    const config = sampleConfig();
    const snapshot = compileSnapshot({
      ...config,
      rules: [{ name: 'both', priority: 1, group: 'only-a', match: { clientTags: { containsAll: ['x', 'y'] } } }],
    }, 1);
    const state = createStrategyState();
    expect(decide(snapshot, facts({ clientTags: ['x'] }), new Map(), state)).toMatchObject({ group: 'adhoc' });
    expect(decide(snapshot, facts({ clientTags: ['y', 'x'] }), new Map(), state)).toMatchObject({ group: 'only-a' });
  });

  it('ties in priority are broken by rule name, whatever the config order', () => {
    const config = sampleConfig();
    const rules = [
      { name: 'zeta', priority: 1, group: 'etl', match: { user: { exact: 'alice' } } },
      { name: 'alpha', priority: 1, group: 'only-a', match: { user: { anyOf: ['alice', 'bob'] } } },
    ];
    for (const order of [rules, [...rules].reverse()]) {
      const decision = decide(compileSnapshot({ ...config, rules: order }, 1), facts(), new Map(), createStrategyState());
      expect(decision).toMatchObject({ rule: 'alpha', group: 'only-a' });
    }
  });
});

describe('eligibility and fallback', () => {
  it('round robin alternates between healthy members', () => {
    const snapshot = compileSnapshot(sampleConfig(), 1);
    const state = createStrategyState();
    const picks = Array.from({ length: 4 }, () => decide(snapshot, facts(), new Map(), state));
    expect(picks.map((p) => (p.outcome === 'routed' ? p.backend : '-'))).toEqual(['a', 'b', 'a', 'b']);
  });

  it('skips unhealthy, draining, pending, disabled and out-of-schedule members', () => {
    for (const condition of [
      { ...healthy, health: 'unhealthy' as const },
      { ...healthy, health: 'draining' as const },
      { ...healthy, health: 'pending' as const },
      { ...healthy, inSchedule: false },
    ]) {
      const decision = route(facts(), new Map([['a', condition]]));
      expect(decision).toMatchObject({ outcome: 'routed', backend: 'b' });
    }
    const config = sampleConfig();
    const disabled = { ...config, backends: [backend('a', { enabled: false }), backend('b')] };
    const state = createStrategyState();
    for (let i = 0; i < 3; i++) {
      expect(decide(compileSnapshot(disabled, 1), facts(), new Map(), state)).toMatchObject({ backend: 'b' });
    }
  });

  it('a backend at its load ceiling takes no new queries', () => {
    const config = sampleConfig();
    const snapshot = compileSnapshot({ ...config, backends: [backend('a', { maxLoad: 10 }), backend('b')] }, 1);
    const decision = decide(snapshot, facts(), new Map([['a', { ...healthy, load: 10 }]]), createStrategyState());
    expect(decision).toMatchObject({ backend: 'b' });
  });

  it('falls back to the fallback group when nothing in the group is usable', () => {
    const decision = route(facts({ source: 'airflow' }), new Map([['b', { ...healthy, health: 'unhealthy' }]]));
    expect(decision).toMatchObject({ outcome: 'routed', backend: 'a', group: 'adhoc', rule: 'airflow', fellBackFrom: ['etl'] });
  });

  it('rejects with every group tried and each backend state, transient when health is the cause', () => {
    const down: BackendCondition = { ...healthy, health: 'unhealthy' };
    const decision = route(facts({ source: 'airflow' }), new Map<string, BackendCondition>([['a', down], ['b', { ...healthy, health: 'draining' } as BackendCondition]]));
    expect(decision.outcome).toBe('rejected');
    if (decision.outcome !== 'rejected') return;
    expect(decision.transient).toBe(true);
    expect(decision.attempts).toEqual([
      { group: 'etl', backends: [{ backend: 'b', reason: 'draining' }] },
      { group: 'adhoc', backends: [{ backend: 'a', reason: 'unhealthy' }, { backend: 'b', reason: 'draining' }] },
    ]);
    expect(describeRejection(decision)).toBe(
      'No Trino cluster can take this query now (group etl: b draining; group adhoc: a unhealthy, b draining)',
    );
  });

  it('a rejection caused only by configuration is not transient', () => {
    const config = sampleConfig();
    const snapshot = compileSnapshot({ ...config, backends: [backend('a', { enabled: false }), backend('b', { enabled: false })] }, 1);
    const decision = decide(snapshot, facts(), new Map(), createStrategyState());
    expect(decision).toMatchObject({ outcome: 'rejected', transient: false });
  });

  it('an operator drain keeps new queries off a backend whatever the monitor says', () => {
    const config = sampleConfig();
    const snapshot = compileSnapshot({ ...config, backends: [backend('a', { draining: true }), backend('b')] }, 1);
    const state = createStrategyState();
    for (let i = 0; i < 3; i++) expect(decide(snapshot, facts(), new Map([['a', healthy]]), state)).toMatchObject({ backend: 'b' });
    const both = compileSnapshot({ ...config, backends: [backend('a', { draining: true }), backend('b', { draining: true })] }, 1);
    const decision = decide(both, facts(), new Map(), state);
    expect(decision).toMatchObject({ outcome: 'rejected', transient: true });
    if (decision.outcome === 'rejected') {
      expect(describeRejection(decision)).toBe('No Trino cluster can take this query now (group adhoc: a draining, b draining)');
    }
  });

  it('schedules and load ceilings make a rejection transient too, and the message names each state', () => {
    const config = sampleConfig();
    const snapshot = compileSnapshot({ ...config, backends: [backend('a'), backend('b', { maxLoad: 5 })] }, 1);
    const decision = decide(snapshot, facts(), new Map<string, BackendCondition>([
      ['a', { ...healthy, inSchedule: false }],
      ['b', { ...healthy, load: 7, polledLoad: 5, inFlight: 2 }],
    ]), createStrategyState());
    expect(decision).toMatchObject({ outcome: 'rejected', transient: true });
    if (decision.outcome === 'rejected') {
      expect(describeRejection(decision)).toBe('No Trino cluster can take this query now (group adhoc: a outside schedule, b over load ceiling)');
    }
  });

  it('pending and not-yet-checked backends are skipped; a backend without a condition (no monitor) is taken as healthy', () => {
    const pending = route(facts(), new Map<string, BackendCondition>([['a', { ...healthy, health: 'pending' }], ['b', { ...healthy, health: 'pending' }]]));
    expect(pending).toMatchObject({ outcome: 'rejected', transient: true });
    const unknown = route(facts(), new Map<string, BackendCondition>([['a', { ...healthy, health: 'unknown' }]]));
    expect(unknown).toMatchObject({ outcome: 'routed', backend: 'b' });
    const neither = route(facts(), new Map<string, BackendCondition>([['a', { ...healthy, health: 'unknown' }], ['b', { ...healthy, health: 'pending' }]]));
    expect(neither).toMatchObject({ outcome: 'rejected', transient: true, attempts: [{ group: 'adhoc', backends: [{ backend: 'a', reason: 'not_checked_yet' }, { backend: 'b', reason: 'pending' }] }] });
    if (neither.outcome === 'rejected') {
      expect(describeRejection(neither)).toBe('No Trino cluster can take this query now (group adhoc: a not checked yet, b pending)');
    }
    expect(route(facts(), new Map())).toMatchObject({ outcome: 'routed', backend: 'a' });
  });

  it('queries sent since the last poll count toward the ceiling', () => {
    const config = sampleConfig();
    const snapshot = compileSnapshot({ ...config, backends: [backend('a', { maxLoad: 10 }), backend('b')] }, 1);
    const decision = decide(snapshot, facts(), new Map([['a', { ...healthy, load: 10, polledLoad: 8, inFlight: 2 }]]), createStrategyState());
    expect(decision).toMatchObject({ backend: 'b' });
  });

  it('fallback cycles terminate', () => {
    const config = sampleConfig();
    const snapshot = compileSnapshot({
      ...config,
      groups: [
        { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }], fallback: 'etl' },
        { name: 'etl', strategy: 'round_robin', members: [{ backend: 'b', weight: 1 }], fallback: 'adhoc' },
      ],
      rules: [],
    }, 1);
    const down = { ...healthy, health: 'unhealthy' as const };
    const decision = decide(snapshot, facts(), new Map([['a', down], ['b', down]]), createStrategyState());
    expect(decision).toMatchObject({ outcome: 'rejected' });
    if (decision.outcome === 'rejected') expect(decision.attempts.map((a) => a.group)).toEqual(['adhoc', 'etl']);
  });
});
