/**
 * Soak: a bounded run of the whole chain on loopback, outside the test suite (`npm run soak`,
 * `--minutes N`, default 3). trino-client and raw statement-protocol clients go through the
 * Envoy stand-in (reading envoy/envoy.yaml) to the router, run as its own process (the
 * production entry point), and on to two Trino stand-ins: trino-a with prefix routing, trino-b
 * with query-id routing. While queries, follow-ups (query info, UI, polls), cancels and kills
 * run, the admin API churns the routing, and the backends go down and come back (hung, then
 * resetting connections), which the health monitor must notice.
 *
 * Counted and printed at the end:
 * - misrouted requests: a request that came through Envoy and names a query id reached a
 *   coordinator that does not own it (a Trino query id ends with its coordinator's id), or
 *   reached a coordinator with the router's prefix still on its path. Must be 0.
 * - lost queries: a query a coordinator accepted whose client did not see it end (rows, its
 *   own failure, or the cancel/kill asked for), unless its owner was resetting connections
 *   while it ran (an injected fault Envoy cannot hide). Must be 0.
 * - outcomes and errors by kind, admin calls by status, the router's own counters, memory
 *   (resident and V8 heap) of the router process at start and end.
 * Exits 1 when a misrouted request or a lost query was seen.
 *
 * `--fleet`: three router processes on one PostgreSQL database (a throwaway server, as the
 * tests use) behind the same Envoy, admin calls spread over the replicas, and the database
 * stopped for 5 s every minute on top of the same churn and faults. Counters are summed over
 * the replicas; admin calls during a database outage are counted by their status (14 =
 * UNAVAILABLE, as designed).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BasicAuth, Trino } from 'trino-client';
import { connect, type AdminClient } from '../../src/cli/admin-client.js';
import { ENVOY_CONFIG } from '../e2e/harness.js';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { startTrinoStandin, type TrinoStandin } from '../standins/trino/index.js';
import { freePort, spawnRouter, type RouterProcess } from '../support/router-process.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    workers: { type: 'string', default: '12' },
    fleet: { type: 'boolean', default: false },
  },
});
const FLEET = args.fleet === true;
const REPLICAS = FLEET ? 3 : 1;
const MINUTES = Number(args.minutes);
const WORKERS = Number(args.workers);
if (!(MINUTES > 0) || !Number.isInteger(WORKERS) || WORKERS < 1) {
  console.error('usage: npm run soak -- [--minutes N (default 3)] [--workers N (default 12)] [--fleet]');
  process.exit(2);
}

const TOKEN = 'soak-admin-token-long-enough';
const QUERY_ID = /\d{8}_\d{6}_\d{5}_[a-z2-9]{5}/;
const CLUSTERS = ['trino-a', 'trino-b'] as const;
type Cluster = (typeof CLUSTERS)[number];

// ---- counters ----

const outcomes = new Map<string, number>();
const errors = new Map<string, number>();
const adminCalls = new Map<string, number>();
const lost: string[] = [];
let faultsInjected = 0;
let routingChanges = 0;
function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

// ---- fault windows: a query whose owner reset connections while it ran may fail ----

interface FaultWindow {
  readonly cluster: Cluster;
  readonly kind: 'hang' | 'reset';
  readonly from: number;
  to: number;
}
const faultWindows: FaultWindow[] = [];
function resetDuring(cluster: string | undefined, from: number, to: number): boolean {
  return faultWindows.some((w) => w.kind === 'reset' && (cluster === undefined || w.cluster === cluster) && w.from <= to && w.to >= from);
}

// ---- the chain ----

const root = mkdtempSync(join(tmpdir(), 'ter-soak-'));
const trino: Record<Cluster, TrinoStandin> = {
  'trino-a': await startTrinoStandin({ name: 'trino-a', rowsPerPage: 20, pollIntervalMs: 20 }),
  'trino-b': await startTrinoStandin({ name: 'trino-b', rowsPerPage: 20, pollIntervalMs: 20 }),
};
const database: ThrowawayPostgres | undefined = FLEET ? await startThrowawayPostgres() : undefined;
interface Replica {
  readonly extProcPort: number;
  readonly adminPort: number;
  readonly metricsPort: number;
  readonly process: RouterProcess;
}
const replicas: Replica[] = [];
/** Set once the soak shuts the replicas down itself. */
let stopping = false;
for (let replica = 0; replica < REPLICAS; replica++) {
  const [extProcPort, adminPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const configPath = join(root, `router-${replica}.yaml`);
  writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:${extProcPort}", admin: "127.0.0.1:${adminPort}", metrics: "127.0.0.1:${metricsPort}" }
dataDir: ${JSON.stringify(join(root, `data-${replica}`))}${database === undefined ? '' : `\nstore: { kind: postgres, url: ${JSON.stringify(database.url)} }`}
logging: { level: info }
admin: { token: ${JSON.stringify(TOKEN)} }
monitor: { intervalSeconds: 1, timeoutMs: 500, failureThreshold: 2, successThreshold: 2, user: soak-monitor }
routing:
  defaultGroup: adhoc
  prefix:
    keys: [{ id: soak1, secret: "a-soak-secret-that-is-long-enough" }]
backends:
  - { name: trino-a, url: "${trino['trino-a'].url}", prefixRouting: true }
  - { name: trino-b, url: "${trino['trino-b'].url}", prefixRouting: false }
groups:
  - { name: adhoc, strategy: round_robin, backends: [trino-a, trino-b] }
  - { name: etl, strategy: round_robin, backends: [trino-b], fallback: adhoc }
  - { name: analysts, strategy: least_load, backends: [trino-a, trino-b] }
rules:
  - { name: etl-tags, priority: 10, group: etl, match: { clientTags: { containsAny: [etl] } } }
  - { name: analysts, priority: 30, group: analysts, match: { user: { anyOf: [alice, carol] } } }
`);
  const process_ = await spawnRouter(configPath);
  // A replica must never exit on its own: say so at once, with what it last said.
  void process_.exit.then(({ code, signal, stderr }) => {
    if (stopping) return;
    const last = process_.logs.slice(-5).map((l) => JSON.stringify(l)).join('\n    ');
    console.error(`replica ${replica} (pid ${process_.pid}) exited: code ${code}, signal ${signal}\n  stderr: ${stderr.slice(-2000)}\n  last logs:\n    ${last}`);
  });
  replicas.push({ extProcPort, adminPort, metricsPort, process: process_ });
}
const envoy: EnvoyStandin = await startEnvoyStandin({
  configPath: ENVOY_CONFIG,
  clusters: {
    trino_router: replicas.map((r) => ({ host: '127.0.0.1', port: r.extProcPort })),
    'trino-a': [{ host: '127.0.0.1', port: trino['trino-a'].port }],
    'trino-b': [{ host: '127.0.0.1', port: trino['trino-b'].port }],
  },
});
const admins: AdminClient[] = replicas.map((r) => connect({ server: `127.0.0.1:${r.adminPort}`, token: TOKEN, timeoutMs: 10_000 }));
let adminTurn = 0;
/** The next replica's admin client: in a fleet, changes are made through every replica in turn. */
const admin = (): AdminClient => admins[adminTurn++ % admins.length]!;

/** Every replica's /metrics, summed series by series. */
async function metrics(): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const replica of replicas) {
    // A replica that died is reported where it exited; its series are missing from the sum.
    const own = await replicaMetrics(replica.metricsPort).catch(() => new Map<string, number>());
    for (const [series, value] of own) samples.set(series, (samples.get(series) ?? 0) + value);
  }
  return samples;
}

async function replicaMetrics(metricsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}
function sum(samples: Map<string, number>, prefix: string, filter: (series: string) => boolean = () => true): number {
  let total = 0;
  for (const [series, value] of samples) if (series.startsWith(prefix) && filter(series)) total += value;
  return total;
}
const mb = (bytes: number | undefined): string => `${((bytes ?? 0) / 1024 / 1024).toFixed(1)} MB`;

// ---- helpers ----

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const between = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

/** Which coordinator owns a query id (its last 5 characters are the coordinator's id). */
function ownerOf(queryId: string): Cluster | undefined {
  return CLUSTERS.find((c) => trino[c].coordinatorId === queryId.slice(-5));
}

interface Person {
  readonly user: string;
  readonly headers: Record<string, string>;
}
function person(): Person {
  const user = pick(['alice', 'bob', 'carol', 'dave', 'etl_nightly', 'etl_hourly']);
  const headers: Record<string, string> = { 'X-Trino-User': user, 'X-Trino-Source': 'soak' };
  if (user.startsWith('etl_') || Math.random() < 0.1) headers['X-Trino-Client-Tags'] = 'etl,soak';
  return { user, headers };
}

interface Page {
  readonly status: number;
  readonly body: any;
}
async function http(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Page> {
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body: parsed };
}

/** The router refused a submission (no cluster can take it now): a correct answer, not a loss. */
function refusedByRouter(error: { message?: string; errorName?: string } | undefined): boolean {
  return error !== undefined && /No Trino cluster can take this query|NO_NODES_AVAILABLE/.test(`${error.errorName ?? ''} ${error.message ?? ''}`);
}

/** Records the end of one query run: an outcome, and a loss when nothing explains it. */
function settle(kind: string, queryId: string | undefined, startedAt: number, problem: string | undefined): void {
  if (problem === undefined) {
    count(outcomes, kind);
    return;
  }
  const owner = queryId === undefined ? undefined : ownerOf(queryId);
  if (resetDuring(owner, startedAt, Date.now())) {
    count(errors, `${kind}: interrupted by an injected connection reset`);
    count(outcomes, `${kind} (interrupted by fault)`);
    return;
  }
  count(errors, `${kind}: ${problem}`);
  count(outcomes, `${kind} (failed)`);
  if (queryId !== undefined) lost.push(`${queryId} (${kind}): ${problem}`);
}

// ---- workload ----

/** A whole query with the official client; every row must come from the query's owner. */
async function fullQuery(): Promise<void> {
  const who = person();
  const rows = between(1, 120);
  const client = Trino.create({ server: envoy.url, auth: new BasicAuth(who.user), source: 'soak', extraHeaders: who.headers });
  const startedAt = Date.now();
  let queryId: string | undefined;
  const seen: unknown[][] = [];
  let failure: { message?: string; errorName?: string } | undefined;
  try {
    for await (const result of await client.query(`SELECT * FROM t /* rows=${rows} duration=${between(0, 400)} */`)) {
      queryId ??= QUERY_ID.test(result.id) ? result.id : undefined;
      failure ??= result.error;
      seen.push(...((result.data ?? []) as unknown[][]));
    }
  } catch (error) {
    return settle('query', queryId, startedAt, `client error: ${(error as Error).message.slice(0, 80)}`);
  }
  if (refusedByRouter(failure)) return settle('query refused by the router (no cluster)', undefined, startedAt, undefined);
  if (failure !== undefined) return settle('query', queryId, startedAt, `${failure.errorName ?? 'FAILED'}: ${failure.message?.slice(0, 80) ?? ''}`);
  const owner = queryId === undefined ? undefined : ownerOf(queryId);
  const from = new Set(seen.map((r) => r[1]));
  if (seen.length !== rows) return settle('query', queryId, startedAt, `${seen.length} of ${rows} rows`);
  if (from.size !== 1 || !from.has(owner)) return settle('query', queryId, startedAt, `rows from ${[...from].join(', ')}, owner ${owner}`);
  settle('query finished', queryId, startedAt, undefined);
}

/** Submission and a poll or two by hand, then a cancel (statement DELETE or DELETE /v1/query). */
async function cancelled(): Promise<void> {
  const who = person();
  const startedAt = Date.now();
  let queryId: string | undefined;
  try {
    const first = await http('POST', `${envoy.url}/v1/statement`, who.headers, `SELECT * FROM t /* rows=200 duration=${between(500, 3000)} */`);
    if (first.body?.id === 'router_refused') return settle('cancel refused by the router (no cluster)', undefined, startedAt, undefined);
    queryId = first.body?.id;
    if (first.status !== 200 || queryId === undefined) return settle('cancel', queryId, startedAt, `submission answered ${first.status}`);
    let next: string | undefined = first.body.nextUri;
    const viaStatement = Math.random() < 0.5;
    // Until its first poll a query is only registered: Trino's DELETE /v1/query/{id} then does
    // nothing (QueuedStatementResource), so that cancel comes after at least one poll.
    for (let i = between(viaStatement ? 0 : 1, 2); i > 0 && next !== undefined; i--) next = (await http('GET', next, who.headers)).body?.nextUri;
    if (next === undefined) return settle('cancel (query already done)', queryId, startedAt, undefined);
    const answer = await fetch(viaStatement ? next : `${envoy.url}/v1/query/${queryId}`, { method: 'DELETE', headers: who.headers });
    await answer.arrayBuffer();
    if (answer.status !== 204) return settle('cancel', queryId, startedAt, `DELETE answered ${answer.status}`);
    const owner = ownerOf(queryId);
    if (owner === undefined || trino[owner].query(queryId)?.cancelled !== true) return settle('cancel', queryId, startedAt, 'the owner never saw the cancel');
    settle(viaStatement ? 'cancel via nextUri' : 'cancel via /v1/query', queryId, startedAt, undefined);
  } catch (error) {
    settle('cancel', queryId, startedAt, `client error: ${(error as Error).message.slice(0, 80)}`);
  }
}

/** A running query's info and UI pages, then its rows, or a kill. */
async function followUps(kill: boolean): Promise<void> {
  const who = person();
  const kind = kill ? 'kill' : 'follow-ups';
  const startedAt = Date.now();
  let queryId: string | undefined;
  try {
    const rows = 60;
    const first = await http('POST', `${envoy.url}/v1/statement`, who.headers, `SELECT * FROM t /* rows=${rows} duration=${between(300, 1500)} */`);
    if (first.body?.id === 'router_refused') return settle(`${kind} refused by the router (no cluster)`, undefined, startedAt, undefined);
    queryId = first.body?.id;
    if (first.status !== 200 || queryId === undefined) return settle(kind, queryId, startedAt, `submission answered ${first.status}`);
    // The query exists from its first poll (before it, /v1/query/{id} is 410, as in Trino).
    let next: string | undefined = first.body.nextUri;
    const firstPoll = await http('GET', next!, who.headers);
    if (firstPoll.status !== 200) return settle(kind, queryId, startedAt, `first poll answered ${firstPoll.status}`);
    let got = (firstPoll.body?.data ?? []).length;
    let failure: { errorName?: string; message?: string } | undefined = firstPoll.body?.error;
    next = firstPoll.body?.nextUri;
    const info = await http('GET', `${envoy.url}/v1/query/${queryId}`, who.headers);
    if (info.status !== 200 || info.body?.queryId !== queryId) return settle(kind, queryId, startedAt, `query info answered ${info.status}`);
    const ui = await http('GET', `${envoy.url}/ui/api/query/${queryId}`, who.headers);
    // Trino's /ui/api/* needs a web UI login the soak clients do not have: 401 is its answer.
    if (ui.status !== 401) return settle(kind, queryId, startedAt, `UI answered ${ui.status}`);
    if (kill) {
      const killed = await fetch(`${envoy.url}/v1/query/${queryId}/killed`, { method: 'PUT', headers: who.headers, body: 'soak' });
      await killed.arrayBuffer();
      // Trino answers 202 when it takes the kill, 409 when the query had finished already.
      if (killed.status !== 202 && killed.status !== 409) return settle(kind, queryId, startedAt, `kill answered ${killed.status}`);
    }
    while (next !== undefined) {
      const page = await http('GET', next, who.headers);
      if (page.status !== 200) return settle(kind, queryId, startedAt, `poll answered ${page.status}`);
      got += (page.body?.data ?? []).length;
      failure ??= page.body?.error;
      next = page.body?.nextUri;
    }
    if (kill) {
      if (failure === undefined && got !== rows) return settle(kind, queryId, startedAt, `killed query ended with ${got} rows and no error`);
      return settle(failure === undefined ? 'kill (query finished first)' : 'kill', queryId, startedAt, undefined);
    }
    if (failure !== undefined || got !== rows) return settle(kind, queryId, startedAt, failure?.errorName ?? `${got} of ${rows} rows`);
    settle('query with info and UI follow-ups', queryId, startedAt, undefined);
  } catch (error) {
    settle(kind, queryId, startedAt, `client error: ${(error as Error).message.slice(0, 80)}`);
  }
}

async function worker(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const r = Math.random();
    if (r < 0.55) await fullQuery();
    else if (r < 0.75) await cancelled();
    else if (r < 0.92) await followUps(false);
    else await followUps(true);
  }
}

// ---- admin churn ----

const blank = { prefixRouting: false, schedules: [], draining: false };
async function adminCall(name: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
    count(adminCalls, `${name}: OK`);
  } catch (error) {
    const code = (error as { code?: number }).code;
    count(adminCalls, `${name}: ${code === undefined ? (error as Error).message : code}`);
  }
}

async function churn(deadline: number): Promise<void> {
  const memberships = [['trino-a', 'trino-b'], ['trino-a'], ['trino-b', 'trino-a'], ['trino-a', 'trino-b'], ['trino-b'], ['trino-b', 'trino-a']];
  for (let i = 0; Date.now() < deadline; i++) {
    switch (i % 6) {
      case 0:
        await adminCall('UpdateGroup', () => admin().groups.updateGroup({
          group: { name: 'adhoc', strategy: '', members: memberships[(i / 6) % memberships.length]!.map((backend) => ({ backend })), isDefault: false },
          updateMask: ['members'],
        }));
        break;
      case 1:
        await adminCall('UpdateRule', () => admin().rules.updateRule({ rule: { name: 'analysts', group: i % 12 === 1 ? 'etl' : 'analysts', requestedGroups: [], noFallback: false }, updateMask: ['group'] }));
        break;
      case 2:
        await adminCall('CreateBackend', () => admin().backends.createBackend({ backend: { name: `churn-${i}`, url: `http://127.0.0.1:1/${i}`, enabled: false, ...blank } }));
        break;
      case 3:
        await adminCall('DeleteBackend', () => admin().backends.deleteBackend({ name: `churn-${i - 1}` }));
        break;
      case 4:
        await adminCall('UpdateBackend', () => admin().backends.updateBackend({ backend: { name: 'trino-a', url: '', maxLoad: between(20, 200), ...blank }, updateMask: ['max_load'] }));
        break;
      default:
        // trino-b is disabled for one admin step in 60 (adhoc may then have no backend: refusals).
        await adminCall(i % 60 === 5 ? 'DisableBackend' : 'EnableBackend', () => (i % 60 === 5
          ? admin().backends.disableBackend({ name: 'trino-b' })
          : admin().backends.enableBackend({ name: 'trino-b' })));
        break;
    }
    routingChanges++;
    if (i % 10 === 0) await adminCall('ExportConfig', () => admin().config.exportConfig({ includeSecrets: false }));
    await sleep(250);
  }
  await adminCall('EnableBackend', () => admin().backends.enableBackend({ name: 'trino-b' }));
}

