/**
 * The gateway queue's own costs (issue 22), in-process on SQLite in memory (`npm run bench --
 * --only queue`): admission per decision, holding a submission (seal + enqueue), polls of a
 * queued query, and how fast a freed slot is taken: from the running count dropping below the
 * limit to the next queued query handed over, with a cluster that answers at once (a fake
 * fetch), so the figure is the router's share alone. Fleets (PostgreSQL, three routers) are not
 * measured here.
 */
import { performance } from 'node:perf_hooks';
import { Dispatcher } from '../../src/queue/dispatcher.js';
import { EntrySignals } from '../../src/queue/entry-signals.js';
import { GatewayQueue } from '../../src/queue/gateway-queue.js';
import { admit } from '../../src/routing/admission.js';
import type { BackendCondition } from '../../src/routing/engine.js';
import type { RoutingConfig } from '../../src/routing/model.js';
import { NO_STATEMENT, type RequestFacts } from '../../src/routing/model.js';
import { compileSnapshot } from '../../src/routing/snapshot.js';
import { createStrategyState } from '../../src/routing/strategies.js';
import { OwnershipIndex } from '../../src/stickiness/ownership.js';
import { createKeyring } from '../../src/stickiness/route-prefix.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

export interface QueueBenchResult {
  readonly admissionsPerSecond: number;
  readonly holdMicros: number;
  readonly pollsPerSecond: number;
  readonly slotTakeP50Ms: number;
  readonly slotTakeP99Ms: number;
}

const keyring = createKeyring([{ id: 'bench', secret: 'a-bench-secret-long-enough-for-hmac' }], 3600);
const config: RoutingConfig = {
  backends: ['a', 'b'].map((name) => ({ name, url: `http://${name}:8080`, enabled: true, prefixRouting: false, schedules: [], maxRunningQueries: 5 })),
  groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }] }],
  rules: [],
  defaultGroup: 'g',
};
const facts: RequestFacts = {
  method: 'POST', path: '/v1/statement', host: 'trino', listenerPort: 8080, user: 'alice', source: 'bench', catalog: undefined, schema: undefined,
  clientInfo: undefined, clientTags: [], sessionProperties: new Map(), routingGroup: undefined, headers: new Map(), statement: NO_STATEMENT,
};

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runQueueBench(): Promise<QueueBenchResult> {
  const snapshot = compileSnapshot(config, 1);
  const state = createStrategyState();
  // 1. Admission: both backends near their limit, as under load.
  const counts = { backend: (name: string) => (name === 'a' ? 5 : 4), user: () => 0 };
  const request = { group: 'g', rule: undefined, user: 'alice', userLimit: undefined };
  const admissions = 200_000;
  let started = performance.now();
  for (let i = 0; i < admissions; i++) admit(snapshot, request, new Map(), counts, state);
  const admissionsPerSecond = admissions / ((performance.now() - started) / 1000);

  const store = openSqliteStore(':memory:');
  const signals = new EntrySignals();
  const gate = new GatewayQueue({ store: store.queue, keyring, signals, pollHoldMs: 0, touchEveryMs: 1000, now: Date.now });
  const headers: [string, string][] = [['x-trino-user', 'alice'], ['authorization', 'Bearer bench-token']];
  const decision = { outcome: 'routed' as const, backend: 'a', group: 'g', rule: undefined, fellBackFrom: [] };
  const held = (): Promise<{ body: string }> => gate.hold({
    headers, body: Buffer.from('SELECT 1'), bodyComplete: true, origin: 'http://trino:8080', facts, decision, rule: undefined, receivedAt: Date.now(),
  });
  // 2. Holding: seal + enqueue.
  const holds = 2_000;
  started = performance.now();
  const paths: string[] = [];
  for (let i = 0; i < holds; i++) paths.push(new URL((JSON.parse((await held()).body) as { nextUri: string }).nextUri).pathname);
  const holdMicros = ((performance.now() - started) * 1000) / holds;
  // 3. Polls of queued queries (no hold: the answer's own cost).
  const polls = 10_000;
  started = performance.now();
  for (let i = 0; i < polls; i++) await gate.answer('GET', paths[i % paths.length]!, 'http://trino:8080');
  const pollsPerSecond = polls / ((performance.now() - started) / 1000);
  await store.close();

  // 4. Slot take: a full cluster frees one slot; time to the next queued query handed over.
  const slotStore = openSqliteStore(':memory:');
  const slotSignals = new EntrySignals();
  let running = 10;
  // When the (simulated) monitor read `running`: after the previous hand-over, as a real count would be.
  let readAt = Date.now();
  const conditions = (): Map<string, BackendCondition> => new Map(['a', 'b'].map((name) => [name, {
    health: 'healthy' as const, load: 0, inSchedule: true, running: name === 'a' ? Math.min(5, running) : Math.max(0, running - 5), runningReadAt: readAt,
  }]));
  const fakeFetch = (async (url: string | URL | Request) => {
    const text = String(url).endsWith('/v1/statement')
      ? JSON.stringify({ id: '20260101_000000_00001_abcde', infoUri: 'http://trino:8080/ui', nextUri: 'http://trino:8080/v1/statement/queued/20260101_000000_00001_abcde/x/1' })
      : JSON.stringify({ id: '20260101_000000_00001_abcde', infoUri: 'http://trino:8080/ui', nextUri: 'http://trino:8080/v1/statement/executing/20260101_000000_00001_abcde/y/0' });
    return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  const dispatcher = new Dispatcher({
    store: slotStore.queue, keyring, snapshot: () => snapshot, conditions, strategy: state,
    owners: new OwnershipIndex({ maxQueries: 10_000, retentionMs: 3600_000, transactionRetentionMs: 3600_000 }),
    signals: slotSignals, logger: { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined },
    replica: 'bench', intervalMs: 3600_000, leaseMs: 30_000, clientTimeoutMs: 3600_000, graceMs: 0, submitTimeoutMs: 5_000, retentionMs: 3600_000,
    now: Date.now, fetch: fakeFetch,
  });
  const slotGate = new GatewayQueue({ store: slotStore.queue, keyring, signals: slotSignals, pollHoldMs: 0, touchEveryMs: 1000, now: Date.now });
  const takes: number[] = [];
  for (let i = 0; i < 200; i++) {
    running = 10;
    const reply = await slotGate.hold({ headers, body: Buffer.from('SELECT 1'), bodyComplete: true, origin: 'http://trino:8080', facts, decision, rule: undefined, receivedAt: Date.now() });
    const id = /\/_router\/queue\/([^/]+)\//.exec(reply.body)?.[1] ?? '';
    const handedOver = slotSignals.wait(id, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 2));
    readAt = Date.now();
    const freed = performance.now();
    running = 9;
    dispatcher.kick();
    await handedOver;
    takes.push(performance.now() - freed);
    await dispatcher.idle();
  }
  await dispatcher.close();
  await slotStore.close();
  return { admissionsPerSecond, holdMicros, pollsPerSecond, slotTakeP50Ms: percentile(takes, 50), slotTakeP99Ms: percentile(takes, 99) };
}
