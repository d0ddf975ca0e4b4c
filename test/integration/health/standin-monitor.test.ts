/**
 * The health monitor against Trino coordinator stand-ins over real HTTP, with a fake clock:
 * each round of checks starts when the test moves the clock, and the test waits for the
 * round to finish, so nothing depends on how fast the machine is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthMonitor, type MonitorSettings } from '../../../src/health/monitor.js';
import { DEFAULT_LOAD_WEIGHTS } from '../../../src/health/load-weights.js';
import { decide } from '../../../src/routing/engine.js';
import type { Backend, RoutingConfig } from '../../../src/routing/model.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { openSqliteStore, type Store } from '../../../src/store/index.js';
import { DEFAULT_MONITOR_TIMEOUT_MS } from '../../../src/config/schema.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, TRINO_POLL_HOLD_MS, type TrinoStandin, type TrinoStandinOptions } from '../../standins/trino/index.js';
import { captureLogs, type CapturedLogs } from '../../unit/observability/log-capture.js';
import { FakeClock } from '../../unit/health/fake-clock.js';
import { TestRouting } from '../../unit/health/monitor-fixture.js';
import { facts } from '../../unit/routing/fixtures.js';
import type { FetchLike } from '../../../src/health/http-session.js';

const MONITOR_USER = 'router-monitor';
const SETTINGS: MonitorSettings = {
  intervalMs: 10_000, timeoutMs: 2_000, failureThreshold: 2, successThreshold: 2, user: MONITOR_USER, loadWeights: DEFAULT_LOAD_WEIGHTS,
};

interface Setup {
  readonly a: TrinoStandin;
  readonly b: TrinoStandin;
  readonly monitor: HealthMonitor;
  readonly clock: FakeClock;
  readonly routing: TestRouting;
  readonly store: Store;
  readonly learned: [string, string][];
  readonly logs: CapturedLogs;
  nextRound(): Promise<void>;
  /** Where 100 new queries go now. */
  spread(): Record<string, number>;
}

let setup: Setup | undefined;
const toClose: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  setup = undefined;
});
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
});

