/**
 * Two router processes with separate stores behind one Envoy, which alternates ext_proc
 * streams between them: consecutive requests of a query meet different replicas, neither of
 * which shares memory or disk with the other. Queries still complete on the cluster that
 * runs them, through signed prefixes or, without prefix support, coordinator ids and probes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { collect } from '../support/statement-protocol.js';
import { startProcessChain, type ProcessChain } from '../support/process-chain.js';
import { CURRENT_TRINO_VERSION, dispatchQuery } from './harness.js';

describe.each([
  { mode: 'prefix routing', prefixRouting: true },
  { mode: 'query-id routing', prefixRouting: false },
])('two router replicas with separate stores, $mode', ({ prefixRouting }) => {
  let chain: ProcessChain;
  beforeAll(async () => {
    chain = await startProcessChain({ replicas: 2, prefixRouting, trino: { rowsPerPage: 25, version: CURRENT_TRINO_VERSION } });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('every query completes on the cluster its rule names, whichever replica answers', async () => {
    const users = ['alice', 'etl_one', 'carol', 'etl_two', 'alice', 'etl_three'];
    const runs = await Promise.all(users.map((user) => collect(
      Trino.create({ server: chain.envoy.url, auth: new BasicAuth(user), source: 'e2e' }),
      'SELECT * FROM t /* rows=200 */',
    )));
    runs.forEach((run, i) => {
      expect(run.error).toBeUndefined();
      expect(run.rows.map((r) => r[0])).toEqual(Array.from({ length: 200 }, (_, n) => n));
      const expected = users[i]!.startsWith('etl_') ? 'trino-b' : 'trino-a';
      expect(new Set(run.rows.map((r) => r[1]))).toEqual(new Set([expected]));
    });
    // Both replicas really took part: streams alternate, and each query has several polls.
    expect(chain.envoy.stats().extProcStreams).toBeGreaterThanOrEqual(users.length * 8);
    for (const query of [...chain.trinoA.queries(), ...chain.trinoB.queries()]) expect(query.state).toBe('FINISHED');
  });

  it('a cancel reaches the cluster that runs the query, whichever replica handles it', async () => {
    const trino = Trino.create({ server: chain.envoy.url, auth: new BasicAuth('etl_cancel'), source: 'e2e' });
    // Dispatched first: Trino ignores a cancel by id of a query not polled yet.
    await dispatchQuery(chain, 'etl_cancel', 'SELECT * FROM t /* rows=10 duration=60000 */');
    const running = chain.trinoB.queries().find((q) => q.user === 'etl_cancel');
    expect(running).toBeDefined();
    await trino.cancel(running!.id);
    expect(chain.trinoB.query(running!.id)?.cancelled).toBe(true);
    expect(chain.trinoA.query(running!.id)).toBeUndefined();
  });
});
