import { afterEach, describe, expect, it, vi } from 'vitest';
import { decide, decideForGroup, describeRejection, type BackendCondition } from '../../../src/routing/engine.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import type { BackendStateChange } from '../../../src/health/status.js';
import { tempStore } from '../store/temp-store.js';
import { backend, facts } from '../routing/fixtures.js';
import { startMonitor, submissionTo, urlOf, type MonitorFixture } from './monitor-fixture.js';

function twoBackends(extra: Partial<RoutingConfig> = {}): RoutingConfig {
  return {
    backends: [backend('a', { url: urlOf('a') }), backend('b', { url: urlOf('b') })],
    groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }] }],
    rules: [],
    defaultGroup: 'g',
    ...extra,
  };
}

let fixture: MonitorFixture | undefined;
afterEach(async () => {
  await fixture?.monitor.close();
  fixture = undefined;
});

/** Where 200 new queries go under the monitor's current conditions. */
function spread(f: MonitorFixture): Record<string, number> {
  const snapshot = f.routing.current();
  const state = createStrategyState(() => 0.5);
  const counts: Record<string, number> = {};
  for (let i = 0; i < 200; i++) {
    const decision = decide(snapshot, facts(), f.monitor.conditions(), state);
    const key = decision.outcome === 'routed' ? decision.backend : 'rejected';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('health monitor', () => {
  it('checks every backend before start() resolves and reports each one in config order', async () => {
    fixture = await startMonitor({ config: twoBackends(), coordinators: { b: { coordinatorId: 'bbbbb' } } });
    const status = fixture.monitor.status();
    expect(status.map((s) => [s.backend, s.state, s.health])).toEqual([['a', 'healthy', 'healthy'], ['b', 'healthy', 'healthy']]);
    expect(status[0]).toMatchObject({ lastCheckAt: fixture.clock.now(), lastError: null, inSchedule: true, load: { running: 0, queued: 0, score: 0 }, drain: null });
    expect(fixture.learned).toEqual([['abcde', 'a'], ['bbbbb', 'b']]);
    expect(fixture.monitor.conditions().get('a')).toEqual({
      health: 'healthy', load: 0, inSchedule: true, inFlight: 0, polledLoad: 0,
      // For the gateway queue's limits: the count, and the round start it is valid from.
      running: 0, runningByUser: {}, runningReadAt: expect.any(Number),
    });
  });

  it('a backend that goes down leaves new-query rotation within two intervals and returns after the success threshold', async () => {
    fixture = await startMonitor({ config: twoBackends() });
    expect(spread(fixture)).toEqual({ a: 100, b: 100 });

    fixture.coordinators.a!.reachable = 'refused';
    await fixture.nextRound();
    // One failed check is a blip: still in rotation.
    expect(fixture.monitor.status()[0]).toMatchObject({ state: 'healthy', lastError: 'GET /v1/info: fetch failed: connect ECONNREFUSED' });
    await fixture.nextRound();
    expect(fixture.monitor.status()[0]).toMatchObject({ state: 'unhealthy', health: 'unhealthy' });
    expect(spread(fixture)).toEqual({ b: 200 });

    fixture.coordinators.a!.reachable = 'ok';
    await fixture.nextRound();
    expect(fixture.monitor.status()[0]?.state).toBe('unhealthy');
    await fixture.nextRound();
    expect(fixture.monitor.status()[0]?.state).toBe('healthy');
    expect(spread(fixture)).toEqual({ a: 100, b: 100 });

    const changes = fixture.logged('backend state changed').filter((r) => r.backend === 'a');
    expect(changes.map((r) => [r.from, r.to])).toEqual([['unknown', 'healthy'], ['healthy', 'unhealthy'], ['unhealthy', 'healthy']]);
    expect(changes[1]?.reason).toBe('2 failed checks in a row: GET /v1/info: fetch failed: connect ECONNREFUSED');
    expect(changes[2]?.reason).toBe('2 good checks in a row: the coordinator is active and runs queries');
    // Going unhealthy is what an operator is paged for: warn; the rest info.
    expect(changes.map((r) => r.level)).toEqual(['info', 'warn', 'info']);
  });

  it('a coordinator that hangs costs each round exactly its timeout, and rounds never overlap', async () => {
    fixture = await startMonitor({ config: twoBackends(), settings: { failureThreshold: 1 } });
    const f = fixture;
    f.coordinators.a!.reachable = 'hang';
    const requestsBefore = f.trino.requests.get(urlOf('a'))!.length;
    await f.clock.advance(10_000);
    // The round is waiting for answers: nothing changes before the timeout...
    await f.clock.advance(1_999);
    expect(f.monitor.status()[0]?.health).toBe('healthy');
    // ... and the next interval's round does not start on top of it.
    expect(f.trino.requests.get(urlOf('a'))!.length - requestsBefore).toBe(4);
    await f.clock.advance(1);
    await f.monitor.idle();
    expect(f.monitor.status()[0]).toMatchObject({ health: 'unhealthy', lastError: 'GET /v1/info: no answer within 2000 ms' });
  });

  it('a starting coordinator is pending, a shutting-down one drains until its queries are gone', async () => {
    fixture = await startMonitor({ config: twoBackends(), coordinators: { a: { starting: true, healthQueryError: 'SERVER_STARTING_UP' } } });
    const f = fixture;
    expect(f.monitor.status()[0]).toMatchObject({ state: 'pending', health: 'pending' });
    expect(spread(f)).toEqual({ b: 200 });

    f.coordinators.b!.nodeState = 'SHUTTING_DOWN';
    const running = { state: 'RUNNING', user: 'alice' };
    const queued = { state: 'QUEUED', user: 'bob' };
    f.coordinators.b!.queries.push(running, queued);
    await f.nextRound();
    expect(f.monitor.status()[1]).toMatchObject({ state: 'draining', health: 'draining', drain: { remaining: 2, drained: false, since: f.clock.now() } });
    const since = f.clock.now();
    running.state = 'FINISHED';
    await f.nextRound();
    expect(f.monitor.status()[1]).toMatchObject({ state: 'draining', drain: { remaining: 1, since } });
    queued.state = 'FINISHED';
    await f.nextRound();
    expect(f.monitor.status()[1]).toMatchObject({ state: 'drained', drain: { remaining: 0, drained: true, since } });
    expect(f.logged('backend state changed').filter((r) => r.backend === 'b').at(-1)).toMatchObject({
      from: 'draining', to: 'drained', reason: 'the coordinator reports SHUTTING_DOWN; no queries left on it',
    });
  });

  it('an operator drain: no new queries, drained once what was routed there has finished', async () => {
    fixture = await startMonitor({ config: twoBackends() });
    const f = fixture;
    // A query was just routed to a; the last poll did not see it yet.
    f.monitor.edgeObserver.routed('ext_proc', submissionTo('a'), 0);
    f.routing.set(twoBackends({ backends: [backend('a', { url: urlOf('a'), draining: true }), backend('b', { url: urlOf('b') })] }));
    expect(f.monitor.status()[0]).toMatchObject({ state: 'draining', drain: { remaining: 1, drained: false } });
    expect(spread(f)).toEqual({ b: 200 });

    const query = { state: 'RUNNING', user: 'alice' };
    f.coordinators.a!.queries.push(query);
    await f.nextRound();
    expect(f.monitor.status()[0]).toMatchObject({ state: 'draining', drain: { remaining: 1 } });
    query.state = 'FINISHED';
    await f.nextRound();
    expect(f.monitor.status()[0]).toMatchObject({ state: 'drained', drain: { remaining: 0, drained: true } });
    expect(f.logged('backend state changed').filter((r) => r.backend === 'a').map((r) => [r.to, r.level])).toEqual([['healthy', 'info'], ['draining', 'warn'], ['drained', 'info']]);

    // Drained is the signal to stop it; a stopped cluster stays drained (nothing was sent to it since).
    f.coordinators.a!.reachable = 'refused';
    await f.nextRound();
    await f.nextRound();
    expect(f.monitor.status()[0]).toMatchObject({ state: 'drained', health: 'unhealthy', drain: { remaining: 0, drained: true } });
    expect(f.logged('backend state changed').filter((r) => r.backend === 'a').map((r) => r.to)).toEqual(['healthy', 'draining', 'drained']);
    expect(f.logged('backend health changed')).toEqual([expect.objectContaining({ backend: 'a', from: 'healthy', to: 'unhealthy', level: 'warn' })]);

    f.coordinators.a!.reachable = 'ok';
    await f.nextRound();
    await f.nextRound();
    f.routing.set(twoBackends());
    expect(f.monitor.status()[0]).toMatchObject({ state: 'healthy', drain: null });
  });

  it('a backend not checked yet (just added) takes no new queries until its first check answers', async () => {
    fixture = await startMonitor({ config: twoBackends(), coordinators: { c: {} } });
    const f = fixture;
    const withC = twoBackends({
      backends: [backend('a', { url: urlOf('a') }), backend('b', { url: urlOf('b') }), backend('c', { url: urlOf('c') })],
      groups: [
        { name: 'g', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }, { backend: 'c', weight: 1 }] },
        { name: 'only-c', strategy: 'round_robin', members: [{ backend: 'c', weight: 1 }] },
      ],
    });
    f.routing.set(withC);
    // Its first check is on its way, not answered.
    expect(f.monitor.status()[2]).toMatchObject({ backend: 'c', state: 'unknown', health: 'unknown', lastCheckAt: null });
    expect(spread(f)).toEqual({ a: 100, b: 100 });
    const alone = decideForGroup(f.routing.current(), 'only-c', undefined, f.monitor.conditions(), createStrategyState());
    expect(alone).toMatchObject({ outcome: 'rejected', transient: true, attempts: [{ group: 'only-c', backends: [{ backend: 'c', reason: 'not_checked_yet' }] }] });
    if (alone.outcome === 'rejected') expect(describeRejection(alone)).toBe('No Trino cluster can take this query now (group only-c: c not checked yet)');

    await f.monitor.idle();
    expect(f.monitor.status()[2]).toMatchObject({ state: 'healthy', lastCheckAt: f.clock.now() });
    expect(spread(f)).toEqual({ a: 67, b: 67, c: 66 });
  });

  it('disabling a backend, changing its URL and removing it are followed at once', async () => {
    fixture = await startMonitor({ config: twoBackends() });
    const f = fixture;
    f.routing.set(twoBackends({ backends: [backend('a', { url: urlOf('a'), enabled: false }), backend('b', { url: urlOf('b') })] }));
    expect(f.monitor.status()[0]?.state).toBe('disabled');

    f.routing.set(twoBackends({ backends: [backend('a', { url: urlOf('a') }), backend('b', { url: urlOf('b') })] }));
    expect(f.monitor.status()[0]?.state).toBe('healthy');

    // b moves to another coordinator: nothing known about it until its first check.
    f.routing.set(twoBackends({ backends: [backend('a', { url: urlOf('a') }), backend('b', { url: 'http://nowhere:8080' })] }));
    expect(f.monitor.status()[1]).toMatchObject({ state: 'unknown', health: 'unknown' });
    await f.monitor.idle();
    expect(f.monitor.status()[1]).toMatchObject({ state: 'unhealthy', lastError: 'GET /v1/info: fetch failed: connect ECONNREFUSED' });
    const moved = f.logged('backend state changed').filter((r) => r.backend === 'b').map((r) => [r.from, r.to, r.reason]);
    expect(moved.slice(-2)).toEqual([
      ['healthy', 'unknown', 'coordinator URL changed to http://nowhere:8080; not checked yet'],
      ['unknown', 'unhealthy', 'GET /v1/info: fetch failed: connect ECONNREFUSED'],
    ]);

    f.routing.set({ ...twoBackends(), backends: [backend('a', { url: urlOf('a') })], groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] }] });
    expect(f.monitor.status().map((s) => s.backend)).toEqual(['a']);
    expect(f.monitor.conditions().has('b')).toBe(false);
    const before = f.trino.requests.get('http://nowhere:8080')?.length ?? 0;
    await f.nextRound();
    expect(f.trino.requests.get('http://nowhere:8080')?.length ?? 0).toBe(before);
  });

  it('keeps the last load when a round cannot read it, says why, and still ends the in-flight count', async () => {
    fixture = await startMonitor({ config: twoBackends(), coordinators: { a: { queries: [{ state: 'RUNNING', user: 'alice' }] } } });
    const f = fixture;
    f.coordinators.a!.loadQueryStatus = 403;
    f.monitor.edgeObserver.routed('ext_proc', submissionTo('a'), 0);
    expect(f.monitor.conditions().get('a')).toMatchObject({ load: 2, inFlight: 1 });
    await f.nextRound();
    expect(f.monitor.status()[0]).toMatchObject({
      state: 'healthy', load: { running: 1, queued: 0, score: 1 }, loadError: 'POST /v1/statement: HTTP 403 (denied)',
    });
    // The last load stays; what was routed before the round no longer counts, so an unreadable
    // load never piles up toward the ceiling.
    expect(f.monitor.conditions().get('a')).toMatchObject({ load: 1, inFlight: 0 });
  });

  it('logs a backend reaching its load ceiling once, and once when it is below again', async () => {
    const config = twoBackends({ backends: [backend('a', { url: urlOf('a'), maxLoad: 2 }), backend('b', { url: urlOf('b') })] });
    fixture = await startMonitor({ config });
    const f = fixture;
    const last = { state: 'QUEUED', user: 'z' };
    f.coordinators.a!.queries.push({ state: 'RUNNING', user: 'x' }, { state: 'QUEUED', user: 'y' }, last);
    await f.nextRound();
    await f.nextRound();
    expect(f.logged('backend reached its load ceiling; it takes no new queries')).toEqual([
      expect.objectContaining({ backend: 'a', load: 2, maxLoad: 2, running: 1, queued: 2 }),
    ]);
    expect(spread(f)).toEqual({ b: 200 });
    last.state = 'FINISHED';
    await f.nextRound();
    expect(f.logged('backend is below its load ceiling again')).toHaveLength(1);
  });
});

