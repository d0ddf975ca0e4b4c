/**
 * The official JavaScript client through Envoy (stand-in) and the router to two Trino
 * clusters (stand-ins), written once and run for each edge (ext_proc, ext_authz), with and
 * without prefix routing on the backends: the rules choose the cluster, every row comes back,
 * every follow-up and the cancel reach the cluster that runs the query, a spoofed
 * x-trino-cluster changes nothing, and an unroutable query gives the client a readable Trino
 * error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino, type QueryResult } from 'trino-client';
import { dispatchQuery, startChain, type Chain, type Edge } from '../harness.js';

async function collect(trino: Trino, sql: string): Promise<{ rows: unknown[][]; results: QueryResult[] }> {
  const iterator = await trino.query(sql);
  const rows: unknown[][] = [];
  const results: QueryResult[] = [];
  for await (const result of iterator) {
    results.push(result);
    if (result.error) throw new Error(`query failed: ${result.error.message}`);
    rows.push(...((result.data ?? []) as unknown[][]));
  }
  return { rows, results };
}

function client(chain: Chain, user: string, extra: { clientTags?: string; source?: string } = {}): Trino {
  const extraHeaders: Record<string, string> = {};
  if (extra.clientTags !== undefined) extraHeaders['X-Trino-Client-Tags'] = extra.clientTags;
  return Trino.create({
    server: chain.envoy.url,
    auth: new BasicAuth(user),
    source: extra.source ?? 'e2e',
    extraHeaders,
  });
}

function clustersOf(rows: unknown[][]): string[] {
  return [...new Set(rows.map((r) => String(r[1])))];
}

export function routingSuite(edge: Edge): void {
  describe.each([
    { mode: 'prefix routing', prefixRouting: true },
    { mode: 'query-id routing', prefixRouting: false },
  ])(`end to end through Envoy's ${edge} with $mode`, ({ prefixRouting }) => {
    let chain: Chain;
    beforeAll(async () => {
      chain = await startChain({ edge, prefixRouting, trino: { rowsPerPage: 100 } });
    });
    afterAll(async () => {
      await chain?.close();
    });

    it('sends each user to the cluster its rule names and returns every row', async () => {
      const analyst = await collect(client(chain, 'alice'), 'SELECT * FROM t /* rows=1000 */');
      expect(analyst.rows).toHaveLength(1000);
      expect(analyst.rows.map((r) => r[0])).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      expect(clustersOf(analyst.rows)).toEqual(['trino-a']);

      const etl = await collect(client(chain, 'etl_loader'), 'SELECT * FROM t /* rows=750 */');
      expect(etl.rows).toHaveLength(750);
      expect(clustersOf(etl.rows)).toEqual(['trino-b']);
    });

    it('routes by client tags', async () => {
      const tagged = await collect(client(chain, 'alice', { clientTags: 'nightly, etl' }), 'SELECT 1 /* rows=3 */');
      expect(clustersOf(tagged.rows)).toEqual(['trino-b']);
    });

    it('every follow-up of a query reaches the cluster that owns it', async () => {
      const before = chain.trinoB.queries().length;
      const { results } = await collect(client(chain, 'etl_paged'), 'SELECT * FROM t /* rows=450 duration=300 */');
      expect(results.length).toBeGreaterThan(4);
      const query = chain.trinoB.queries().slice(before).find((q) => q.user === 'etl_paged');
      expect(query?.state).toBe('FINISHED');
      // Every poll reached trino-b: trino-a never heard of this query.
      expect(chain.trinoA.query(query!.id)).toBeUndefined();
      // The submission plus one request per page the client read, all answered by trino-b.
      expect(query!.requests).toBeGreaterThanOrEqual(results.length);
    });

    it('a cancel reaches the cluster that runs the query', async () => {
      const trino = client(chain, 'etl_cancel');
      // Dispatched first: Trino ignores a cancel by id of a query not polled yet.
      const queryId = await dispatchQuery(chain, 'etl_cancel', 'SELECT * FROM t /* rows=10 duration=60000 */');
      expect(chain.trinoB.queries().find((q) => q.user === 'etl_cancel')?.id).toBe(queryId);
      expect(chain.trinoB.query(queryId!)?.state).not.toBe('FINISHED');
      await trino.cancel(queryId!);
      expect(chain.trinoB.query(queryId!)?.cancelled).toBe(true);
    });

    it('a spoofed x-trino-cluster header does not choose the cluster', async () => {
      const spoofing = Trino.create({
        server: chain.envoy.url,
        auth: new BasicAuth('alice'),
        extraHeaders: { 'x-trino-cluster': 'trino-b' },
      });
      const { rows } = await collect(spoofing, 'SELECT * FROM t /* rows=20 */');
      expect(clustersOf(rows)).toEqual(['trino-a']);
    });

    it(`every request was routed through ${edge}, and only through it`, () => {
      const stats = chain.envoy.stats();
      expect(stats.requests).toBeGreaterThan(0);
      if (edge === 'ext_proc') {
        expect(stats.extProcStreams).toBe(stats.requests);
        expect(stats.extAuthzChecks).toBe(0);
      } else {
        expect(stats.extAuthzChecks).toBe(stats.requests);
        expect(stats.extProcStreams).toBe(0);
      }
      expect(stats.extProcErrors + stats.extAuthzErrors).toBe(0);
    });
  });

  describe(`no healthy target through Envoy's ${edge}`, () => {
    let chain: Chain;
    beforeAll(async () => {
      chain = await startChain({ edge, backendFields: 'enabled: false' });
    });
    afterAll(async () => {
      await chain?.close();
    });

    it('gives the client a readable Trino error', async () => {
      const iterator = await client(chain, 'alice').query('SELECT 1');
      const result = await iterator.next();
      expect(result.value.error?.message).toMatch(/No Trino cluster can take this query now \(group analysts: trino-a disabled\)/);
      expect(result.value.stats?.state).toBe('FAILED');
      expect(chain.trinoA.queries()).toHaveLength(0);
      expect(chain.trinoB.queries()).toHaveLength(0);
    });
  });
}