async function start(options: {
  a?: TrinoStandinOptions;
  backendA?: Partial<Backend>;
  settings?: Partial<MonitorSettings>;
  fetch?: FetchLike;
} = {}): Promise<Setup> {
  const a = await startTrinoStandin({ name: 'trino-a', pollIntervalMs: FAST_POLL_HOLD_MS, ...options.a });
  toClose.push(() => a.close());
  const b = await startTrinoStandin({ name: 'trino-b', pollIntervalMs: FAST_POLL_HOLD_MS });
  toClose.push(() => b.close());
  const config: RoutingConfig = {
    backends: [
      { name: 'trino-a', url: a.url, enabled: true, prefixRouting: false, schedules: [], ...options.backendA },
      { name: 'trino-b', url: b.url, enabled: true, prefixRouting: false, schedules: [] },
    ],
    groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'trino-a', weight: 1 }, { backend: 'trino-b', weight: 1 }] }],
    rules: [],
    defaultGroup: 'g',
  };
  const routing = new TestRouting(config);
  const store = openSqliteStore(':memory:');
  toClose.push(() => store.close());
  const clock = new FakeClock(Date.now());
  const learned: [string, string][] = [];
  const settings = { ...SETTINGS, ...options.settings };
  const logs = captureLogs('info');
  const monitor = new HealthMonitor({
    routing, settings, clock, logger: logs.logger, history: store.backendStates,
    onCoordinator: (id, backend) => learned.push([id, backend]),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  toClose.push(() => monitor.close());
  await monitor.start();
  const strategy = createStrategyState(() => 0.5);
  setup = {
    a, b, monitor, clock, routing, store, learned, logs,
    async nextRound() {
      await clock.advance(settings.intervalMs);
      await monitor.idle();
    },
    spread() {
      const counts: Record<string, number> = {};
      for (let i = 0; i < 100; i++) {
        const decision = decide(routing.current(), facts(), monitor.conditions(), strategy);
        const key = decision.outcome === 'routed' ? decision.backend : 'rejected';
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
  };
  return setup;
}

const stateOf = (s: Setup, backend: string) => s.monitor.status().find((x) => x.backend === backend);

/**
 * Submits a query straight to a stand-in and fetches its first nextUri (the poll that creates
 * and dispatches a query on Trino: before it, Trino does not count the query), returning the
 * next nextUri without following it.
 */
async function submit(trino: TrinoStandin, sql: string, user = 'alice'): Promise<string> {
  const headers = { 'X-Trino-User': user };
  const response = await fetch(`${trino.url}/v1/statement`, { method: 'POST', headers, body: sql });
  const body = await response.json() as { nextUri?: string };
  if (body.nextUri === undefined) throw new Error('the stand-in gave no nextUri');
  const polled = await (await fetch(body.nextUri, { headers })).json() as { nextUri?: string };
  if (polled.nextUri === undefined) throw new Error('the stand-in gave no nextUri after the first poll');
  return polled.nextUri;
}

/** Follows a query to its end, as a client would. */
async function finish(nextUri: string, user = 'alice'): Promise<void> {
  let next: string | undefined = nextUri;
  while (next !== undefined) {
    const response: Response = await fetch(next, { headers: { 'X-Trino-User': user } });
    next = ((await response.json()) as { nextUri?: string }).nextUri;
  }
}

describe('health monitor against Trino stand-ins', () => {
  it('a cluster that goes down is out of new-query rotation within two intervals and back after the success threshold', async () => {
    const s = await start();
    expect(s.monitor.status().map((x) => [x.backend, x.state])).toEqual([['trino-a', 'healthy'], ['trino-b', 'healthy']]);
    expect(s.spread()).toEqual({ 'trino-a': 50, 'trino-b': 50 });

    s.a.setFault('reset');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'healthy', lastError: expect.stringMatching(/^GET \/v1\/info: fetch failed/) });
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('unhealthy');
    expect(s.spread()).toEqual({ 'trino-b': 100 });

    s.a.setFault('none');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('unhealthy');
    expect(s.spread()).toEqual({ 'trino-b': 100 });
    await s.nextRound();
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'healthy', lastError: null });
    expect(s.spread()).toEqual({ 'trino-a': 50, 'trino-b': 50 });

    const history = (await s.store.backendStates.list('trino-a', 10)).map((c) => [c.from, c.to]);
    expect(history).toEqual([['unhealthy', 'healthy'], ['healthy', 'unhealthy'], ['unknown', 'healthy']]);
  });

  it('a coordinator that stops answering fails its round at the timeout', async () => {
    const s = await start({ settings: { failureThreshold: 1 } });
    s.a.setFault('hang');
    await s.clock.advance(SETTINGS.intervalMs);
    // The round waits for answers until the deadline the clock fires.
    await s.clock.advance(SETTINGS.timeoutMs);
    await s.monitor.idle();
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'unhealthy', lastError: 'GET /v1/info: no answer within 2000 ms' });
    s.a.setFault('none');
  });

  it('a starting coordinator is pending until it has answered successThreshold checks', async () => {
    const s = await start({ a: { starting: true } });
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'pending', health: 'pending' });
    expect(s.spread()).toEqual({ 'trino-b': 100 });
    s.a.setStarting(false);
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('pending');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('healthy');
  });

  it('a coordinator cannot be told to shut down; when it goes away it stops answering, then comes back starting with a new id', async () => {
    const s = await start();
    // Trino refuses SHUTTING_DOWN on a coordinator: the monitor keeps seeing ACTIVE.
    const refused = await fetch(`${s.a.url}/v1/info/state`, { method: 'PUT', headers: { 'X-Trino-User': 'admin', 'Content-Type': 'application/json' }, body: '"SHUTTING_DOWN"' });
    expect(refused.status).toBe(500);
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('healthy');

    // The coordinator process stops: the failure threshold takes it out of rotation.
    s.a.setFault('reset');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('healthy');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('unhealthy');
    expect(s.spread()).toEqual({ 'trino-b': 100 });

    // A new process on the same address: starting, with a new coordinator id learned once it runs queries.
    const before = s.a.coordinatorId;
    await s.a.restart();
    s.a.setStarting(true);
    s.a.setFault('none');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('pending');
    expect(s.spread()).toEqual({ 'trino-b': 100 });
    s.a.setStarting(false);
    await s.nextRound();
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.state).toBe('healthy');
    expect(s.a.coordinatorId).not.toBe(before);
    expect(s.learned).toContainEqual([s.a.coordinatorId, 'trino-a']);
  });

  it('reads running and queued queries, not counting its own, and learns the coordinator id', async () => {
    const s = await start();
    expect(s.learned).toContainEqual([s.a.coordinatorId, 'trino-a']);
    await submit(s.a, 'SELECT * FROM t /* rows=5 */');
    await submit(s.a, 'SELECT * FROM t /* rows=5 */', 'bob');
    await submit(s.a, 'SELECT * FROM t /* rows=5 queued=600000 */', 'carol');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')?.load).toEqual({ running: 2, queued: 1, score: 2.5 });
    // The stand-in saw the monitor's queries, as Trino would, each check on a connection of its own.
    expect(s.a.queries().filter((q) => q.user === MONITOR_USER).length).toBeGreaterThanOrEqual(4);
    const infoChecks = s.a.requestLog().filter((r) => r.path === '/v1/info');
    expect(infoChecks.length).toBeGreaterThanOrEqual(2);
    expect(infoChecks.every((r) => r.headers.connection === 'close')).toBe(true);

    // A restarted coordinator has a new id; the next round teaches it.
    const before = s.a.coordinatorId;
    await s.a.restart();
    expect(s.a.coordinatorId).not.toBe(before);
    await s.nextRound();
    expect(s.learned).toContainEqual([s.a.coordinatorId, 'trino-a']);
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'healthy', lastError: null });
  });

  it('when system.runtime.queries is refused the load is unknown and says why; /ui/api/stats is not tried (it needs a UI login)', async () => {
    // A coordinator whose access control refuses system.runtime.queries to the monitor user.
    const refusing: FetchLike = async (url, init) => {
      if (init.method === 'POST' && String(init.body).includes('system.runtime.queries')) return new Response('Access Denied', { status: 403 });
      return fetch(url, init);
    };
    const s = await start({ fetch: refusing });
    await s.nextRound();
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'healthy', load: null, loadError: 'POST /v1/statement: HTTP 403 (Access Denied)' });
    expect(s.a.requestLog().some((r) => r.path.startsWith('/ui/'))).toBe(false);
  });

  it('with uiLogin on, a refused system.runtime.queries falls back to /ui/api/stats through a web UI login', async () => {
    const refusing: FetchLike = async (url, init) => {
      if (init.method === 'POST' && String(init.body).includes('system.runtime.queries')) return new Response('Access Denied', { status: 403 });
      return fetch(url, init);
    };
    const s = await start({ fetch: refusing, settings: { uiLogin: true } });
    // Follow one query so it is running (the stand-in counts it), queue another for a long time.
    const running = await submit(s.a, 'SELECT * FROM t /* duration=600000 */');
    await fetch(running, { headers: { 'X-Trino-User': 'alice' } });
    await submit(s.a, 'SELECT * FROM t /* queued=600000 */', 'carol');
    await s.nextRound();
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'healthy', loadError: null, load: { running: 1, queued: 1 } });
    const login = s.a.requestLog().find((r) => r.path === '/ui/login');
    expect(login?.method).toBe('POST');
    expect(s.a.requestLog().filter((r) => r.path === '/ui/api/stats').every((r) => String(r.headers.cookie).startsWith('Trino-UI-Token='))).toBe(true);
  });

  it('warns once when a backend with prefix routing runs a Trino older than 458 (it URL-escapes the prefix)', async () => {
    const warnings = (s: Setup) => s.logs.records().filter((r) => r.backend === 'trino-a' && r.needs === 458);
    const old = await start({ a: { version: '457' }, backendA: { prefixRouting: true } });
    await old.nextRound();
    expect(warnings(old)).toHaveLength(1);
    expect(warnings(old)[0]).toMatchObject({ version: '457', msg: expect.stringMatching(/prefix routing needs Trino 458\+/) });
    for (const close of toClose.splice(0).reverse()) await close();
    const current = await start({ a: { version: '458' }, backendA: { prefixRouting: true } });
    await current.nextRound();
    expect(warnings(current)).toHaveLength(0);
  });

  it('an operator drain: no new queries, drained when what runs there is done', async () => {
    const s = await start({ a: { rowsPerPage: 5 } });
    const running = await submit(s.a, 'SELECT * FROM t /* rows=20 */');
    await s.nextRound();
    s.routing.set({ ...s.routing.current().config, backends: s.routing.current().config.backends.map((b) => (b.name === 'trino-a' ? { ...b, draining: true } : b)) });
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'draining', health: 'healthy', drain: { remaining: 1 } });
    expect(s.spread()).toEqual({ 'trino-b': 100 });
    await finish(running);
    await s.nextRound();
    expect(stateOf(s, 'trino-a')).toMatchObject({ state: 'drained', drain: { remaining: 0, drained: true } });
  });
});