describe('queries routed between two load polls', () => {
  it('count toward the load until the next poll answers', async () => {
    fixture = await startMonitor({ config: twoBackends(), coordinators: { a: { queries: [{ state: 'RUNNING', user: 'x' }, { state: 'QUEUED', user: 'y' }] } } });
    const f = fixture;
    const condition = (): BackendCondition | undefined => f.monitor.conditions().get('a');
    expect(condition()).toMatchObject({ load: 1.5, polledLoad: 1.5, inFlight: 0 });
    for (let i = 0; i < 3; i++) f.monitor.edgeObserver.routed('ext_proc', submissionTo('a'), 0);
    // A query counts with the larger weight (running: 1).
    expect(condition()).toMatchObject({ load: 4.5, polledLoad: 1.5, inFlight: 3 });
    expect(f.monitor.status()[0]?.inFlight).toBe(3);
    // Only submissions count: a status request routed by the rules does not.
    f.monitor.edgeObserver.routed('ext_proc', { ...submissionTo('a'), facts: facts({ method: 'GET', path: '/v1/info' }) }, 0);
    expect(condition()?.inFlight).toBe(3);

    // The next poll sees them (here: as running), and the count starts over.
    f.coordinators.a!.queries.push({ state: 'RUNNING', user: 'q1' }, { state: 'RUNNING', user: 'q2' }, { state: 'RUNNING', user: 'q3' });
    await f.nextRound();
    expect(condition()).toMatchObject({ load: 4.5, polledLoad: 4.5, inFlight: 0 });
  });

  it('least load spreads a burst of 100 in proportion to free capacity, and none goes past its ceiling', async () => {
    const config: RoutingConfig = {
      backends: [backend('big', { url: urlOf('big'), maxLoad: 100 }), backend('small', { url: urlOf('small'), maxLoad: 50 })],
      groups: [{ name: 'g', strategy: 'least_load', members: [{ backend: 'big', weight: 1 }, { backend: 'small', weight: 1 }] }],
      rules: [],
      defaultGroup: 'g',
    };
    const running = (n: number) => Array.from({ length: n }, () => ({ state: 'RUNNING', user: 'someone' }));
    // Free capacity: big 100 - 20 = 80, small 50 - 30 = 20.
    fixture = await startMonitor({ config, coordinators: { big: { queries: running(20) }, small: { queries: running(30) } } });
    const f = fixture;
    const snapshot = compileSnapshot(config, 1);
    const state = createStrategyState(seeded(11));
    const sent = { big: 0, small: 0 };
    const route = () => decide(snapshot, facts(), f.monitor.conditions(), state);
    for (let i = 0; i < 100; i++) {
      const decision = route();
      expect(decision.outcome).toBe('routed');
      if (decision.outcome !== 'routed') return;
      sent[decision.backend as 'big' | 'small']++;
      f.monitor.edgeObserver.routed('ext_proc', submissionTo(decision.backend), 0);
      // After every pick, the split so far follows free capacity within one query.
      expect(Math.abs(sent.big - ((i + 1) * 80) / 100)).toBeLessThanOrEqual(1);
    }
    expect(sent).toEqual({ big: 80, small: 20 });
    // Both are full now: the next query is refused, and the refusal is transient.
    expect(route()).toMatchObject({
      outcome: 'rejected', transient: true,
      attempts: [{ group: 'g', backends: [{ backend: 'big', reason: 'over_load_ceiling' }, { backend: 'small', reason: 'over_load_ceiling' }] }],
    });
  });
});

