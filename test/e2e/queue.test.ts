/**
 * Queueing at the gateway (issue 22), through the whole chain: trino-client -> Envoy stand-in
 * (envoy/envoy.yaml) -> router (ext_proc) -> two Trino stand-ins whose queries run long enough
 * to fill their limits. The stand-ins record how many queries ran at once.
 */
import Database from 'better-sqlite3';
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, follow, get, rowsOf, submit } from '../support/statement-protocol.js';
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
    // Each is in the query history with its wait in the queue.
    const ids = new Set(submitted.map((q) => q.id));
    await eventually(async () => ((await chain.router.history?.list({ limit: 1000 })) ?? []).filter((r) => ids.has(r.queryId)).length === 50, 1_000);
    const records = ((await chain.router.history?.list({ limit: 1000 })) ?? []).filter((r) => ids.has(r.queryId));
    for (const record of records) expect(record).toMatchObject({ group: 'adhoc', user: 'alice', source: 'e2e', queuedMs: expect.any(Number) });
  }, 60_000);

  /** Fills both backends to their limits with queries that run for `ms`; resolves when they all reached their clusters. */
  async function fill(ms: number, marker: string): Promise<Promise<unknown>[]> {
    const running = Array.from({ length: 10 }, () => run(chain, `/* rows=1 duration=${ms} */ SELECT 1 FROM ${marker}`));
    await eventually(() => [...chain.trinoA.queries(), ...chain.trinoB.queries()].filter((q) => q.sql.includes(marker)).length === 10, 3_000);
    return running;
  }

  /** The clusters' queries whose SQL names `marker`, in the order they reached a cluster. */
  function arrivalOrder(marker: string): string[] {
    const seen = [...chain.trinoA.queries(), ...chain.trinoB.queries()].filter((q) => q.sql.includes(marker));
    const order = new Map(chain.router.store.kind === 'sqlite' ? dispatchOrder() : []);
    return seen.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)).map((q) => /-- (\S+)/.exec(q.sql)?.[1] ?? q.sql);
  }

  /** Query id -> hand-over sequence, read from the router's queue table. */
  function dispatchOrder(): [string, number][] {
    const rows = queueRows();
    return rows.filter((r) => r.query_id !== null).map((r, i) => [r.query_id!, i]);
  }

  function queueRows(): { query_id: string | null; state: string }[] {
    const db = new Database(chain.router.store.location, { readonly: true });
    try {
      return db.prepare("SELECT query_id, state FROM queue_entries ORDER BY ended_at, seq").all() as { query_id: string | null; state: string }[];
    } finally {
      db.close();
    }
  }

  it('FIFO within a priority, a higher priority first: queries reach the clusters in queue order', async () => {
    const blockers = await fill(8_000, 'fifo_blocker');
    const headers = { 'X-Trino-User': 'alice', 'X-Trino-Source': 'e2e' };
    const waiting: Promise<unknown>[] = [];
    for (let i = 1; i <= 6; i++) {
      const queued = await submit(chain.envoy.url, `/* rows=2 duration=50 */ SELECT 1 FROM fifo -- q${i}`, headers);
      expect(queued.body.stats.state).toBe('QUEUED');
      waiting.push(follow(queued, headers));
    }
    const urgentHeaders = { ...headers, 'X-Trino-Source': 'urgent' };
    const urgent = await submit(chain.envoy.url, '/* rows=2 duration=50 */ SELECT 1 FROM fifo -- urgent', urgentHeaders);
    waiting.push(follow(urgent, urgentHeaders));
    const answers = await Promise.all(waiting) as Awaited<ReturnType<typeof follow>>[];
    for (const queryAnswers of answers) expect(rowsOf(queryAnswers)).toHaveLength(2);
    await Promise.all(blockers);
    expect(arrivalOrder('FROM fifo ')).toEqual(['urgent', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6']);
  }, 60_000);

  it('a queued query shows QUEUED with its wait and position; DELETE on its nextUri cancels it and it never reaches a cluster', async () => {
    const blockers = await fill(5_000, 'cancel_blocker');
    const headers = { 'X-Trino-User': 'bob' };
    const first = await submit(chain.envoy.url, '/* rows=1 */ SELECT 1 FROM cancel_me', headers);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ stats: { state: 'QUEUED', queued: true } });
    expect(first.body.nextUri).toMatch(/\/_router\/queue\//);
    const polled = await get(first.body.nextUri, headers);
    expect(polled.body).toMatchObject({ stats: { state: 'QUEUED', queuePosition: 0 } });
    expect(polled.body.stats.queuedTimeMillis).toBeGreaterThan(0);
    const cancelled = await fetch(polled.body.nextUri, { method: 'DELETE', headers });
    expect(cancelled.status).toBe(204);
    const after = await get(polled.body.nextUri, headers);
    expect(after.body).toMatchObject({ stats: { state: 'FAILED' }, error: { errorName: 'USER_CANCELED' } });
    expect(after.body.nextUri).toBeUndefined();
    await Promise.all(blockers);
    // Slots are free again: had it not been cancelled, it would run now.
    await run(chain, '/* rows=1 */ SELECT 1 FROM after_cancel');
    expect([...chain.trinoA.queries(), ...chain.trinoB.queries()].filter((q) => q.sql.includes('cancel_me'))).toEqual([]);
  }, 60_000);

  it('a forged or edited queue URL is refused', async () => {
    // Every submission to a limited group is answered by the router first, slots free or not.
    const headers = { 'X-Trino-User': 'bob' };
    const first = await submit(chain.envoy.url, '/* rows=1 */ SELECT 1 FROM forged', headers);
    const uri = String(first.body.nextUri);
    const edited = uri.replace(/\/([A-Za-z0-9_-]{22})\//, (_m, id: string) => `/${id.startsWith('A') ? 'B' : 'A'}${id.slice(1)}/`);
    const forged = await fetch(edited, { headers });
    expect(forged.status).toBe(403);
    const cancel = await fetch(edited, { method: 'DELETE', headers });
    expect(cancel.status).toBe(403);
    // The genuine query is untouched by the forged cancel.
    expect(rowsOf(await follow(await get(uri, headers), headers))).toHaveLength(1);
  }, 60_000);

  it('an abandoned queued query (its client stopped polling) is dropped after the client timeout and never runs', async () => {
    const blockers = await fill(6_000, 'abandon_blocker');
    const headers = { 'X-Trino-User': 'carol' };
    const first = await submit(chain.envoy.url, '/* rows=1 */ SELECT 1 FROM abandoned', headers);
    expect(first.body.stats.state).toBe('QUEUED');
    // queue.clientTimeoutSeconds is 2 here (Trino's query.client.timeout defaults to 5 minutes).
    await eventually(() => queueRows().some((r) => r.state === "abandoned"), 1_000);
    const late = await get(first.body.nextUri, headers);
    expect(late.body).toMatchObject({ stats: { state: 'FAILED' }, error: { errorName: 'ABANDONED_QUERY' } });
    await Promise.all(blockers);
    await run(chain, '/* rows=1 */ SELECT 1 FROM after_abandon');
    expect([...chain.trinoA.queries(), ...chain.trinoB.queries()].filter((q) => q.sql.includes('abandoned'))).toEqual([]);
  }, 60_000);
});
