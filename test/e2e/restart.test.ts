/**
 * A router killed (SIGKILL) and restarted in the middle of a query: the query completes with
 * every row on the cluster that ran it. With prefix routing nothing needs remembering; with
 * query-id routing the restarted router must restore ownership from its SQLite store.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BasicAuth, Trino, type QueryResult } from 'trino-client';
import { eventually } from '../support/statement-protocol.js';
import { startProcessChain, type ProcessChain } from '../support/process-chain.js';

function persistedOwner(storePath: string, queryId: string): string | undefined {
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT backend FROM query_owners WHERE query_id = ?').get(queryId) as { backend: string } | undefined;
    return row?.backend;
  } finally {
    db.close();
  }
}

describe.each([
  { mode: 'prefix routing', prefixRouting: true },
  { mode: 'query-id routing', prefixRouting: false },
])('router restart mid-query with $mode', ({ prefixRouting }) => {
  let chain: ProcessChain | undefined;
  afterEach(async () => {
    await chain?.close();
    chain = undefined;
  });

  it('the query completes with every row after the router is killed and restarted', async () => {
    chain = await startProcessChain({ replicas: 1, prefixRouting, trino: { rowsPerPage: 10 } });
    const trino = Trino.create({ server: chain.envoy.url, auth: new BasicAuth('etl_restart'), source: 'e2e' });
    const iterator = await trino.query('SELECT * FROM t /* rows=300 */');
    const results: QueryResult[] = [];
    for (let i = 0; i < 5; i++) {
      const next = await iterator.next();
      expect(next.done).toBe(false);
      results.push(next.value);
    }
    const queryId = results[0]!.id;
    expect(chain.trinoB.query(queryId)?.state).not.toBe('FINISHED');
    // Crash only once the ownership is on disk: the journal writes behind, in batches.
    if (!prefixRouting) await eventually(() => persistedOwner(chain!.replicas[0]!.storePath, queryId) === 'trino-b');

    await chain.crashAndRestart(0);
    const restored = chain.replicas[0]!.process.logs.find((l) => l.msg === 'query ownership restored from the store');
    // Query-id routing needs the restored entry; prefix routing needs nothing (the URL says it all).
    if (!prefixRouting) expect(restored?.queries).toBe(1);

    for (let next = await iterator.next(); !next.done; next = await iterator.next()) results.push(next.value);
    expect(results.some((r) => r.error !== undefined)).toBe(false);
    const rows = results.flatMap((r) => (r.data ?? []) as unknown[][]);
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['trino-b']));
    expect(chain.trinoB.query(queryId)?.state).toBe('FINISHED');
    expect(chain.trinoA.query(queryId)).toBeUndefined();
  });
});
