/**
 * `npm run bench`: the router's cost per request, side by side with the floor, in one run.
 *
 * Processes (each its own V8): the router (bench/servers/router-server: the real startRouter
 * on config/example.yaml's routing), the floor (bench/servers/floor-server: bare grpc-js
 * ExternalProcessor, fixed answer), the load generator (bench/servers/loadgen: Envoy-like
 * ext_proc client), and one-off children for the engine and memory scenarios. Router and floor
 * are measured in alternating slices (ABBA order) so both see the same machine; every figure
 * is the median of several slices and the ratios are computed per slice pair.
 *
 * Scenario 9 adds a third process, the same router on a throwaway PostgreSQL of its own
 * (router-server's start({ postgres: true })), measured in the same rotation as the SQLite
 * router and the floor.
 *
 * Options: --quick (fewer and shorter slices), --reps N, --no-profile, --client grpc-js,
 * --only unix-socket (just the Unix-socket-against-TCP scenario), --only store (just the
 * PostgreSQL-against-SQLite scenario), --only engine (just section 3, no servers started),
 * --only statement-facts (just scenario 10), --only queue (the gateway queue's costs, in process).
 * Writes bench/results/bench-<time>.json and prints the tables.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './lib/bench-config.js';
import { Child, sibling } from './lib/ipc.js';
import { summarizeProfile } from './lib/profile-summary.js';
import { median, range } from './lib/stats.js';
import { fmt, fmtInt, fmtMb, fmtMs, table, type Row } from './lib/table.js';
import type { Usage } from './lib/usage.js';
import type { FleetResult } from './scenarios/fleet.js';
import type { StatementSizeResult, SubmissionPathResult } from './scenarios/statement.js';
import type { MaxResult, RateResult } from './servers/loadgen.js';

// ---- options ----

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const repsArg = argv.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(argv[repsArg + 1]) : quick ? 3 : 5;
const PROFILE = !argv.includes('--no-profile');
const ONLY = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const ONLY_SCENARIOS = ['unix-socket', 'store', 'engine', 'statement-facts', 'queue'];
if (ONLY !== undefined && !ONLY_SCENARIOS.includes(ONLY)) throw new Error(`--only: unknown scenario ${ONLY} (known: ${ONLY_SCENARIOS.join(', ')})`);
const CLIENT = argv.includes('--client') ? (argv[argv.indexOf('--client') + 1] as 'h2' | 'grpc-js') : 'h2';
const CONCURRENCY = 64;
const MAX_WARMUP_MS = 500;
const MAX_MS = quick ? 1500 : 2500;
const RATE_WARMUP_MS = 1000;
const RATE_MS = quick ? 3000 : 5000;
const LOW_RATE_MS = quick ? 4000 : 8000;
const LATENCY_REPS = quick ? 3 : Math.max(3, REPS - 2);
const FOLLOW_UP_IDS = quick ? 2000 : 5000;
const MEMORY_IDS = 1_000_000;
const FLEET_CHANGES = 200;
const FLEET_ROWS = quick ? 200_000 : 1_000_000;

const here = import.meta.url;
const root = repoRoot();
const resultsDir = join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const problems: string[] = [];
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

// ---- processes ----

/** `router`: on SQLite (every scenario but 9); `router-pg`: the same router on PostgreSQL (scenario 9). */
type ServerName = 'router' | 'floor' | 'router-pg';

// Section 3 alone runs in its own child: the servers and the load generator are not started.
const IN_PROCESS_ONLY = ONLY === 'engine' || ONLY === 'statement-facts' || ONLY === 'queue';
const servers: Record<ServerName, Child> = IN_PROCESS_ONLY ? ({} as Record<ServerName, Child>) : {
  floor: Child.start('floor', sibling(here, './servers/floor-server'), { logFile: join(resultsDir, `floor-${stamp}.log`) }),
  router: Child.start('router', sibling(here, './servers/router-server'), { logFile: join(resultsDir, `router-${stamp}.log`) }),
  'router-pg': Child.start('router-pg', sibling(here, './servers/router-server'), { logFile: join(resultsDir, `router-pg-${stamp}.log`) }),
};
const load = IN_PROCESS_ONLY ? (undefined as unknown as Child) : Child.start('loadgen', sibling(here, './servers/loadgen'));

interface Slice {
  readonly rps: number;
  /** Server CPU (all threads) per answered request, µs. */
  readonly cpuUsPerRequest: number;
  /** Share of the slice the server's event loop was busy. */
  readonly eventLoopBusy: number;
  readonly clientCpuUsPerRequest: number;
  readonly completed: number;
}

function delta(a: Usage, b: Usage) {
  const active = b.eluActiveMs - a.eluActiveMs;
  const idle = b.eluIdleMs - a.eluIdleMs;
  return { cpuUs: b.cpuUs - a.cpuUs, busy: active / (active + idle) };
}

function check(what: string, r: { failed: number; refused: number; wrong: number; problem: string | undefined }): void {
  if (r.failed > 0 || r.refused > 0 || r.wrong > 0) {
    problems.push(`${what}: ${r.failed} failed, ${r.refused} not routed, ${r.wrong} routed wrong${r.problem === undefined ? '' : ` (${r.problem})`}`);
  }
}