describe('uptime schedules under a fake clock', () => {
  /** Schedules do not wait for checks; hourly checks keep hours of fake time cheap. */
  const HOURLY = { intervalMs: 3_600_000 };

  /** In rotation 09:00-16:59 New York time, every day. */
  const config = (): RoutingConfig => twoBackends({
    backends: [backend('a', { url: urlOf('a'), schedules: [{ cron: '* 9-16 * * *', timeZone: 'America/New_York' }] }), backend('b', { url: urlOf('b') })],
  });

  it('switches a backend in and out at the exact minute, across the start of daylight saving time', async () => {
    // The day before DST: 09:00 EST is 14:00 UTC.
    fixture = await startMonitor({ config: config(), start: Date.UTC(2026, 2, 7, 13, 58, 30), settings: HOURLY });
    const f = fixture;
    const stateOfA = () => f.monitor.status()[0]?.state;
    expect(stateOfA()).toBe('outside_schedule');
    expect(f.monitor.conditions().get('a')?.inSchedule).toBe(false);
    expect(spread(f)).toEqual({ b: 200 });
    await f.clock.advanceTo(Date.UTC(2026, 2, 7, 13, 59, 59, 999));
    expect(stateOfA()).toBe('outside_schedule');
    await f.clock.advanceTo(Date.UTC(2026, 2, 7, 14, 0, 0));
    expect(stateOfA()).toBe('healthy');
    expect(spread(f)).toEqual({ a: 100, b: 100 });
    await f.clock.advanceTo(Date.UTC(2026, 2, 7, 21, 59, 59, 999));
    expect(stateOfA()).toBe('healthy');
    await f.clock.advanceTo(Date.UTC(2026, 2, 7, 22, 0, 0));
    expect(stateOfA()).toBe('outside_schedule');

    // On March 8 clocks spring forward at 02:00: 09:00 EDT is 13:00 UTC, an hour earlier.
    await f.clock.advanceTo(Date.UTC(2026, 2, 8, 12, 59, 59, 999));
    expect(stateOfA()).toBe('outside_schedule');
    await f.clock.advanceTo(Date.UTC(2026, 2, 8, 13, 0, 0));
    expect(stateOfA()).toBe('healthy');
    await f.clock.advanceTo(Date.UTC(2026, 2, 8, 20, 59, 59, 999));
    expect(stateOfA()).toBe('healthy');
    await f.clock.advanceTo(Date.UTC(2026, 2, 8, 21, 0, 0));
    expect(stateOfA()).toBe('outside_schedule');

    const switches = f.logged('backend state changed').filter((r) => r.backend === 'a' && r.from !== 'unknown');
    expect(switches.map((r) => [r.to, new Date(Number(r.at)).toISOString()])).toEqual([
      ['healthy', '2026-03-07T14:00:00.000Z'],
      ['outside_schedule', '2026-03-07T22:00:00.000Z'],
      ['healthy', '2026-03-08T13:00:00.000Z'],
      ['outside_schedule', '2026-03-08T21:00:00.000Z'],
    ]);
  });

  it('a repeated autumn hour is in schedule twice, a skipped spring hour never', async () => {
    const at2am = twoBackends({
      backends: [backend('a', { url: urlOf('a'), schedules: [{ cron: '* 2 * * *', timeZone: 'Europe/Berlin' }] }), backend('b', { url: urlOf('b') })],
    });
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET, so 02:xx happens at 00:xx and 01:xx UTC.
    fixture = await startMonitor({ config: at2am, start: Date.UTC(2026, 9, 24, 23, 59, 0), settings: HOURLY });
    const f = fixture;
    const inSchedule = () => f.monitor.conditions().get('a')?.inSchedule;
    expect(inSchedule()).toBe(false);
    await f.clock.advanceTo(Date.UTC(2026, 9, 25, 0, 0, 0));
    expect(inSchedule()).toBe(true);
    await f.clock.advanceTo(Date.UTC(2026, 9, 25, 1, 59, 0));
    expect(inSchedule()).toBe(true);
    await f.clock.advanceTo(Date.UTC(2026, 9, 25, 2, 0, 0));
    expect(inSchedule()).toBe(false);
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST; the 02:xx minutes never happen.
    const seen = new Set<boolean>();
    for (let t = Date.UTC(2026, 2, 29, 0, 0, 0); t <= Date.UTC(2026, 2, 29, 2, 0, 0); t += 60_000) {
      await f.clock.advanceTo(t);
      seen.add(inSchedule() ?? true);
    }
    expect([...seen]).toEqual([false]);
  });
});