describe('health monitor against Trino timing (1 s poll hold, a queued monitor query)', () => {
  /**
   * A coordinator whose resource groups keep the monitor's queries queued for 2.1 s while every
   * poll without news is held 1 s, as Trino does. This round takes real time (about 2 s, both
   * monitors at once): the monitor's deadline is the very thing under test.
   */
  async function oneRound(trino: TrinoStandin, timeoutMs: number): Promise<HealthMonitor> {
    const routing = new TestRouting({
      backends: [{ name: 'trino-q', url: trino.url, enabled: true, prefixRouting: false, schedules: [] }],
      groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'trino-q', weight: 1 }] }],
      rules: [],
      defaultGroup: 'g',
    });
    const monitor = new HealthMonitor({
      routing, settings: { ...SETTINGS, timeoutMs, failureThreshold: 1 }, logger: captureLogs('info').logger,
    });
    toClose.push(() => monitor.close());
    await monitor.start();
    return monitor;
  }

  it('the default timeout keeps a busy-looking but healthy coordinator healthy; the old 2 s marked it down', async () => {
    const trino = await startTrinoStandin({ name: 'trino-q', pollIntervalMs: TRINO_POLL_HOLD_MS, queuedMsByUser: { [MONITOR_USER]: 2_100 } });
    toClose.push(() => trino.close());
    const [sized, old] = await Promise.all([oneRound(trino, DEFAULT_MONITOR_TIMEOUT_MS), oneRound(trino, 2_000)]);
    expect(sized.status()[0]).toMatchObject({ state: 'healthy', lastError: null, loadError: null, load: { running: 0, queued: 0 } });
    expect(old.status()[0]).toMatchObject({ state: 'unhealthy', lastError: expect.stringMatching(/no answer within 2000 ms/) });
    // The monitor's queries really waited in the queue: more than one queued poll each.
    const queuedPolls = trino.requestLog().filter((r) => r.path.startsWith('/v1/statement/queued/')).length;
    expect(queuedPolls).toBeGreaterThan(trino.queries().filter((q) => q.user === MONITOR_USER).length);
  });
});