async function maxSlice(server: ServerName, workload: string, connection: string = `${server}/${CLIENT}`): Promise<Slice> {
  const before = await servers[server].call<Usage>('usage');
  const r = await load.call<MaxResult>('max', {
    target: connection, workload, concurrency: CONCURRENCY, warmupMs: MAX_WARMUP_MS, durationMs: MAX_MS, isRouter: server !== 'floor',
  });
  const after = await servers[server].call<Usage>('usage');
  check(`${server} ${workload} max`, r);
  // CPU is read around the whole call (warm-up and tail included): per request over all of it.
  const d = delta(before, after);
  const total = r.completed * ((MAX_WARMUP_MS + MAX_MS) / MAX_MS);
  return { rps: r.rps, cpuUsPerRequest: d.cpuUs / total, eventLoopBusy: d.busy, clientCpuUsPerRequest: r.clientCpuUs / r.completed, completed: r.completed };
}

async function rateSlice(server: ServerName, workload: string, rps: number, ms: number, connection: string = `${server}/${CLIENT}`): Promise<RateResult> {
  const r = await load.call<RateResult>('rate', {
    target: connection, workload, rps, warmupMs: RATE_WARMUP_MS, durationMs: ms, isRouter: server !== 'floor',
  });
  check(`${server} ${workload} at ${rps}/s`, r);
  return r;
}

/** ABBA: even reps floor first, odd reps router first. */
function order(rep: number): ('router' | 'floor')[] {
  return rep % 2 === 0 ? ['floor', 'router'] : ['router', 'floor'];
}

// ---- scenarios ----

interface Pair<T> {
  readonly router: T[];
  readonly floor: T[];
}

/** Router on SQLite, router on PostgreSQL and the floor, slice for slice. */
interface StoreTrio {
  readonly floor: Slice[];
  readonly sqlite: Slice[];
  readonly postgres: Slice[];
}

interface StoreResult {
  readonly workloads: Record<string, StoreTrio>;
  readonly learned: Record<'sqlite' | 'postgres', { learned: number; refused: number }>;
}

const STORE_WORKLOADS = ['submit-1k', 'followup-queryid'] as const;

/**
 * Scenario 9: the request path on the fleet store. Starts router-pg (its own throwaway
 * PostgreSQL); both routers learn the same query ids through the response path (ownership
 * written behind to SQLite / PostgreSQL), then max-throughput slices rotate over floor, SQLite
 * router and PostgreSQL router (a different one first in each rep, reversed every other rep).
 * Ratios are per rep: router/floor for each store, and PostgreSQL's over SQLite's.
 */
async function storeScenario(): Promise<StoreResult> {
  const { port } = await servers['router-pg'].call<{ port: number }>('start', { postgres: true });
  await load.call('connect', { target: `router-pg/${CLIENT}`, port, client: CLIENT });
  const learned = {
    sqlite: await load.call<{ learned: number; refused: number }>('learn', { target: `router/${CLIENT}`, concurrency: 32 }),
    postgres: await load.call<{ learned: number; refused: number }>('learn', { target: `router-pg/${CLIENT}`, concurrency: 32 }),
  };
  for (const [store, l] of Object.entries(learned)) {
    if (l.learned !== FOLLOW_UP_IDS) problems.push(`store scenario, ${store}: ${l.learned} of ${FOLLOW_UP_IDS} query ids learned (${l.refused} refused)`);
  }
  const trio: ServerName[] = ['floor', 'router', 'router-pg'];
  const workloads: Record<string, StoreTrio> = {};
  for (const workload of STORE_WORKLOADS) {
    for (const server of trio) await maxSlice(server, workload); // warm-up
    const out = { floor: [] as Slice[], sqlite: [] as Slice[], postgres: [] as Slice[] };
    for (let rep = 0; rep < REPS; rep++) {
      const rotated = [...trio.slice(rep % 3), ...trio.slice(0, rep % 3)];
      for (const server of rep % 2 === 0 ? rotated : rotated.reverse()) {
        const slice = await maxSlice(server, workload);
        (server === 'floor' ? out.floor : server === 'router' ? out.sqlite : out.postgres).push(slice);
      }
    }
    workloads[workload] = out;
  }
  await servers['router-pg'].call('stop');
  return { workloads, learned };
}

function storeTable(result: StoreResult): string {
  const rows: Row[] = [];
  for (const [workload, t] of Object.entries(result.workloads)) {
    const perRep = (xs: Slice[]): number[] => xs.map((x, i) => x.rps / t.floor[i]!.rps);
    const sqlite = perRep(t.sqlite);
    const postgres = perRep(t.postgres);
    const relative = postgres.map((p, i) => p / sqlite[i]!);
    rows.push([`${workload}: requests/s`, fmtInt(med(t.sqlite.map((x) => x.rps))), fmtInt(med(t.postgres.map((x) => x.rps))), fmtInt(med(t.floor.map((x) => x.rps))), '', '']);
    rows.push([`${workload}: router/floor`, `${fmt(med(sqlite))} (${spread(sqlite)})`, `${fmt(med(postgres))} (${spread(postgres)})`, '', '', '']);
    rows.push([`${workload}: PostgreSQL / SQLite (router/floor)`, '', `${fmt(med(relative))} (${spread(relative)})`, '', '>= 0.95', verdict(med(relative) >= 0.95)]);
    // The database server shares the machine: the router's own CPU per request tells its cost
    // apart from the CPU the PostgreSQL server takes from it.
    const cpu = t.postgres.map((p, i) => p.cpuUsPerRequest / t.sqlite[i]!.cpuUsPerRequest);
    rows.push([`${workload}: router CPU us/request`, fmt(med(t.sqlite.map((x) => x.cpuUsPerRequest)), 0), fmt(med(t.postgres.map((x) => x.cpuUsPerRequest)), 0), fmt(med(t.floor.map((x) => x.cpuUsPerRequest)), 0), `PG/SQLite ${fmt(med(cpu))}`, '']);
  }
  return table(`9. The request path on PostgreSQL against SQLite (ext_proc, 1 KB auth; ${FOLLOW_UP_IDS} query ids learned by each router; max rate, ${REPS} rotations)`, ['', 'SQLite', 'PostgreSQL', 'floor', 'goal', ''], rows);
}

