/**
 * The sidecar topology end to end: trino-client -> Envoy stand-in reading envoy/envoy-sidecar.yaml
 * -> the router over a Unix domain socket (a `pipe` endpoint) -> two Trino stand-ins.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { collect } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';

describe('sidecar: Envoy reaches the router on a Unix socket', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ sidecar: true, trino: { rowsPerPage: 100 } });
  });
  afterAll(async () => {
    await chain?.close();
  });

  const client = (user: string, extraHeaders: Record<string, string> = {}): Trino =>
    Trino.create({ server: chain.envoy.url, auth: new BasicAuth(user), source: 'e2e', extraHeaders });

  it('runs a query (submission and every follow-up) through the socket on the cluster its rule names', async () => {
    expect(statSync(join(chain.dataDir, 'router.sock')).isSocket()).toBe(true);
    const analyst = await collect(client('alice'), 'SELECT * FROM t /* rows=350 */');
    expect(analyst.error).toBeUndefined();
    expect(analyst.rows).toHaveLength(350);
    expect([...new Set(analyst.rows.map((r) => String(r[1])))]).toEqual(['trino-a']);
    const etl = await collect(client('etl_loader'), 'SELECT * FROM t /* rows=5 */');
    expect([...new Set(etl.rows.map((r) => String(r[1])))]).toEqual(['trino-b']);
  });

  it('keeps the shipped protections: a client-sent x-trino-cluster does not pick the cluster', async () => {
    const spoofed = await collect(client('alice', { 'x-trino-cluster': 'trino-b' }), 'SELECT * FROM t /* rows=3 */');
    expect([...new Set(spoofed.rows.map((r) => String(r[1])))]).toEqual(['trino-a']);
  });
});