describe('the request path', () => {
  it('only reads memory: a request that sees a new minute first switches the backend at once, the change is logged and stored just after', async () => {
    const appended: BackendStateChange[] = [];
    const store = {
      append: async (change: BackendStateChange) => void appended.push(change),
      list: async (backend: string, limit: number) => appended.filter((c) => c.backend === backend).reverse().slice(0, limit),
      pruneOlderThan: async () => 0,
    };
    const nineUtc = twoBackends({
      backends: [backend('a', { url: urlOf('a'), schedules: [{ cron: '* 9-16 * * *', timeZone: 'UTC' }] }), backend('b', { url: urlOf('b') })],
    });
    fixture = await startMonitor({ config: nineUtc, history: store, start: Date.UTC(2026, 10, 23, 8, 59, 30), settings: { intervalMs: 3_600_000 } });
    const f = fixture;
    expect(appended.map((c) => [c.backend, c.to])).toEqual([['a', 'outside_schedule'], ['b', 'healthy']]);

    // The minute timer is late (a busy event loop): the first request of 09:00 sees the new minute.
    const seenAt = Date.UTC(2026, 10, 23, 9, 0, 0, 500);
    f.clock.jumpTo(seenAt);
    expect(f.monitor.conditions().get('a')?.inSchedule).toBe(true);
    expect(spread(f)).toEqual({ a: 100, b: 100 });
    // Nothing was written or logged while routing.
    expect(appended).toHaveLength(2);
    expect(f.logged('backend state changed').filter((r) => r.to === 'healthy' && r.backend === 'a')).toEqual([]);

    // Right after (the late minute timer and the deferred record both fire): one change, once.
    await f.clock.advance(0);
    await f.clock.advance(60_000);
    expect(appended.slice(2)).toEqual([{ backend: 'a', from: 'outside_schedule', to: 'healthy', at: seenAt, reason: 'the coordinator is active and runs queries' }]);
    expect(f.logged('backend state changed').filter((r) => r.backend === 'a').map((r) => r.to)).toEqual(['outside_schedule', 'healthy']);
    expect(f.monitor.status()[0]?.state).toBe('healthy');
  });
});

