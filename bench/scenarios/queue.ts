/**
 * The gateway queue's own costs (issue 22), in-process on SQLite in memory (`npm run bench --
 * --only queue`): admission per decision, holding a submission (seal + enqueue), polls of a
 * queued query, and how fast a freed slot is taken: from the running count dropping below the
 * limit to the next queued query handed over, with a cluster that answers at once (a fake
 * fetch), so the figure is the router's share alone: on one router (SQLite, its dispatcher
 * kicked at once) and on three routers sharing a throwaway PostgreSQL, once with the replica
 * that queued the query kicked, once with no kick (every replica's dispatcher on its 250 ms
 * timer, the three out of phase, the slot freed at a random moment: as when only the next
 * count shows the slot free).
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
import type { QueueStore } from '../../src/queue/queue-store.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { postgresSettings } from '../../test/support/postgres-databases.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../test/support/throwaway-postgres.js';

export interface QueueBenchResult {
  readonly admissionsPerSecond: number;
  readonly holdMicros: number;
  readonly pollsPerSecond: number;
  readonly slotTakeP50Ms: number;
  readonly slotTakeP99Ms: number;
  /** Three routers on one PostgreSQL; undefined when no PostgreSQL server could be started. */
  readonly fleet: { readonly kickedP50Ms: number; readonly kickedP99Ms: number; readonly timerP50Ms: number; readonly timerP99Ms: number } | undefined;
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
  const one = await slotTakes([slotStore.queue], { kick: true, rounds: 200 });
  await slotStore.close();
  const fleet = await fleetSlotTakes();
  return { admissionsPerSecond, holdMicros, pollsPerSecond, slotTakeP50Ms: percentile(one, 50), slotTakeP99Ms: percentile(one, 99), fleet };
}

/** The dispatch interval the config defaults to (queue.dispatchIntervalMs). */
const DISPATCH_INTERVAL_MS = 250;

async function fleetSlotTakes(): Promise<QueueBenchResult['fleet']> {
  let database: ThrowawayPostgres;
  try {
    database = await startThrowawayPostgres();
  } catch (error) {
    process.stderr.write(`queue bench: no PostgreSQL for the three-router figures (${error instanceof Error ? error.message : String(error)})\n`);
    return undefined;
  }
  const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(postgresSettings(database.url))));
  try {
    const kicked = await slotTakes(stores.map((s) => s.queue), { kick: true, rounds: 100 });
    const timer = await slotTakes(stores.map((s) => s.queue), { kick: false, rounds: 60 });
    return { kickedP50Ms: percentile(kicked, 50), kickedP99Ms: percentile(kicked, 99), timerP50Ms: percentile(timer, 50), timerP99Ms: percentile(timer, 99) };
  } finally {
    for (const store of stores) await store.close();
    await database.destroy();
  }
}

/**
 * Replica i has its own dispatcher and signals on `stores[i]` (one store, or handles on a shared
 * one); the query is held on replica 0. kick: replica 0 runs a pass the moment the slot frees;
 * otherwise every replica only on its timer. Milliseconds from freed to handed over, per round.
 */
async function slotTakes(stores: readonly QueueStore[], options: { readonly kick: boolean; readonly rounds: number }): Promise<number[]> {
  const snapshot = compileSnapshot(config, 1);
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
  const replicas = stores.map((store, i) => {
    const signals = new EntrySignals();
    const dispatcher = new Dispatcher({
      store, keyring, snapshot: () => snapshot, conditions, strategy: createStrategyState(),
      owners: new OwnershipIndex({ maxQueries: 10_000, retentionMs: 3600_000, transactionRetentionMs: 3600_000 }),
      signals, logger: { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined },
      replica: `bench-${i}`, intervalMs: options.kick ? 3600_000 : DISPATCH_INTERVAL_MS, leaseMs: 30_000, clientTimeoutMs: 3600_000, graceMs: 0,
      submitTimeoutMs: 5_000, retentionMs: 3600_000, now: Date.now, fetch: fakeFetch,
    });
    return { signals, dispatcher };
  });
  // Replicas started at different moments: their timers tick out of phase.
  if (!options.kick) {
    for (const [i, r] of replicas.entries()) {
      await new Promise((resolve) => setTimeout(resolve, (i * DISPATCH_INTERVAL_MS) / replicas.length));
      r.dispatcher.start();
    }
  }
  const gate = new GatewayQueue({ store: stores[0]!, keyring, signals: replicas[0]!.signals, pollHoldMs: 0, touchEveryMs: 1000, now: Date.now });
  const headers: [string, string][] = [['x-trino-user', 'alice'], ['authorization', 'Bearer bench-token']];
  const decision = { outcome: 'routed' as const, backend: 'a', group: 'g', rule: undefined, fellBackFrom: [] };
  const takes: number[] = [];
  try {
    for (let i = 0; i < options.rounds; i++) {
      running = 10;
      const reply = await gate.hold({ headers, body: Buffer.from('SELECT 1'), bodyComplete: true, origin: 'http://trino:8080', facts, decision, rule: undefined, receivedAt: Date.now() });
      const id = /\/_router\/queue\/([^/]+)\//.exec(reply.body)?.[1] ?? '';
      // Whichever replica hands it over says so on its own signals.
      const handedOver = Promise.race(replicas.map((r) => r.signals.wait(id, 5_000)));
      // Without a kick the slot frees at a moment the timers do not know of.
      await new Promise((resolve) => setTimeout(resolve, options.kick ? 2 : 2 + Math.random() * DISPATCH_INTERVAL_MS));
      readAt = Date.now();
      const freed = performance.now();
      running = 9;
      if (options.kick) replicas[0]!.dispatcher.kick();
      await handedOver;
      takes.push(performance.now() - freed);
      await Promise.all(replicas.map((r) => r.dispatcher.idle()));
    }
  } finally {
    for (const r of replicas) await r.dispatcher.close();
  }
  return takes;
}