// ---- faults: a backend hangs, later resets connections, then comes back ----

async function faults(deadline: number): Promise<void> {
  for (let i = 0; Date.now() + 20_000 < deadline; i++) {
    await sleep(10_000);
    const cluster = CLUSTERS[i % 2]!;
    const kind = i % 4 < 2 ? 'hang' : 'reset';
    const window: FaultWindow = { cluster, kind, from: Date.now(), to: Number.POSITIVE_INFINITY };
    faultWindows.push(window);
    trino[cluster].setFault(kind);
    faultsInjected++;
    await sleep(kind === 'hang' ? 3_000 : 4_000);
    trino[cluster].setFault('none');
    // Requests already on the wire when the fault ended may still fail because of it.
    window.to = Date.now() + 1_000;
  }
}

// ---- misrouting, from what each coordinator received ----

interface Misrouting {
  readonly checked: number;
  readonly wrongCluster: string[];
  readonly prefixLeft: string[];
}
function misrouting(): Misrouting {
  let checked = 0;
  const wrongCluster: string[] = [];
  const prefixLeft: string[] = [];
  for (const cluster of CLUSTERS) {
    for (const entry of trino[cluster].requestLog()) {
      // Only what came through Envoy (the router's probes and health checks go direct).
      if (entry.headers['x-forwarded-proto'] === undefined) continue;
      if (entry.path.startsWith('/_tr/')) prefixLeft.push(`${cluster}: ${entry.method} ${entry.path}`);
      const id = QUERY_ID.exec(entry.path)?.[0];
      if (id === undefined) continue;
      checked++;
      if (ownerOf(id) !== cluster) wrongCluster.push(`${cluster}: ${entry.method} ${entry.path}`);
    }
  }
  return { checked, wrongCluster, prefixLeft };
}