describe('state history', () => {
  it('every change is stored with its reason; history() reads it back newest first', async () => {
    const store = tempStore();
    fixture = await startMonitor({ config: twoBackends(), history: store.backendStates, settings: { failureThreshold: 1 } });
    const f = fixture;
    f.coordinators.a!.reachable = 500;
    await f.nextRound();
    f.coordinators.a!.reachable = 'ok';
    await f.nextRound();
    await f.nextRound();
    const history = await f.monitor.history('a', 10);
    expect(history.map((c) => [c.from, c.to])).toEqual([['unhealthy', 'healthy'], ['healthy', 'unhealthy'], ['unknown', 'healthy']]);
    expect(history[1]).toEqual({ backend: 'a', from: 'healthy', to: 'unhealthy', at: Date.UTC(2026, 10, 23, 10, 0, 10), reason: 'GET /v1/info: HTTP 500 (broken)' });
    expect(await store.backendStates.list('a', 10)).toEqual(history);
    expect(await f.monitor.history('a', 1)).toEqual(history.slice(0, 1));
    expect(await f.monitor.history('a', 0)).toEqual([]);
  });

  it('a store that cannot write loses nothing the admin API can show: the changes stay in memory', async () => {
    const failing = {
      append: async () => { throw new Error('disk full'); },
      list: async (): Promise<BackendStateChange[]> => { throw new Error('disk full'); },
      pruneOlderThan: async () => 0,
    };
    const f = (fixture = await startMonitor({ config: twoBackends(), history: failing }));
    expect((await f.monitor.history('a', 5)).map((c) => c.to)).toEqual(['healthy']);
    await vi.waitFor(() => expect(f.logged('could not store a backend state change; it is kept in memory only')).toHaveLength(2));
  });
});

/** A seeded generator, so random tie-breaks are reproducible. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
