/**
 * presto-client, a second real client, through the whole chain with the shipped Envoy config:
 * it speaks the legacy X-Presto-* headers, which a coordinator reads only with
 * protocol.v1.alternate-header-name=Presto, and then refuses any request that also carries an
 * x-trino-* header (the router's x-trino-cluster must not reach it); it cancels with a DELETE
 * whose request line is in absolute form (`DELETE http://host:port/v1/statement/...`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'presto-client';
import { EDGES, startChain, type Chain } from './harness.js';

interface Run {
  readonly queryId: string;
  readonly rows: unknown[][];
  readonly error: string | undefined;
}

function run(chain: Chain, user: string, query: string, cancelAfterRows?: number): Promise<Run> {
  const url = new URL(chain.envoy.url);
  const client = new Client({ host: url.hostname, port: Number(url.port), user, checkInterval: 5, source: 'e2e-presto' });
  return new Promise((resolve) => {
    let queryId = '';
    const rows: unknown[][] = [];
    client.execute({
      query,
      state: (_error, id) => {
        queryId = id;
      },
      data: (_error, data) => {
        rows.push(...data);
      },
      cancel: () => cancelAfterRows !== undefined && rows.length >= cancelAfterRows,
      success: () => resolve({ queryId, rows, error: undefined }),
      error: (error) => resolve({ queryId, rows, error: error.message }),
    });
  });
}

describe.each(EDGES)('presto-client through Envoy\'s %s', (edge) => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ edge, prefixRouting: false, trino: { alternateHeaderName: 'Presto', rowsPerPage: 10 } });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('runs a query to the end on the cluster its rule names', async () => {
    const result = await run(chain, 'etl_presto', 'SELECT * FROM t /* rows=35 */');
    expect(result.error).toBeUndefined();
    expect(result.rows).toHaveLength(35);
    expect(new Set(result.rows.map((r) => r[1]))).toEqual(new Set(['trino-b']));
    expect(chain.trinoB.query(result.queryId)?.state).toBe('FINISHED');
    // None of the client's requests reached a coordinator with both header families (it would
    // have answered 400). The router's own owner probe speaks X-Trino-User alone, which is fine.
    const clientRequests = chain.trinoB.requestLog().filter((r) => Object.keys(r.headers).some((name) => name.startsWith('x-presto-')));
    expect(clientRequests.length).toBeGreaterThan(3);
    for (const request of clientRequests) {
      expect(Object.keys(request.headers).filter((name) => name.startsWith('x-trino-'))).toEqual([]);
    }
  });

  it('its absolute-form cancel reaches the cluster that runs the query', async () => {
    const result = await run(chain, 'etl_presto_cancel', 'SELECT * FROM t /* rows=100 duration=100 */', 10);
    expect(result.error).toBe('query fetch canceled by operation');
    expect(chain.trinoB.query(result.queryId)?.cancelled).toBe(true);
    expect(chain.trinoA.query(result.queryId)).toBeUndefined();
    // Routed as the follow-up it is: the coordinator got the origin form of the target.
    const cancels = chain.trinoB.requestLog().filter((r) => r.method === 'DELETE' && r.path.includes(result.queryId));
    expect(cancels.map((r) => r.path.startsWith('/v1/statement/'))).toEqual([true]);
  });
});