// ---- run ----

const start = await metrics();
const startedAt = Date.now();
const deadline = startedAt + MINUTES * 60_000;
console.log(`soak: ${MINUTES} min, ${WORKERS} client workers, admin churn every 250 ms, a backend fault every ~13 s${FLEET ? `, ${REPLICAS} replicas on PostgreSQL restarted every minute` : ''} (router pid ${replicas.map((r) => r.process.pid).join(', ')})`);
/** Router memory every 30 s: [resident, V8 heap used] in bytes. */
const memory: [number, number][] = [[start.get('process_resident_memory_bytes') ?? 0, start.get('nodejs_heap_size_used_bytes') ?? 0]];
const progress = setInterval(() => {
  void metrics().then((now) => {
    memory.push([now.get('process_resident_memory_bytes') ?? 0, now.get('nodejs_heap_size_used_bytes') ?? 0]);
    const done = [...outcomes.values()].reduce((a, b) => a + b, 0);
    console.log(`  ${Math.round((Date.now() - startedAt) / 1000)} s: ${done} runs, ${lost.length} lost, ${faultsInjected} faults, ${routingChanges} routing changes; router resident ${mb(memory.at(-1)![0])}, heap used ${mb(memory.at(-1)![1])}`);
  }, () => undefined);
}, 30_000);
let databaseRestarts = 0;
/** Fleet: the database stopped for 5 s every minute, while everything else goes on. */
async function databaseOutages(deadline: number): Promise<void> {
  if (database === undefined) return;
  while (Date.now() + 65_000 < deadline) {
    await sleep(60_000);
    await database.stop();
    await sleep(5_000);
    await database.start();
    databaseRestarts++;
  }
}
await Promise.all([
  ...Array.from({ length: WORKERS }, () => worker(deadline)),
  churn(deadline),
  faults(deadline),
  databaseOutages(deadline),
]);
clearInterval(progress);
const elapsed = (Date.now() - startedAt) / 1000;
// Let write-behind and the last stream closes settle before the final readings.
await sleep(1_500);
const end = await metrics();
const routed = misrouting();
const envoyStats = envoy.stats();

