/**
 * Route churn must never sever an in-flight query: 20 long queries run while the rules and
 * groups change every 100 ms, their owning cluster is removed from its group, disabled for new
 * queries and even dropped from the configuration. Every query completes with every row on
 * the cluster it started on; new queries follow the rules in force when they are submitted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import type { Backend, RoutingConfig, RoutingGroup } from '../../src/routing/model.js';
import { collect } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';
import { replaceRouting } from '../support/store-changes.js';

function group(name: string, backends: readonly string[]): RoutingGroup {
  return { name, strategy: 'round_robin', members: backends.map((backend) => ({ backend, weight: 1 })) };
}

/** The routing the chain starts with, rewired so that `owner` takes no new query at all. */
function without(base: RoutingConfig, owner: string, how: 'disabled' | 'removed'): RoutingConfig {
  const other = owner === 'trino-a' ? 'trino-b' : 'trino-a';
  const backends: Backend[] = how === 'removed'
    ? base.backends.filter((b) => b.name !== owner)
    : base.backends.map((b) => (b.name === owner ? { ...b, enabled: false } : b));
  return {
    ...base,
    backends,
    groups: base.groups.map((g) => group(g.name, [other])),
  };
}

function client(chain: Chain, user: string): Trino {
  return Trino.create({ server: chain.envoy.url, auth: new BasicAuth(user), source: 'churn' });
}

describe.each([
  { mode: 'prefix routing', prefixRouting: true },
  { mode: 'query-id routing', prefixRouting: false },
])('route churn with $mode', ({ prefixRouting }) => {
  let chain: Chain;
  /** The routing the chain started with (from its config file). */
  let base: RoutingConfig;
  beforeAll(async () => {
    chain = await startChain({ prefixRouting, trino: { rowsPerPage: 10 } });
    base = (await chain.router.store.routing.read()).config;
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('20 in-flight queries complete with every row while routing changes every 100 ms', async () => {
    const repository = chain.router.store.routing;
    const variants: RoutingConfig[] = [
      without(base, 'trino-a', 'disabled'),
      without(base, 'trino-b', 'disabled'),
      without(base, 'trino-a', 'removed'),
      base,
      without(base, 'trino-b', 'removed'),
    ];
    // Half the queries start on each cluster (analysts -> trino-a, etl_ users -> trino-b).
    const users = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'alice' : `etl_${i}`));
    const queries = users.map((user) => collect(client(chain, user), 'SELECT * FROM t /* rows=150 duration=600 */'));

    let changes = 0;
    let done = false;
    const all = Promise.all(queries).finally(() => {
      done = true;
    });
    while (!done) {
      await replaceRouting(repository, variants[changes % variants.length]!);
      expect(await chain.router.refreshRouting()).toBe(true);
      changes++;
      await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    const runs = await all;

    expect(changes).toBeGreaterThanOrEqual(5);
    runs.forEach((run, i) => {
      expect(run.error).toBeUndefined();
      expect(run.rows.map((r) => r[0])).toEqual(Array.from({ length: 150 }, (_, n) => n));
      // The rows of a query come from one cluster: the one its rule chose at submission.
      expect(new Set(run.rows.map((r) => r[1])).size).toBe(1);
    });
    const finished = [...chain.trinoA.queries(), ...chain.trinoB.queries()].filter((q) => q.sql.includes('rows=150'));
    expect(finished).toHaveLength(20);
    for (const query of finished) expect(query.state).toBe('FINISHED');
  });

  it('new queries follow the rules in force when they are submitted', async () => {
    const repository = chain.router.store.routing;

    await replaceRouting(repository, without(base, 'trino-a', 'removed'));
    await chain.router.refreshRouting();
    const moved = await collect(client(chain, 'alice'), 'SELECT * FROM t /* rows=5 */');
    expect(moved.error).toBeUndefined();
    expect(new Set(moved.rows.map((r) => r[1]))).toEqual(new Set(['trino-b']));

    await replaceRouting(repository, without(base, 'trino-b', 'disabled'));
    await chain.router.refreshRouting();
    const back = await collect(client(chain, 'etl_nightly'), 'SELECT * FROM t /* rows=5 */');
    expect(back.error).toBeUndefined();
    expect(new Set(back.rows.map((r) => r[1]))).toEqual(new Set(['trino-a']));
  });
});