async function storeOnly(): Promise<void> {
  const started = Date.now();
  const [floorStart, routerStart] = await Promise.all([
    servers.floor.call<{ port: number }>('start'),
    servers.router.call<{ port: number }>('start'),
  ]);
  await load.call('setup', { followUps: FOLLOW_UP_IDS });
  await load.call('connect', { target: `floor/${CLIENT}`, port: floorStart.port, client: CLIENT });
  await load.call('connect', { target: `router/${CLIENT}`, port: routerStart.port, client: CLIENT });
  log(`9. PostgreSQL against SQLite: ${REPS} rotations of floor, SQLite router and PostgreSQL router per workload`);
  const result = await storeScenario();
  await load.call('close');
  await load.stop();
  await servers.router.call('stop');
  await Promise.all([servers.router.stop(), servers.floor.stop(), servers['router-pg'].stop()]);
  const info = machine();
  const report = `trino-envoy-router benchmark (--only store): ${new Date(started).toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s; machine: ${info.cpu}, ${info.cores} cores; commit ${info.commit}\n\n${storeTable(result)}`;
  if (problems.length > 0) process.stdout.write(`\nPROBLEMS (figures may be invalid):\n${problems.map((x) => `  - ${x}`).join('\n')}\n`);
  process.stdout.write(`\n${report}\n`);
  const jsonPath = join(resultsDir, `bench-store-${stamp}.json`);
  writeFileSync(jsonPath, JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`, startedAt: new Date(started).toISOString(), settings: { reps: REPS, client: CLIENT, maxMs: MAX_MS, followUpIds: FOLLOW_UP_IDS }, store: result, problems, report }, null, 1));
  process.stdout.write(`\nresults: ${jsonPath}\n`);
  if (problems.length > 0) process.exitCode = 1;
}

async function throughput(workload: string): Promise<Pair<Slice>> {
  const out: Pair<Slice> = { router: [], floor: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const server of order(rep)) out[server].push(await maxSlice(server, workload));
  }
  return out;
}

async function latency(workload: string, rps: number, ms: number): Promise<Pair<RateResult>> {
  const out: Pair<RateResult> = { router: [], floor: [] };
  for (let rep = 0; rep < LATENCY_REPS; rep++) {
    for (const server of order(rep)) out[server].push(await rateSlice(server, workload, rps, ms));
  }
  return out;
}

type Transport = 'tcp' | 'unix';
const TRANSPORTS: readonly Transport[] = ['tcp', 'unix'];
const connectionOf = (server: ServerName, transport: Transport): string => (transport === 'tcp' ? `${server}/${CLIENT}` : `${server}/unix`);

interface UnixSocketResult {
  readonly lowRate: number;
  readonly throughput: Record<Transport, Pair<Slice>>;
  readonly latency: Record<Transport, Pair<RateResult>>;
}

/**
 * The sidecar topology's transport: router and floor each over loopback TCP and over a Unix
 * socket (a second router and a second floor binding in the same processes), max throughput
 * (submit-1k) and latency at the low rate. Slices alternate server and transport.
 */
async function unixSocketScenario(lowRate: number): Promise<UnixSocketResult> {
  const { socketPath: routerSocket } = await servers.router.call<{ socketPath: string }>('startUnix');
  const floorSocket = routerSocket.replace(/ext-proc\.sock$/, 'floor.sock');
  await servers.floor.call('startUnix', { socketPath: floorSocket });
  await load.call('connect', { target: 'router/unix', port: 0, socketPath: routerSocket, client: CLIENT });
  await load.call('connect', { target: 'floor/unix', port: 0, socketPath: floorSocket, client: CLIENT });
  for (const server of ['floor', 'router'] as const) await maxSlice(server, 'submit-1k', connectionOf(server, 'unix'));
  const throughputOut: Record<Transport, Pair<Slice>> = { tcp: { router: [], floor: [] }, unix: { router: [], floor: [] } };
  const latencyOut: Record<Transport, Pair<RateResult>> = { tcp: { router: [], floor: [] }, unix: { router: [], floor: [] } };
  for (let rep = 0; rep < REPS; rep++) {
    for (const transport of rep % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse()) {
      for (const server of order(rep)) throughputOut[transport][server].push(await maxSlice(server, 'submit-1k', connectionOf(server, transport)));
    }
  }
  for (let rep = 0; rep < LATENCY_REPS; rep++) {
    for (const transport of rep % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse()) {
      for (const server of order(rep)) latencyOut[transport][server].push(await rateSlice(server, 'submit-1k', lowRate, LOW_RATE_MS, connectionOf(server, transport)));
    }
  }
  return { lowRate, throughput: throughputOut, latency: latencyOut };
}

function unixSocketTable(result: UnixSocketResult): string {
  const rows: Row[] = [];
  for (const transport of TRANSPORTS) {
    const p = result.throughput[transport];
    const r = ratios(p, (x) => x.rps);
    const lat = result.latency[transport];
    const p50 = (xs: RateResult[]): number => med(xs.map((x) => x.latencyMs.p50));
    const p99 = (xs: RateResult[]): number => med(xs.map((x) => x.latencyMs.p99));
    rows.push([`${transport}: requests/s (submit-1k max)`, fmtInt(med(p.router.map((x) => x.rps))), fmtInt(med(p.floor.map((x) => x.rps))), `${fmt(med(r))} (${spread(r)})`]);
    rows.push([`${transport}: p50 at ${result.lowRate}/s`, fmtMs(p50(lat.router)), fmtMs(p50(lat.floor)), fmtMs(p50(lat.router) - p50(lat.floor))]);
    rows.push([`${transport}: p99 at ${result.lowRate}/s`, fmtMs(p99(lat.router)), fmtMs(p99(lat.floor)), fmtMs(p99(lat.router) - p99(lat.floor))]);
  }
  return table('8. Unix socket (sidecar) against loopback TCP: ext_proc submissions, 1 KB auth', ['', 'router', 'floor', 'router/floor or added'], rows);
}

async function unixSocketOnly(): Promise<void> {
  const started = Date.now();
  const [floorStart, routerStart] = await Promise.all([
    servers.floor.call<{ port: number }>('start'),
    servers.router.call<{ port: number }>('start'),
  ]);
  await load.call('setup', { followUps: FOLLOW_UP_IDS });
  await load.call('connect', { target: `floor/${CLIENT}`, port: floorStart.port, client: CLIENT });
  await load.call('connect', { target: `router/${CLIENT}`, port: routerStart.port, client: CLIENT });
  log('warm-up (TCP)');
  const warm = await maxSlice('floor', 'submit-1k');
  await maxSlice('router', 'submit-1k');
  const lowRate = Math.max(20, Math.min(500, Math.round(warm.rps / 20 / 10) * 10));
  log(`8. Unix socket against TCP: ${REPS} max slices and ${LATENCY_REPS} latency slices at ${lowRate}/s per server and transport`);
  const result = await unixSocketScenario(lowRate);
  await load.call('close');
  await servers.router.call('stop');
  await Promise.all([servers.router.stop(), servers.floor.stop(), servers['router-pg'].stop()]);
  const report = `trino-envoy-router benchmark (--only unix-socket): ${new Date(started).toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s; machine: ${machine().cpu}, ${machine().cores} cores\n\n${unixSocketTable(result)}`;
  if (problems.length > 0) process.stdout.write(`\nPROBLEMS (figures may be invalid):\n${problems.map((x) => `  - ${x}`).join('\n')}\n`);
  process.stdout.write(`\n${report}\n`);
  const jsonPath = join(resultsDir, `bench-unix-socket-${stamp}.json`);
  writeFileSync(jsonPath, JSON.stringify({ startedAt: new Date(started).toISOString(), settings: { reps: REPS, latencyReps: LATENCY_REPS, client: CLIENT, lowRate }, unixSocket: result, problems, report }, null, 1));
  process.stdout.write(`\nresults: ${jsonPath}\n`);
  if (problems.length > 0) process.exitCode = 1;
}

async function churn(workload: string, rps: number): Promise<{ quiet: RateResult[]; churn: RateResult[]; changeMs: number[] }> {
  const out = { quiet: [] as RateResult[], churn: [] as RateResult[], changeMs: [] as number[] };
  for (let rep = 0; rep < LATENCY_REPS; rep++) {
    for (const mode of rep % 2 === 0 ? ['quiet', 'churn'] as const : ['churn', 'quiet'] as const) {
      if (mode === 'churn') await servers.router.call('churn', { perSecond: 10 });
      const r = await rateSlice('router', workload, rps, RATE_MS);
      if (mode === 'churn') {
        const done = await servers.router.call<{ changes: number; changeMs: number[] }>('churn', { perSecond: 0 });
        out.changeMs.push(...done.changeMs);
        const expected = ((RATE_WARMUP_MS + RATE_MS) / 1000) * 10;
        if (done.changes < expected * 0.8) problems.push(`churn: only ${done.changes} changes in a slice (expected ~${expected})`);
      }
      out[mode].push(r);
    }
  }
  return out;
}

// ---- helpers for the report ----

const med = (xs: readonly number[]): number => median(xs);
const ratios = (p: Pair<Slice>, f: (s: Slice) => number): number[] => p.router.map((r, i) => f(r) / f(p.floor[i]!));
const spread = (xs: readonly number[], digits = 2): string => {
  const [lo, hi] = range(xs);
  return `${lo.toFixed(digits)}-${hi.toFixed(digits)}`;
};
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

function machine() {
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    dirty = execSync('git status --porcelain', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
  } catch {
    // not a git checkout
  }
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version, platform: `${process.platform} ${process.arch}`, commit: `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
  };
}

// ---- main ----

async function main(): Promise<void> {
  const started = Date.now();
  const info = machine();
  const loadBefore = loadavg();
  log(`machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  const [floorStart, routerStart] = await Promise.all([
    servers.floor.call<{ port: number }>('start'),
    servers.router.call<{ port: number }>('start'),
  ]);
  await load.call('setup', { followUps: FOLLOW_UP_IDS });
  await load.call('connect', { target: `floor/${CLIENT}`, port: floorStart.port, client: CLIENT });
  await load.call('connect', { target: `router/${CLIENT}`, port: routerStart.port, client: CLIENT });
  if (CLIENT === 'h2') await load.call('connect', { target: 'floor/grpc-js', port: floorStart.port, client: 'grpc-js' });

  log('warm-up');
  for (const server of ['floor', 'router'] as const) {
    await maxSlice(server, 'submit-1k');
    await maxSlice(server, 'submit-16k');
  }

  log(`1. throughput, ${REPS} slice pairs per workload`);
  const tp1k = await throughput('submit-1k');
  const tp16k = await throughput('submit-16k');
  const grpcJsClient: Slice[] = [];
  if (CLIENT === 'h2') {
    for (let i = 0; i < 2; i++) grpcJsClient.push(await maxSlice('floor', 'submit-1k', 'floor/grpc-js'));
  }

  const floorMax = med(tp1k.floor.map((s) => s.rps));
  const halfRate = Math.max(50, Math.round(floorMax / 2 / 10) * 10);
  const lowRate = Math.max(20, Math.min(500, Math.round(floorMax / 20 / 10) * 10));
  log(`2. latency at ${halfRate}/s (half the floor's max) and ${lowRate}/s, ${LATENCY_REPS} slice pairs each`);
  const latHalf = await latency('submit-1k', halfRate, RATE_MS);
  const latLow = await latency('submit-1k', lowRate, LOW_RATE_MS);

  log(`8. Unix socket against TCP at ${lowRate}/s`);
  const unixSocket = await unixSocketScenario(lowRate);

  log(`5. churn: 10 changes/s against quiet, at ${halfRate}/s`);
  const churned = await churn('submit-1k', halfRate);

  log(`4. follow-ups: learning ${FOLLOW_UP_IDS} query ids through the response path`);
  const learned = await load.call<{ learned: number; refused: number }>('learn', { target: `router/${CLIENT}`, concurrency: 32 });
  if (learned.learned !== FOLLOW_UP_IDS) problems.push(`learn: ${learned.learned} of ${FOLLOW_UP_IDS} query ids learned (${learned.refused} refused)`);
  const fuPrefix = await throughput('followup-prefix');
  const fuQueryId = await throughput('followup-queryid');

  log(`9. PostgreSQL against SQLite: ${REPS} rotations of floor, SQLite router and PostgreSQL router per workload`);
  const storeCompared = await storeScenario();

  let profiles: { floor: ReturnType<typeof summarizeProfile>; router: ReturnType<typeof summarizeProfile>; floorSlice: Slice; routerSlice: Slice; files: string[] } | undefined;
  if (PROFILE) {
    log('profiles of one max-throughput slice each (submit-1k)');
    const files: string[] = [];
    const sliceOf: Partial<Record<ServerName, Slice>> = {};
    const summaries: Partial<Record<ServerName, ReturnType<typeof summarizeProfile>>> = {};
    for (const server of ['floor', 'router'] as const) {
      await servers[server].call('startProfile');
      sliceOf[server] = await maxSlice(server, 'submit-1k');
      const file = await servers[server].call<string>('stopProfile', { path: join(resultsDir, `${server}-${stamp}.cpuprofile`) });
      files.push(file);
      summaries[server] = summarizeProfile(file);
    }
    profiles = { floor: summaries.floor!, router: summaries.router!, floorSlice: sliceOf.floor!, routerSlice: sliceOf.router!, files };
  }

  await load.call('close');
  await load.stop();
  await servers.router.call('stop');
  await Promise.all([servers.router.stop(), servers.floor.stop(), servers['router-pg'].stop()]);

  const engine = await engineScenario();

  log(`6. memory with ${MEMORY_IDS.toLocaleString('en-US')} query ids`);
  const memoryChild = Child.start('memory', sibling(here, './scenarios/memory'), { execArgv: ['--expose-gc'] });
  const memory = await memoryChild.call<MemoryResult>('run', { count: MEMORY_IDS });
  await memoryChild.stop();

  log(`7. the fleet store on PostgreSQL: ${FLEET_CHANGES} changes across 3 replicas, ${FLEET_ROWS.toLocaleString('en-US')} ownership rows`);
  const fleetChild = Child.start('fleet', sibling(here, './scenarios/fleet'));
  const fleet = await fleetChild.call<FleetResult>('run', { changes: FLEET_CHANGES, rows: FLEET_ROWS });
  await fleetChild.stop();

  const statementFacts = await runStatementFacts();

  const loadAfter = loadavg();
  const seconds = (Date.now() - started) / 1000;

  // ---- report ----
  const out: string[] = [];
  out.push(`trino-envoy-router benchmark: ${new Date(started).toISOString()}, ${seconds.toFixed(0)} s`);
  out.push(`machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGb} GB, ${info.platform}, Node ${info.node}; commit ${info.commit}`);
  out.push(`load average before/after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
  out.push(`client: ${CLIENT === 'h2' ? 'bench HTTP/2 gRPC client (one connection, one stream per request)' : 'grpc-js (one channel, one stream per request)'}; ${CONCURRENCY} requests outstanding for max rates; medians of ${REPS} alternating slices of ${MAX_MS / 1000} s (latency: ${LATENCY_REPS} slices)`);
  out.push('');

  const tpRows = (name: string, p: Pair<Slice>): Row[] => {
    const r = ratios(p, (s) => s.rps);
    const cpu = p.floor.map((f, i) => f.cpuUsPerRequest / p.router[i]!.cpuUsPerRequest);
    return [
      [`${name}: requests/s`, fmtInt(med(p.router.map((s) => s.rps))), fmtInt(med(p.floor.map((s) => s.rps))), `${fmt(med(r))} (${spread(r)})`, '>= 0.85', verdict(med(r) >= 0.85)],
      [`${name}: server CPU us/request`, fmt(med(p.router.map((s) => s.cpuUsPerRequest)), 0), fmt(med(p.floor.map((s) => s.cpuUsPerRequest)), 0), `${fmt(med(cpu))} (${spread(cpu)})`, 'floor/router', ''],
      [`${name}: server event loop busy`, fmt(med(p.router.map((s) => s.eventLoopBusy))), fmt(med(p.floor.map((s) => s.eventLoopBusy))), '', '', ''],
    ];
  };
  const rows1: Row[] = [...tpRows('submission, 1 KB auth', tp1k), ...tpRows('submission, 16 KB auth', tp16k)];
  if (grpcJsClient.length > 0) {
    rows1.push(['floor with the grpc-js client: requests/s', '', fmtInt(med(grpcJsClient.map((s) => s.rps))), '', '', '']);
    rows1.push(['  client CPU us/request: grpc-js vs bench client', fmt(med(grpcJsClient.map((s) => s.clientCpuUsPerRequest)), 0), fmt(med(tp1k.floor.map((s) => s.clientCpuUsPerRequest)), 0), '', '', '']);
  }
  out.push(table('1. Throughput: max rate of one process, router vs bare grpc-js floor', ['', 'router', 'floor', 'router/floor', 'goal', ''], rows1));
  out.push('');

  const latRows = (name: string, p: Pair<RateResult>): Row[] => {
    const pick = (k: 'p50' | 'p99' | 'p999') => {
      const r = med(p.router.map((x) => x.latencyMs[k]));
      const f = med(p.floor.map((x) => x.latencyMs[k]));
      const added = med(p.router.map((x, i) => x.latencyMs[k] - p.floor[i]!.latencyMs[k]));
      return [r, f, added] as const;
    };
    const rows: Row[] = [];
    for (const k of ['p50', 'p99', 'p999'] as const) {
      const [r, f, added] = pick(k);
      const goal = k === 'p99' ? '< 0.5 ms' : '';
      rows.push([`${name} ${k === 'p999' ? 'p99.9' : k}`, fmtMs(r), fmtMs(f), fmtMs(added), goal, k === 'p99' ? verdict(added < 0.5) : '']);
    }
    return rows;
  };
  out.push(table(
    `2. Latency at a fixed offered rate (submission, 1 KB auth; samples per slice: ${fmtInt(latHalf.router[0]?.answered ?? 0)} and ${fmtInt(latLow.router[0]?.answered ?? 0)})`,
    ['', 'router', 'floor', 'added', 'goal', ''],
    [...latRows(`${halfRate}/s (half floor max)`, latHalf), ...latRows(`${lowRate}/s (low)`, latLow)],
  ));
  out.push('');

  out.push(engineTable(engine));
  out.push('');

  const fuRows = (name: string, p: Pair<Slice>): Row => {
    const r = ratios(p, (s) => s.rps);
    return [name, fmtInt(med(p.router.map((s) => s.rps))), fmtInt(med(p.floor.map((s) => s.rps))), `${fmt(med(r))} (${spread(r)})`, '', ''];
  };
  out.push(table(`4. Follow-ups (nextUri polls, 1 KB auth): max requests/s (${FOLLOW_UP_IDS} query ids learned through responses)`, ['', 'router', 'floor', 'router/floor', '', ''], [
    fuRows('prefix-routed (verify + re-sign)', fuPrefix),
    fuRows('query-id-routed (ownership lookup)', fuQueryId),
  ]));
  out.push('');

  const churnRatio = churned.churn.map((c, i) => c.latencyMs.p99 / churned.quiet[i]!.latencyMs.p99);
  out.push(table(`5. Churn: 10 routing changes/s (store transaction + snapshot swap, as the admin API does) at ${halfRate}/s`, ['', 'churn', 'quiet', 'churn/quiet', 'goal', ''], [
    ['p50', fmtMs(med(churned.churn.map((r) => r.latencyMs.p50))), fmtMs(med(churned.quiet.map((r) => r.latencyMs.p50))), '', '', ''],
    ['p99', fmtMs(med(churned.churn.map((r) => r.latencyMs.p99))), fmtMs(med(churned.quiet.map((r) => r.latencyMs.p99))), `${fmt(med(churnRatio))} (${spread(churnRatio)})`, '<= 1.2', verdict(med(churnRatio) <= 1.2)],
    ['p99.9', fmtMs(med(churned.churn.map((r) => r.latencyMs.p999))), fmtMs(med(churned.quiet.map((r) => r.latencyMs.p999))), '', '', ''],
    ['one change (event loop blocked): median / max', fmtMs(med(churned.changeMs)), fmtMs(Math.max(...churned.changeMs)), `${churned.changeMs.length} changes`, '', ''],
  ]));
  out.push('');

  out.push(table(`6. Memory: OwnershipIndex with ${fmtInt(memory.count)} query ids (after GC)`, ['', 'value', '', '', 'goal', ''], [
    ['process RSS with the ids', fmtMb(memory.after.rssBytes), '', '', '< 250 MB', verdict(memory.after.rssBytes < 250 * 1024 * 1024)],
    ['process RSS before (empty index)', fmtMb(memory.before.rssBytes), '', '', '', ''],
    ['V8 heap used with the ids / per id', fmtMb(memory.after.heapUsedBytes), `${fmt((memory.after.heapUsedBytes - memory.before.heapUsedBytes) / memory.count, 0)} B`, '', '', ''],
  ]));

  out.push('');
  const own = fleet.ownership;
  out.push(table(`7. Fleet store (PostgreSQL on loopback): change propagation over ${fleet.changes} changes, and ${fmtInt(own.postgres.rows)} ownership rows`, ['', 'PostgreSQL', 'SQLite', '', 'goal', ''], [
    ['admin change committed -> all 3 replicas route by it: p50', fmtMs(fleet.propagationMs.p50), '', '', '', ''],
    ['  p99 / max', fmtMs(fleet.propagationMs.p99), '', fmtMs(fleet.propagationMs.max), '< 100 ms', verdict(fleet.propagationMs.p99 < 100)],
    [`write ${fmtInt(own.postgres.rows)} owners in journal batches of 10,000`, fmtMs(own.postgres.writeMs), fmtMs(own.sqlite.writeMs), '', '', ''],
    ['warm start: read them all back (restore)', fmtMs(own.postgres.restoreMs), fmtMs(own.sqlite.restoreMs), '', '', ''],
    [`prune the oldest ${fmtInt(own.postgres.pruned)} beyond the row cap`, fmtMs(own.postgres.pruneMs), fmtMs(own.sqlite.pruneMs), '', '', ''],
  ]));

  out.push('', statementFactsTable(statementFacts));

  if (profiles !== undefined) {
    out.push('');
    const perRequest = (s: ReturnType<typeof summarizeProfile>, slice: Slice, layer: string): number => {
      const share = s.layers.find((l) => l.layer === layer)?.share ?? 0;
      return (share * s.busyMs * 1000) / (slice.completed * ((MAX_WARMUP_MS + MAX_MS) / MAX_MS));
    };
    const layers = [...new Set([...profiles.router.layers, ...profiles.floor.layers].map((l) => l.layer))];
    const rows = layers
      .map((layer) => [layer, perRequest(profiles!.router, profiles!.routerSlice, layer), perRequest(profiles!.floor, profiles!.floorSlice, layer)] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([layer, r, f]): Row => [layer, fmt(r, 1), fmt(f, 1), `${r - f >= 0 ? '+' : ''}${fmt(r - f, 1)}`]);
    out.push(table('Where the time goes: main-thread CPU us/request by layer (sampled profile, one submit-1k max slice each)', ['layer', 'router', 'floor', 'difference'], rows));
  }
  out.push('');
  out.push(unixSocketTable(unixSocket));
  out.push('');
  out.push(storeTable(storeCompared));
  if (problems.length > 0) {
    out.push('');
    out.push('PROBLEMS (figures above may be invalid):');
    for (const p of problems) out.push(`  - ${p}`);
  }
  const report = out.join('\n');
  process.stdout.write(`\n${report}\n`);

  const jsonPath = join(resultsDir, `bench-${stamp}.json`);
  writeFileSync(jsonPath, JSON.stringify({
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    startedAt: new Date(started).toISOString(), seconds, machine: info, loadBefore, loadAfter,
    settings: { reps: REPS, latencyReps: LATENCY_REPS, client: CLIENT, concurrency: CONCURRENCY, maxMs: MAX_MS, rateMs: RATE_MS, lowRateMs: LOW_RATE_MS, halfRate, lowRate, followUpIds: FOLLOW_UP_IDS },
    throughput: { 'submit-1k': tp1k, 'submit-16k': tp16k, grpcJsClientFloor: grpcJsClient },
    latency: { half: latHalf, low: latLow }, unixSocket,
    engine, followUps: { learned, prefix: fuPrefix, queryId: fuQueryId }, churn: churned, memory, fleet, store: storeCompared, statementFacts,
    profiles: profiles === undefined ? undefined : { files: profiles.files, router: profiles.router, floor: profiles.floor },
    problems, report,
  }, null, 1));
  process.stdout.write(`\nresults: ${jsonPath}\n`);
  if (problems.length > 0) process.exitCode = 1;
}

interface EngineResult {
  readonly example: { rules: number; backends: number; median: number; runs: number[] };
  readonly large: { rules: number; backends: number; groups: number; median: number; runs: number[] };
  readonly requestPath: Record<string, { routerUs: number; floorUs: number }>;
}

interface MemoryResult {
  readonly count: number;
  readonly before: { rssBytes: number; heapUsedBytes: number };
  readonly after: { rssBytes: number; heapUsedBytes: number };
  readonly learnMs: number;
}

async function engineScenario(): Promise<EngineResult> {
  log('3. routing engine and the request path in-process');
  const engineChild = Child.start('engine', sibling(here, './scenarios/engine'));
  const engine = await engineChild.call<EngineResult>('run', { rounds: REPS, ms: quick ? 300 : 500 });
  await engineChild.stop();
  return engine;
}

function engineTable(engine: EngineResult): string {
  const rp = engine.requestPath;
  return table('3. Routing engine alone (decide) and the request path in-process (decode, edge, route, encode)', ['', 'value', '', '', 'goal', ''], [
    [`example config (${engine.example.rules} rules, ${engine.example.backends} backends): decisions/s`, fmtInt(engine.example.median), '', `(${spread(engine.example.runs.map((x) => x / 1e6))} M)`, '>= 1,000,000', verdict(engine.example.median >= 1e6)],
    [`${engine.large.rules} rules, ${engine.large.backends} backends, ${engine.large.groups} groups: decisions/s`, fmtInt(engine.large.median), '', `(${spread(engine.large.runs, 0)})`, '', ''],
    ...Object.entries(rp).map(([name, v]): Row => [`request path ${name}: us/request router / floor`, fmt(v.routerUs, 1), fmt(v.floorUs, 1), `${v.routerUs >= v.floorUs ? '+' : ''}${fmt(v.routerUs - v.floorUs, 1)} us`, '', '']),
  ]);
}

async function engineOnly(): Promise<void> {
  const engine = await engineScenario();
  process.stdout.write(`\ntrino-envoy-router benchmark (--only engine): ${new Date().toISOString()}; machine: ${machine().cpu}, ${machine().cores} cores\n\n${engineTable(engine)}\n`);
}

interface StatementBench { readonly sizes: StatementSizeResult[]; readonly submissions: SubmissionPathResult[] }

async function runStatementFacts(): Promise<StatementBench> {
  log('10. statement facts: 2 KB and 100 KB queries, on the main thread and through the worker pool; submissions with a statement rule');
  const child = Child.start('statement', sibling(here, './scenarios/statement'));
  const sizes = await child.call<StatementSizeResult[]>('run', { runs: quick ? 5 : 10 });
  const submissions = await child.call<SubmissionPathResult[]>('submissions', { ms: quick ? 1000 : 3000 });
  await child.stop();
  return { sizes, submissions };
}

function statementFactsTable(results: StatementBench): string {
  const sizes = table('10. Statement facts (dt-sql-parser Trino grammar): us per parse, and the longest main-thread event-loop block', ['', 'parse on main thread', 'through worker pool', 'longest block with pool', '', ''],
    results.sizes.map((r) => [`${fmtInt(r.bytes / 1024)} KB query (median of ${r.runs})`, `${fmtInt(r.mainThreadUs)} us`, `${fmtInt(r.poolUs)} us`, `${fmt(r.poolMaxBlockMs, 1)} ms`, '', '']));
  const submissions = table('10b. Submissions through the RequestRouter in-process (8 in flight): with a statement rule each is held for its body and parsed', ['', 'submissions/s', 'request messages', 'longest block', '', ''],
    results.submissions.map((r) => [r.name, fmtInt(r.submissionsPerSecond), fmt(r.requestMessages, 1), `${fmt(r.maxBlockMs, 1)} ms`, '', '']));
  return `${sizes}\n\n${submissions}`;
}

async function statementFactsOnly(): Promise<void> {
  const results = await runStatementFacts();
  process.stdout.write(`${statementFactsTable(results)}\n`);
}

/** `--only queue`: the gateway queue's admission, hold, poll and slot-take costs (bench/scenarios/queue.ts). */
async function queueOnly(): Promise<void> {
  const { runQueueBench } = await import('./scenarios/queue.js');
  const result = await runQueueBench();
  const rows: Row[] = [
    ['admission decisions per second (2 backends near their limit)', fmtInt(result.admissionsPerSecond)],
    ['hold a submission (seal + enqueue, SQLite), µs', fmt(result.holdMicros)],
    ['polls of queued queries answered per second (SQLite, no hold)', fmtInt(result.pollsPerSecond)],
    ['slot take: freed slot -> next query handed over, p50 ms (one router, instant cluster)', fmtMs(result.slotTakeP50Ms)],
    ['slot take p99 ms', fmtMs(result.slotTakeP99Ms)],
    ...(result.fleet === undefined ? [] : [
      ['slot take, three routers on PostgreSQL, the queuing replica kicked: p50 ms', fmtMs(result.fleet.kickedP50Ms)],
      ['  p99 ms', fmtMs(result.fleet.kickedP99Ms)],
      ['slot take, three routers on PostgreSQL, no kick (250 ms dispatch timers): p50 ms', fmtMs(result.fleet.timerP50Ms)],
      ['  p99 ms', fmtMs(result.fleet.timerP99Ms)],
    ] satisfies Row[]),
  ];
  process.stdout.write(`\n${table('Gateway queue (issue 22)', ['measure', 'value'], rows)}\n`);
  writeFileSync(join(resultsDir, `bench-queue-${stamp}.json`), JSON.stringify(result, null, 2));
}

(ONLY === 'unix-socket' ? unixSocketOnly() : ONLY === 'store' ? storeOnly() : ONLY === 'engine' ? engineOnly() : ONLY === 'statement-facts' ? statementFactsOnly() : ONLY === 'queue' ? queueOnly() : main()).catch(async (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
  for (const child of [load, servers.router, servers.floor, servers['router-pg']]) await child?.stop().catch(() => undefined);
});
