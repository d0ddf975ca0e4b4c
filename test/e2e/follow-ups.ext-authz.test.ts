/**
 * Follow-ups through Envoy's ext_authz filter (envoy/envoy-ext-authz.yaml): the shared suite
 * (suites/follow-up-suite.ts), plus what differs because ext_authz never sees a response.
 * Without prefix routing, follow-ups go by the coordinator ids the health monitor learns (no
 * probe needed). The router never learns that a transaction started: a statement inside one is
 * refused with a Trino error that names the transaction, and never reaches a cluster that may
 * not know it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { collect, headerOf, runRaw } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';
import { followUpSuite } from './suites/follow-up-suite.js';

followUpSuite('ext_authz');

describe('transactions through ext_authz', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ edge: 'ext_authz', prefixRouting: true });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('a statement inside a transaction is refused with a readable error, not sent to a guessed cluster', async () => {
    const started = await runRaw(chain.envoy.url, 'START TRANSACTION', { 'X-Trino-User': 'bob', 'X-Trino-Transaction-Id': 'NONE' });
    const transactionId = headerOf(started, 'x-trino-started-transaction-id');
    expect(transactionId).toBeDefined();
    const seen = chain.trinoA.requestLog().length + chain.trinoB.requestLog().length;

    const inTransaction = await runRaw(chain.envoy.url, 'SELECT 1', { 'X-Trino-User': 'bob', 'X-Trino-Transaction-Id': transactionId! });
    const error = inTransaction.at(-1)!.body.error;
    expect(error.errorName).toBe('UNKNOWN_TRANSACTION');
    expect(error.message).toContain(transactionId);
    expect(chain.trinoA.requestLog().length + chain.trinoB.requestLog().length).toBe(seen);
  });
});

describe('ext_authz without prefix routing, with the health monitor on', () => {
  let chain: Chain;
  beforeAll(async () => {
    // One round of checks before serving teaches the router each coordinator's id.
    chain = await startChain({ edge: 'ext_authz', prefixRouting: false, monitor: '{ intervalSeconds: 3600 }', trino: { rowsPerPage: 20 } });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('routes every follow-up by the coordinator id in the query id, without probing the other cluster', async () => {
    const run = await collect(Trino.create({ server: chain.envoy.url, auth: new BasicAuth('etl_coordinator'), source: 'e2e' }), 'SELECT * FROM t /* rows=200 */');
    expect(run.error).toBeUndefined();
    expect(run.rows.map((r) => r[0])).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(new Set(run.rows.map((r) => r[1]))).toEqual(new Set(['trino-b']));
    const queryId = chain.trinoB.queries().find((q) => q.user === 'etl_coordinator')!.id;
    expect(chain.trinoA.requestLog().filter((r) => r.path.includes(queryId))).toEqual([]);
  });
});
