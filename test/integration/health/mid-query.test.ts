/**
 * End to end with the official client through Envoy (stand-in), the router with its health
 * monitor, and two Trino stand-ins: a cluster that turns unhealthy while a query runs on it
 * takes no new queries, yet that query keeps running there and returns every row.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BasicAuth, Trino, type QueryResult } from 'trino-client';
import { startChain, type Chain } from '../../e2e/harness.js';

/** Checks every 50 ms; one failed or good check is enough to switch (keeps the test short). */
const FAST_MONITOR = '{ intervalSeconds: 0.05, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 }';

function client(chain: Chain, user: string): Trino {
  return Trino.create({ server: chain.envoy.url, auth: new BasicAuth(user), source: 'e2e-health' });
}

function rowsOf(result: QueryResult): unknown[][] {
  if (result.error) throw new Error(`query failed: ${result.error.message}`);
  return (result.data ?? []) as unknown[][];
}

async function collect(trino: Trino, sql: string): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const result of await trino.query(sql)) rows.push(...rowsOf(result));
  return rows;
}

describe.each([
  { mode: 'prefix routing', prefixRouting: true },
  { mode: 'query-id routing', prefixRouting: false },
])('a backend that becomes unhealthy mid-query ($mode)', ({ prefixRouting }) => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ prefixRouting, monitor: FAST_MONITOR, trino: { rowsPerPage: 50 } });
  });
  afterAll(async () => {
    await chain?.close();
  });

  const stateOfA = () => chain.router.health?.status().find((s) => s.backend === 'trino-a')?.state;

  it('finishes the running query there with every row, while new queries are refused', async () => {
    expect(stateOfA()).toBe('healthy');
    // alice is an analyst: the analysts group holds trino-a only.
    const iterator = await client(chain, 'alice').query('SELECT * FROM t /* rows=1000 */');
    const rows: unknown[][] = [];
    while (rows.length === 0) {
      const page = await iterator.next();
      if (page.done === true) throw new Error('the query ended before its first rows');
      rows.push(...rowsOf(page.value));
    }

    chain.trinoA.setState('INACTIVE');
    await vi.waitFor(() => expect(stateOfA()).toBe('unhealthy'), { timeout: 10_000, interval: 20 });
    await expect(collect(client(chain, 'carol'), 'SELECT 1')).rejects.toThrow(
      'No Trino cluster can take this query now (group analysts: trino-a unhealthy)',
    );

    // The follow-ups of the running query still reach its owner.
    for (;;) {
      const page = await iterator.next();
      if (page.done === true) break;
      rows.push(...rowsOf(page.value));
    }
    expect(rows).toHaveLength(1000);
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['trino-a']));
    expect(stateOfA()).toBe('unhealthy');
    const query = chain.trinoA.queries().find((q) => q.user === 'alice');
    expect(query).toMatchObject({ state: 'FINISHED', cancelled: false });

    chain.trinoA.setState('ACTIVE');
    await vi.waitFor(() => expect(stateOfA()).toBe('healthy'), { timeout: 10_000, interval: 20 });
    const again = await collect(client(chain, 'carol'), 'SELECT * FROM t /* rows=7 */');
    expect(again).toHaveLength(7);
    expect(new Set(again.map((r) => r[1]))).toEqual(new Set(['trino-a']));
  });
});
