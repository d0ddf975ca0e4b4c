/**
 * Follow-ups through Envoy's ext_proc filter (envoy/envoy.yaml): the shared suite
 * (suites/follow-up-suite.ts), plus transactions, which only ext_proc can route: the router
 * learns a transaction's start and end from the responses it asks Envoy for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerOf, rowsOf, runRaw } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';
import { followUpSuite } from './suites/follow-up-suite.js';

followUpSuite('ext_proc');

describe('transactions through the chain', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ prefixRouting: false });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('every statement of a transaction reaches the cluster that started it, until COMMIT', async () => {
    // bob matches no rule: the adhoc group round-robins, so only transaction routing keeps him on one cluster.
    const bob = { 'X-Trino-User': 'bob', 'X-Trino-Transaction-Id': 'NONE' };
    const started = await runRaw(chain.envoy.url, 'START TRANSACTION', bob);
    const transactionId = headerOf(started, 'x-trino-started-transaction-id');
    expect(transactionId).toBeDefined();
    const owner = chain.trinoA.queries().some((q) => q.sql === 'START TRANSACTION') ? 'trino-a' : 'trino-b';

    const inTransaction = { 'X-Trino-User': 'bob', 'X-Trino-Transaction-Id': transactionId! };
    for (let i = 0; i < 4; i++) {
      const answers = await runRaw(chain.envoy.url, 'SELECT * FROM t /* rows=3 */', inTransaction);
      expect(answers.at(-1)!.body.error).toBeUndefined();
      expect(new Set(rowsOf(answers).map((r) => r[1]))).toEqual(new Set([owner]));
    }

    const committed = await runRaw(chain.envoy.url, 'COMMIT', inTransaction);
    expect(committed.at(-1)!.body.error).toBeUndefined();
    expect(headerOf(committed, 'x-trino-clear-transaction-id')).toBe('true');

    // The router forgot the transaction with the COMMIT: a stale id is refused, not guessed.
    const stale = await runRaw(chain.envoy.url, 'SELECT 1', inTransaction);
    expect(stale.at(-1)!.body.error.errorName).toBe('UNKNOWN_TRANSACTION');
    expect(stale.at(-1)!.body.error.message).toContain(transactionId);
  });

  it('without transaction routing the same statements would have split across clusters', async () => {
    // Guards the test above: bob's plain queries really alternate between the clusters.
    const clusters = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      for (const row of rowsOf(await runRaw(chain.envoy.url, 'SELECT * FROM t /* rows=1 */', { 'X-Trino-User': 'bob' }))) clusters.add(row[1]);
    }
    expect(clusters).toEqual(new Set(['trino-a', 'trino-b']));
  });
});
