/**
 * Queueing at the gateway (issue 22), through the whole chain: trino-client -> Envoy stand-in
 * (envoy/envoy.yaml) -> router (ext_proc) -> two Trino stand-ins whose queries run long enough
 * to fill their limits. The stand-ins record how many queries ran at once.
 */
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, type Chain } from './harness.js';

const ROUTING = `groups:
  - { name: adhoc, strategy: round_robin, backends: [trino-a, trino-b] }
rules:
  - { name: urgent, priority: 1, group: adhoc, queuePriority: 10, match: { source: { exact: urgent } } }
queue: { pollHoldMs: 150, dispatchIntervalMs: 50, countGraceMs: 300, clientTimeoutSeconds: 2 }
`;

/** Runs `sql` with trino-client to the end: its rows, or its error message. */
async function run(chain: Chain, sql: string, source = 'e2e', user = 'alice'): Promise<{ rows: unknown[][]; error: string | undefined; id: string | undefined }> {
  const trino = Trino.create({ server: chain.envoy.url, auth: new BasicAuth(user), source });
  const rows: unknown[][] = [];
  let id: string | undefined;
  for await (const result of await trino.query(sql)) {
    id = result.id;
    if (result.error) return { rows, error: result.error.message, id };
    rows.push(...((result.data ?? []) as unknown[][]));
  }
  return { rows, error: undefined, id };
}

describe('queueing at the gateway: two backends limited to 5 running queries each', () => {
  let chain: Chain;

  beforeAll(async () => {
    chain = await startChain({
      routing: ROUTING,
      backendFields: 'maxRunningQueries: 5',
      monitor: '{ intervalSeconds: 0.05, failureThreshold: 1, successThreshold: 1 }',
    });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('50 queries: never more than 5 running on a cluster, all finish with complete results', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => run(chain, `/* rows=7 duration=250 */ SELECT ${i} FROM queue_test`)));
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.rows).toHaveLength(7);
    }
    expect(chain.trinoA.maxConcurrentQueries()).toBeLessThanOrEqual(5);
    expect(chain.trinoB.maxConcurrentQueries()).toBeLessThanOrEqual(5);
    // Both clusters were used to their limit, so the limit (not luck) kept them there.
    expect(chain.trinoA.maxConcurrentQueries() + chain.trinoB.maxConcurrentQueries()).toBeGreaterThanOrEqual(8);
    const submitted = [...chain.trinoA.queries(), ...chain.trinoB.queries()].filter((q) => q.sql.includes('queue_test'));
    expect(submitted).toHaveLength(50);
  }, 60_000);
});
