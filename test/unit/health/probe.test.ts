import { describe, expect, it } from 'vitest';
import { HttpSession } from '../../../src/health/http-session.js';
import { probeCoordinator, type ProbeReport } from '../../../src/health/probe.js';
import { FakeClock } from './fake-clock.js';
import { coordinator, fakeTrino, type FakeCoordinator } from './fake-trino.js';

const BASE = 'http://trino-a:8080';
const USER = 'router-monitor';

async function probe(c: FakeCoordinator, clock = new FakeClock(0)): Promise<ProbeReport> {
  const trino = fakeTrino({ [BASE]: c });
  const session = new HttpSession(trino.fetch, clock, 2000);
  try {
    return await probeCoordinator(session, { baseUrl: BASE, user: USER });
  } finally {
    session.finish();
  }
}

describe('one round of checks', () => {
  it('an active coordinator that runs queries is up, with its load and coordinator id', async () => {
    const report = await probe(coordinator({
      coordinatorId: 'xyz23',
      queries: [
        { state: 'RUNNING', user: 'alice' }, { state: 'FINISHING', user: 'bob' }, { state: 'PLANNING', user: 'carol' },
        { state: 'QUEUED', user: 'alice' }, { state: 'WAITING_FOR_RESOURCES', user: 'dave' },
        // The monitor's own queries never count.
        { state: 'RUNNING', user: USER }, { state: 'QUEUED', user: USER },
      ],
    }));
    expect(report.observation).toEqual({ kind: 'up', reason: 'the coordinator is active and runs queries' });
    // Per user too, for per-user queue limits (the monitor's own queries left out as in the totals).
    expect(report.load).toEqual({ running: 3, queued: 2, source: 'runtime_queries', byUser: { alice: 2, bob: 1, carol: 1, dave: 1 } });
    expect(report.loadError).toBeUndefined();
    expect(report.coordinatorId).toBe('xyz23');
  });

  it('starting is its own observation, whatever the queries say', async () => {
    expect((await probe(coordinator({ starting: true, healthQueryError: 'SERVER_STARTING_UP' }))).observation.kind).toBe('starting');
  });

  // A coordinator never says SHUTTING_DOWN (Trino refuses it); a backend URL naming another kind of node might.
  it('SHUTTING_DOWN is a drain, and the load is still read', async () => {
    const report = await probe(coordinator({ nodeState: 'SHUTTING_DOWN', queries: [{ state: 'RUNNING', user: 'alice' }] }));
    expect(report.observation).toEqual({ kind: 'shutting_down', reason: 'the coordinator reports SHUTTING_DOWN' });
    expect(report.load).toMatchObject({ running: 1, queued: 0 });
  });

  it('anything else is down, says why, and names the kind of failure', async () => {
    expect((await probe(coordinator({ coordinator: false }))).observation).toEqual({ kind: 'down', reason: 'GET /v1/info: the node is not a coordinator', failure: 'protocol' });
    expect((await probe(coordinator({ nodeState: 'INACTIVE' }))).observation).toEqual({ kind: 'down', reason: 'GET /v1/info/state: the coordinator reports INACTIVE', failure: 'not_ready' });
    const failedQuery = (await probe(coordinator({ healthQueryError: 'NO_NODES_AVAILABLE' }))).observation;
    expect(failedQuery.reason).toMatch(/^query 20261122_120000_\d{5}_abcde failed: NO_NODES_AVAILABLE: nope$/);
    expect(failedQuery.failure).toBe('protocol');
    expect((await probe(coordinator({ reachable: 500 }))).observation).toEqual({ kind: 'down', reason: 'GET /v1/info: HTTP 500 (broken)', failure: 'down' });
    const refused = await probe(coordinator({ reachable: 'refused' }));
    expect(refused.observation).toEqual({ kind: 'down', reason: 'GET /v1/info: fetch failed: connect ECONNREFUSED', failure: 'down' });
    expect(refused.load).toBeUndefined();
    expect(refused.coordinatorId).toBeUndefined();
  });

  it('a load that cannot be read does not fail the health check, and /ui/api/stats (it needs a UI login) is not tried', async () => {
    const c = coordinator({ loadQueryStatus: 403, queries: [{ state: 'RUNNING', user: 'alice' }] });
    const trino = fakeTrino({ [BASE]: c });
    const report = await probeCoordinator(new HttpSession(trino.fetch, new FakeClock(0), 2_000), { baseUrl: BASE, user: 'router-monitor' });
    expect(report.observation.kind).toBe('up');
    expect(report.load).toBeUndefined();
    expect(report.loadError).toBe('POST /v1/statement: HTTP 403 (denied)');
    expect(trino.requests.get(BASE)?.some((r) => r.includes('/ui/'))).toBe(false);
  });

  it('a coordinator that does not answer fails the round exactly at its timeout', async () => {
    const clock = new FakeClock(0);
    const c = coordinator({ reachable: 'hang' });
    const trino = fakeTrino({ [BASE]: c });
    const session = new HttpSession(trino.fetch, clock, 2000);
    let settled = false;
    const pending = probeCoordinator(session, { baseUrl: BASE, user: USER }).finally(() => {
      settled = true;
    });
    await clock.advance(1999);
    expect(settled).toBe(false);
    await clock.advance(1);
    const report = await pending;
    expect(report.observation).toEqual({ kind: 'down', reason: 'GET /v1/info: no answer within 2000 ms', failure: 'timeout' });
    expect(report.loadError).toMatch(/no answer within 2000 ms/);
  });
});

describe('the checks as a list', () => {
  it('the first health check of the list that does not pass decides, and a new check kind is one entry', async () => {
    const { checkList } = await import('../../../src/health/checks/index.js');
    const trino = fakeTrino({ [BASE]: coordinator() });
    const refusing = { name: 'state' as const, role: 'health' as const, run: () => Promise.resolve({ outcome: 'fail' as const, failure: 'not_ready' as const, reason: 'custom check says no' }) };
    const [info, , query, load] = checkList({});
    if (info === undefined || query === undefined || load === undefined) throw new Error('the default list has info, state, query, load');
    const report = await probeCoordinator(new HttpSession(trino.fetch, new FakeClock(0), 2_000), { baseUrl: BASE, user: USER }, [info, refusing, query, load]);
    expect(report.observation).toEqual({ kind: 'down', reason: 'custom check says no', failure: 'not_ready' });
    expect(report.load).toMatchObject({ running: 0, queued: 0 });
    expect(checkList({}).map((c) => c.name)).toEqual(['info', 'state', 'query', 'load']);
    expect(checkList({ uiLogin: true }).map((c) => c.name)).toEqual(['info', 'state', 'query', 'load', 'ui_stats']);
  });
});
