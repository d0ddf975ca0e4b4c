/**
 * Coordinators with http-server.compression.enabled answer gzip to clients that accept it
 * (every real client does). The router reads a submission's first response body for the query
 * id: through ext_proc it must decode it. The coordinators here are Trino 476 without prefix
 * routing, so nothing else could name a query's owner before its first poll: a query completes
 * only if the router read the compressed body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { collect } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';

describe('gzip-compressed coordinator responses through ext_proc', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ edge: 'ext_proc', prefixRouting: false, trino: { version: '476', compression: true } });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('the router learns the query id from a gzip body, and every poll reaches the owner', async () => {
    const submitted = await fetch(`${chain.envoy.url}/v1/statement`, {
      method: 'POST', body: 'SELECT * FROM t /* rows=30 */', headers: { 'X-Trino-User': 'etl_gzip', 'Accept-Encoding': 'gzip' },
    });
    expect(submitted.headers.get('content-encoding')).toBe('gzip');
    const first = await submitted.json() as { id: string; nextUri?: string };
    let next = first.nextUri;
    let rows = 0;
    while (next !== undefined) {
      const page = await (await fetch(next, { headers: { 'X-Trino-User': 'etl_gzip', 'Accept-Encoding': 'gzip' } })).json() as { nextUri?: string; data?: unknown[]; error?: { message: string } };
      expect(page.error).toBeUndefined();
      rows += page.data?.length ?? 0;
      next = page.nextUri;
    }
    expect(rows).toBe(30);
    expect(chain.trinoB.query(first.id)?.state).toBe('FINISHED');
  });

  it('trino-client runs its queries to the end', async () => {
    const { rows } = await collect(Trino.create({ server: chain.envoy.url, auth: new BasicAuth('alice'), source: 'e2e' }), 'SELECT * FROM t /* rows=20 */');
    expect(rows).toHaveLength(20);
  });
});