const print = (title: string, map: Map<string, number>): void => {
  console.log(title);
  if (map.size === 0) console.log('  (none)');
  for (const [key, value] of [...map].sort((a, b) => b[1] - a[1])) console.log(`  ${String(value).padStart(7)}  ${key}`);
};
const runs = [...outcomes.values()].reduce((a, b) => a + b, 0);
console.log('');
console.log(`soak finished after ${elapsed.toFixed(0)} s: ${runs} client runs, ${faultsInjected} backend faults, ${routingChanges} routing changes${FLEET ? `; fleet of ${REPLICAS} replicas on PostgreSQL, ${databaseRestarts} database restarts` : ''}`);
console.log(`misrouted requests: ${routed.wrongCluster.length + routed.prefixLeft.length} (of ${routed.checked} requests naming a query that reached a coordinator through Envoy)`);
console.log(`lost queries: ${lost.length}`);
print('outcomes:', outcomes);
print('errors by kind:', errors);
print('admin calls:', adminCalls);
console.log('router counters:');
console.log(`  requests routed: ${sum(end, 'trino_router_routing_decisions_total', (s) => s.includes('outcome="forwarded"'))}, answered by the router: ${sum(end, 'trino_router_routing_decisions_total', (s) => !s.includes('outcome="forwarded"'))}`);
for (const mechanism of ['rules', 'prefix', 'query_id', 'coordinator_id', 'transaction', 'probe']) {
  const n = sum(end, 'trino_router_routing_decisions_total', (s) => s.includes(`mechanism="${mechanism}"`));
  if (n > 0) console.log(`    by ${mechanism}: ${n}`);
}
for (const [series, value] of end) {
  if (series.startsWith('trino_router_routing_decisions_total') && !series.includes('outcome="forwarded"') && value > 0) {
    console.log(`    replied ${/outcome="([^"]*)"/.exec(series)?.[1]}: ${value}`);
  }
}
console.log(`  edge errors: ${sum(end, 'trino_router_edge_errors_total')}, ext_proc streams still open: ${end.get('trino_router_edge_streams_active{edge="ext_proc"}') ?? 0}`);
console.log(`  queries learned: ${sum(end, 'trino_router_queries_submitted_total')}, ownership entries: ${end.get('trino_router_ownership_entries{map="query_id"}') ?? 0}`);
console.log(`  store write failures: ${sum(end, 'trino_router_write_behind_failures_total')}, dropped: ${sum(end, 'trino_router_write_behind_dropped_total')}`);
console.log(`envoy: ${envoyStats.requests} requests, ${envoyStats.extProcStreams} ext_proc streams, ${envoyStats.extProcErrors} ext_proc errors, local replies ${JSON.stringify(envoyStats.localReplies)}`);
console.log(`router memory${FLEET ? ` (summed over ${REPLICAS} replicas)` : ''}: resident ${mb(start.get('process_resident_memory_bytes'))} at start, ${mb(end.get('process_resident_memory_bytes'))} at end (peak ${mb(Math.max(...memory.map((m) => m[0])))}); V8 heap used ${mb(start.get('nodejs_heap_size_used_bytes'))} at start, ${mb(end.get('nodejs_heap_size_used_bytes'))} at end (samples every 30 s: ${memory.slice(1).map((m) => mb(m[1]).replace(' MB', '')).join(', ')} MB)`);
for (const line of [...routed.wrongCluster, ...routed.prefixLeft].slice(0, 20)) console.log(`  misrouted: ${line}`);
for (const line of lost.slice(0, 20)) console.log(`  lost: ${line}`);

for (const client of admins) client.close();
await envoy.close();
stopping = true;
await Promise.all(replicas.map((r) => r.process.stop()));
await database?.destroy();
await Promise.all(CLUSTERS.map((c) => trino[c].close()));
rmSync(root, { recursive: true, force: true });
process.exit(routed.wrongCluster.length + routed.prefixLeft.length + lost.length === 0 ? 0 : 1);
