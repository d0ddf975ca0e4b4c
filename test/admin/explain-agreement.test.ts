/**
 * explainRequest (src/routing/explain.ts) against the RequestRouter it explains: for any
 * request and any backend conditions, the outcome, mechanism and reply are the router's,
 * a certain backend is the one the router then picks, and explaining never moves a
 * round-robin counter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackendCondition } from '../../src/routing/engine.js';
import { explainRequest, type Explanation } from '../../src/routing/explain.js';
import { routeNow } from '../support/route-fully.js';
import { createStrategyState } from '../../src/routing/strategies.js';
import type { RoutingConfig } from '../../src/routing/model.js';
import { RequestRouter, type RequestRouterDeps } from '../../src/routing/request-router.js';
import { compileSnapshot } from '../../src/routing/snapshot.js';
import { OwnershipIndex } from '../../src/stickiness/ownership.js';

const BACKENDS = ['a', 'b', 'c'];

const CONFIG: RoutingConfig = {
  backends: BACKENDS.map((name) => ({ name, url: `http://${name}:8080`, enabled: name !== 'c', prefixRouting: false, schedules: [], ...(name === 'b' ? { maxLoad: 5 } : {}) })),
  groups: [
    { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }, { backend: 'c', weight: 1 }] },
    { name: 'etl', strategy: 'least_load', members: [{ backend: 'b', weight: 1 }, { backend: 'a', weight: 2 }], fallback: 'adhoc' },
    { name: 'weighted', strategy: 'weighted', members: [{ backend: 'a', weight: 3 }, { backend: 'b', weight: 0 }, { backend: 'c', weight: 1 }], fallback: 'etl' },
    { name: 'lottery', strategy: 'random', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }] },
  ],
  rules: [
    { name: 'etl', priority: 10, group: 'etl', match: { clientTags: { containsAny: ['etl'] } } },
    { name: 'bi', priority: 20, group: 'weighted', match: { source: { anyOf: ['tableau', 'superset'] } } },
    { name: 'vip', priority: 30, group: 'lottery', match: { user: { regex: '^vip_' }, listenerPort: [8443] } },
  ],
  defaultGroup: 'adhoc',
};

const condition: fc.Arbitrary<BackendCondition> = fc.record({
  health: fc.constantFrom('healthy', 'healthy', 'unhealthy', 'pending', 'draining', 'unknown'),
  load: fc.integer({ min: 0, max: 8 }),
  inSchedule: fc.boolean(),
});

const request = fc.record({
  user: fc.constantFrom('alice', 'vip_1', 'etl_x'),
  source: fc.option(fc.constantFrom('tableau', 'airflow'), { nil: undefined }),
  tags: fc.option(fc.constantFrom('etl', 'x,etl', 'x'), { nil: undefined }),
  port: fc.option(fc.constantFrom(8080, 8443), { nil: undefined }),
  path: fc.constantFrom('/v1/statement', '/v1/statement', '/v1/info', '/v1/query/20261122_120000_00001_abcde', '/v1/query/20261122_120000_00002_zzzzz'),
});

describe('explain agrees with the router', () => {
  it('for any request and any backend conditions', () => {
    fc.assert(fc.property(fc.tuple(condition, condition, condition), fc.array(request, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 5 }), (conds, requests, warmup) => {
      const snapshot = compileSnapshot(CONFIG, 1);
      const conditions = new Map(BACKENDS.map((name, i) => [name, conds[i] as BackendCondition]));
      const ownership = new OwnershipIndex({ maxQueries: 100, retentionMs: 3_600_000, transactionRetentionMs: 3_600_000 });
      ownership.learnQuery('20261122_120000_00001_abcde', 'c', 'response', 0);
      const strategy = createStrategyState(() => 0.42);
      for (let i = 0; i < warmup; i++) strategy.nextTick('adhoc');
      const deps: RequestRouterDeps = {
        snapshot: () => snapshot, conditions: () => conditions, strategy, ownership, keyring: undefined, probe: undefined,
        headerOptions: {}, unavailable: 'failed-query', now: () => 0,
      };
      const router = new RequestRouter(deps);
      for (const r of requests) {
        const headers: [string, string][] = [[':method', r.path === '/v1/statement' ? 'POST' : 'GET'], [':path', r.path], ['x-trino-user', r.user]];
        if (r.source !== undefined) headers.push(['x-trino-source', r.source]);
        if (r.tags !== undefined) headers.push(['x-trino-client-tags', r.tags]);
        const incoming = { headers, listenerPort: r.port };
        const tick = strategy.peekTick('adhoc');
        const explained = explainNow(deps, incoming);
        expect(strategy.peekTick('adhoc')).toBe(tick);
        const routed = routeNow(router, incoming);
        const instruction = routed.instruction;
        if (instruction.kind === 'forward') {
          expect(explained.outcome).toBe('forward');
          expect(explained.mechanism).toBe(instruction.mechanism);
          expect(explained.candidates).toContain(instruction.backend);
          if (explained.backendCertain) expect(instruction.backend).toBe(explained.backend);
        } else {
          expect(explained.outcome).toBe('reply');
          expect(explained.reply?.reason).toBe(instruction.reason);
          expect(explained.reply?.status).toBe(instruction.status);
        }
      }
    }), { numRuns: 300 });
  });

  it('a certain pick is only claimed when every roll of the dice gives it', () => {
    const snapshot = compileSnapshot(CONFIG, 1);
    const healthy = new Map<string, BackendCondition>();
    const deps = (random: number): RequestRouterDeps => ({
      snapshot: () => snapshot, conditions: () => healthy, strategy: createStrategyState(() => random),
      ownership: new OwnershipIndex({ maxQueries: 10, retentionMs: 1, transactionRetentionMs: 1 }), keyring: undefined, probe: undefined,
      headerOptions: {}, unavailable: 'failed-query', now: () => 0,
    });
    const vip = { headers: [[':method', 'POST'], [':path', '/v1/statement'], ['x-trino-user', 'vip_1']] as [string, string][], listenerPort: 8443 };
    const lottery = explainNow(deps(0.9), vip);
    expect(lottery).toMatchObject({ group: 'lottery', backendCertain: false, candidates: ['a', 'b'] });
    const bi = { headers: [[':method', 'POST'], [':path', '/v1/statement'], ['x-trino-user', 'x'], ['x-trino-source', 'tableau']] as [string, string][], listenerPort: undefined };
    // weighted: b has weight 0 (ineligible), c is disabled: only a remains.
    expect(explainNow(deps(0.9), bi)).toMatchObject({ group: 'weighted', backend: 'a', backendCertain: true, candidates: ['a'] });
  });
});

/** Explain of a request without SQL: answered synchronously. */
function explainNow(...args: Parameters<typeof explainRequest>): Explanation {
  const explained = explainRequest(...args);
  if (explained instanceof Promise) throw new Error('no SQL given: explain must be synchronous');
  return explained;
}
