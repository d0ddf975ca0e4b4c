import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { BackendStatus, HealthStatusSource } from '../../../src/health/status.js';
import { BACKEND_STATES, DECISION_BUCKETS_SECONDS, METRIC_NAMES, RouterMetrics } from '../../../src/observability/metrics.js';
import type { Mechanism } from '../../../src/routing/decision.js';
import type { QuerySubmitted, RequestContext } from '../../../src/routing/request-router.js';
import type { WriteBehindStats } from '../../../src/runtime/write-behind.js';
import { parseSamples, sumOf, valueOf, type Sample } from './prometheus-text.js';

function forwarded(backend: string, mechanism: Mechanism, group?: string, rule?: string): RequestContext {
  return {
    instruction: {
      kind: 'forward',
      backend,
      mechanism,
      path: undefined,
      forwardedPrefix: undefined,
      watch: 'none',
      decision: group === undefined ? undefined : { outcome: 'routed', backend, group, rule, fellBackFrom: [] },
    },
    transactionId: undefined,
    transactionAware: false, watchTransactions: false, statement: undefined,
    facts: undefined,
    receivedAt: 0,
  };
}

function replied(reason: string): RequestContext {
  return {
    instruction: { kind: 'reply', status: 404, contentType: 'application/json', body: '{}', reason },
    transactionId: undefined,
    transactionAware: false, watchTransactions: false, statement: undefined,
    facts: undefined,
    receivedAt: 0,
  };
}

async function scrape(metrics: RouterMetrics): Promise<Sample[]> {
  return parseSamples(await metrics.text());
}

function status(backend: string, state: BackendStatus['state'], load: BackendStatus['load']): BackendStatus {
  return { backend, state, health: 'healthy', load, lastCheckAt: 1, lastError: null, inSchedule: true, drain: null };
}

/** A health monitor stand-in whose answer the test changes. */
interface FakeHealth extends HealthStatusSource {
  statuses: readonly BackendStatus[];
  failing: boolean;
}

function fakeHealth(initial: readonly BackendStatus[]): FakeHealth {
  const source: FakeHealth = {
    statuses: initial,
    failing: false,
    status: () => {
      if (source.failing) throw new Error('monitor not started');
      return source.statuses;
    },
    history: async () => [],
  };
  return source;
}

describe('RouterMetrics: traffic', () => {
  it('counts routing decisions by edge, group, backend, mechanism and outcome', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const observer = metrics.edgeObserver;
    observer.routed('ext_proc', forwarded('trino-a', 'rules', 'analysts', 'analysts'), 0.00002);
    observer.routed('ext_proc', forwarded('trino-a', 'rules', 'analysts', 'analysts'), 0.00002);
    observer.routed('ext_proc', forwarded('trino-b', 'prefix'), 0.00001);
    observer.routed('ext_authz', forwarded('trino-b', 'query_id'), 0.00001);
    observer.routed('ext_proc', replied('unknown_query'), 0.3);

    const samples = await scrape(metrics);
    const name = METRIC_NAMES.routingDecisions;
    expect(valueOf(samples, name, { edge: 'ext_proc', group: 'analysts', backend: 'trino-a', mechanism: 'rules', outcome: 'forwarded' })).toBe(2);
    expect(valueOf(samples, name, { edge: 'ext_proc', group: '', backend: 'trino-b', mechanism: 'prefix', outcome: 'forwarded' })).toBe(1);
    expect(valueOf(samples, name, { edge: 'ext_authz', group: '', backend: 'trino-b', mechanism: 'query_id', outcome: 'forwarded' })).toBe(1);
    expect(valueOf(samples, name, { edge: 'ext_proc', group: '', backend: '', mechanism: '', outcome: 'unknown_query' })).toBe(1);
    expect(sumOf(samples, name)).toBe(5);
  });

  it('times decisions in a histogram from 10 µs to 100 ms', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    metrics.edgeObserver.routed('ext_proc', forwarded('trino-a', 'rules', 'adhoc'), 0.000008);
    metrics.edgeObserver.routed('ext_proc', forwarded('trino-a', 'rules', 'adhoc'), 0.003);
    metrics.edgeObserver.routed('ext_proc', forwarded('trino-a', 'probe'), 0.4);
    const samples = await scrape(metrics);
    const bucket = `${METRIC_NAMES.decisionDuration}_bucket`;
    expect(DECISION_BUCKETS_SECONDS[0]).toBe(0.00001);
    expect(DECISION_BUCKETS_SECONDS.at(-1)).toBe(0.1);
    expect(valueOf(samples, bucket, { edge: 'ext_proc', mechanism: 'rules', le: '0.00001' })).toBe(1);
    expect(valueOf(samples, bucket, { edge: 'ext_proc', mechanism: 'rules', le: '0.005' })).toBe(2);
    expect(valueOf(samples, bucket, { edge: 'ext_proc', mechanism: 'probe', le: '0.1' })).toBe(0);
    expect(valueOf(samples, bucket, { edge: 'ext_proc', mechanism: 'probe', le: '+Inf' })).toBe(1);
    expect(valueOf(samples, `${METRIC_NAMES.decisionDuration}_count`, { edge: 'ext_proc', mechanism: 'rules' })).toBe(2);
  });

  it('tracks streams active and total, and errors by kind', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const before = await scrape(metrics);
    expect(valueOf(before, METRIC_NAMES.streamsActive, { edge: 'ext_proc' })).toBe(0);
    expect(valueOf(before, METRIC_NAMES.streamsTotal, { edge: 'ext_authz' })).toBe(0);

    const observer = metrics.edgeObserver;
    observer.streamOpened('ext_proc');
    observer.streamOpened('ext_proc');
    observer.streamOpened('ext_authz');
    observer.streamClosed('ext_proc');
    observer.streamError('ext_proc', 'transport', new Error('reset'));
    const samples = await scrape(metrics);
    expect(valueOf(samples, METRIC_NAMES.streamsActive, { edge: 'ext_proc' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.streamsTotal, { edge: 'ext_proc' })).toBe(2);
    expect(valueOf(samples, METRIC_NAMES.streamsActive, { edge: 'ext_authz' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.edgeErrors, { edge: 'ext_proc', kind: 'transport' })).toBe(1);
  });

  it('counts submitted queries by backend, group and rule, never by query id or user', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const query: QuerySubmitted = {
      queryId: '20260101_000000_00001_abcde',
      backend: 'trino-b',
      mechanism: 'rules',
      facts: undefined,
      decision: { outcome: 'routed', backend: 'trino-b', group: 'etl', rule: 'etl-user', fellBackFrom: [] }, statement: undefined,
      at: 1,
    };
    metrics.querySubmitted(query);
    metrics.querySubmitted({ ...query, queryId: '20260101_000000_00002_abcde', decision: undefined, mechanism: 'transaction' });
    const text = await metrics.text();
    const samples = parseSamples(text);
    expect(valueOf(samples, METRIC_NAMES.queriesSubmitted, { backend: 'trino-b', group: 'etl', rule: 'etl-user' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.queriesSubmitted, { backend: 'trino-b', group: '', rule: '' })).toBe(1);
    expect(text).not.toContain('20260101_000000');
  });

  it('bounds label values: beyond the cap new values read "other"', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    for (let i = 0; i < 80; i++) metrics.edgeObserver.streamError('ext_proc', `kind_${i}`, new Error('x'));
    metrics.edgeObserver.streamError('ext_proc', 'kind_0', new Error('x'));
    const samples = (await scrape(metrics)).filter((s) => s.name === METRIC_NAMES.edgeErrors);
    expect(samples).toHaveLength(51);
    expect(valueOf(samples, METRIC_NAMES.edgeErrors, { edge: 'ext_proc', kind: 'other' })).toBe(30);
    expect(valueOf(samples, METRIC_NAMES.edgeErrors, { edge: 'ext_proc', kind: 'kind_0' })).toBe(2);
  });

  it('counts admin calls by method and status name', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const method = '/trino_envoy_router.admin.v1.BackendService/GetBackend';
    metrics.adminCall(method, GrpcStatus.OK);
    metrics.adminCall(method, GrpcStatus.NOT_FOUND);
    metrics.adminCall(method, GrpcStatus.NOT_FOUND);
    const samples = await scrape(metrics);
    expect(valueOf(samples, METRIC_NAMES.adminCalls, { method, code: 'OK' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.adminCalls, { method, code: 'NOT_FOUND' })).toBe(2);
  });
});

describe('RouterMetrics: state read at scrape time', () => {
  it('one backend state series per backend and state, 1 for the current one', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const health = fakeHealth([
      status('trino-a', 'healthy', { running: 3, queued: 1, score: 3.5 }),
      status('trino-b', 'draining', null),
    ]);
    metrics.watchHealth(health);
    let samples = await scrape(metrics);
    const state = METRIC_NAMES.backendState;
    expect(samples.filter((s) => s.name === state)).toHaveLength(2 * BACKEND_STATES.length);
    expect(valueOf(samples, state, { backend: 'trino-a', state: 'healthy' })).toBe(1);
    expect(valueOf(samples, state, { backend: 'trino-a', state: 'unhealthy' })).toBe(0);
    expect(valueOf(samples, state, { backend: 'trino-b', state: 'draining' })).toBe(1);
    expect(sumOf(samples, state, { backend: 'trino-b' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.backendRunning, { backend: 'trino-a' })).toBe(3);
    expect(valueOf(samples, METRIC_NAMES.backendQueued, { backend: 'trino-a' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.backendLoadScore, { backend: 'trino-a' })).toBe(3.5);
    expect(valueOf(samples, METRIC_NAMES.backendRunning, { backend: 'trino-b' })).toBeUndefined();

    // A transition, and a backend removed from the config: its series go away.
    health.statuses = [status('trino-a', 'unhealthy', null)];
    samples = await scrape(metrics);
    expect(valueOf(samples, state, { backend: 'trino-a', state: 'healthy' })).toBe(0);
    expect(valueOf(samples, state, { backend: 'trino-a', state: 'unhealthy' })).toBe(1);
    expect(sumOf(samples, state, { backend: 'trino-b' })).toBe(0);
    expect(samples.filter((s) => s.name === METRIC_NAMES.backendRunning)).toEqual([]);
  });

  it('a failing health source leaves its series out and the scrape succeeds', async () => {
    const warnings: unknown[] = [];
    const metrics = new RouterMetrics({ processMetrics: false, logger: { warn: (o: unknown) => void warnings.push(o) } as never });
    const health = fakeHealth([status('trino-a', 'healthy', null)]);
    health.failing = true;
    metrics.watchHealth(health);
    const samples = await scrape(metrics);
    expect(samples.filter((s) => s.name === METRIC_NAMES.backendState)).toEqual([]);
    expect(warnings.length).toBeGreaterThan(0);
  });

  it('reports ownership map sizes', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const sizes = { queries: 12, coordinators: 2, transactions: 1, loginFlows: 3 };
    metrics.watchOwnership(() => sizes);
    let samples = await scrape(metrics);
    expect(valueOf(samples, METRIC_NAMES.ownershipEntries, { map: 'query_id' })).toBe(12);
    expect(valueOf(samples, METRIC_NAMES.ownershipEntries, { map: 'coordinator_id' })).toBe(2);
    expect(valueOf(samples, METRIC_NAMES.ownershipEntries, { map: 'transaction' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.ownershipEntries, { map: 'login_flow' })).toBe(3);
    sizes.queries = 13;
    samples = await scrape(metrics);
    expect(valueOf(samples, METRIC_NAMES.ownershipEntries, { map: 'query_id' })).toBe(13);
  });

  it('copies write-behind and history pruning totals into counters', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    let history: WriteBehindStats = { pending: 4, written: 10, failures: 1, dropped: 0 };
    metrics.watchJournal('history', () => history);
    metrics.watchJournal('ownership', () => ({ pending: 0, written: 7, failures: 0, dropped: 0 }));
    metrics.watchHistoryPruning(() => ({ retention: 5, cap: 2 }));
    let samples = await scrape(metrics);
    expect(valueOf(samples, METRIC_NAMES.writeBehindPending, { journal: 'history' })).toBe(4);
    expect(valueOf(samples, METRIC_NAMES.writeBehindWritten, { journal: 'history' })).toBe(10);
    expect(valueOf(samples, METRIC_NAMES.writeBehindWritten, { journal: 'ownership' })).toBe(7);
    expect(valueOf(samples, METRIC_NAMES.writeBehindFailures, { journal: 'history' })).toBe(1);
    expect(valueOf(samples, METRIC_NAMES.historyPruned, { reason: 'retention' })).toBe(5);
    expect(valueOf(samples, METRIC_NAMES.historyPruned, { reason: 'cap' })).toBe(2);

    history = { pending: 0, written: 14, failures: 3, dropped: 1 };
    samples = await scrape(metrics);
    expect(valueOf(samples, METRIC_NAMES.writeBehindWritten, { journal: 'history' })).toBe(14);
    expect(valueOf(samples, METRIC_NAMES.writeBehindFailures, { journal: 'history' })).toBe(3);
    expect(valueOf(samples, METRIC_NAMES.writeBehindDropped, { journal: 'history' })).toBe(1);
  });
});

describe('RouterMetrics: config file', () => {
  it('reports the last applied revision and time and the refused edits of the config file', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const before = await scrape(metrics);
    expect(valueOf(before, METRIC_NAMES.configFileRejections, {})).toBe(0);
    let rejections = 0;
    metrics.watchConfigFile({
      status: () => ({
        path: '/etc/router.yaml', mode: 'watch', lastAppliedAt: 1_765_000_000_000, lastAppliedRevision: 17, lastError: 'YAML syntax', lastErrorAt: 1_765_000_001_000,
        rejections, restartRequired: [], differsFromStore: undefined,
      }),
    });
    rejections = 2;
    const samples = await scrape(metrics);
    expect(valueOf(samples, METRIC_NAMES.configFileRevision, {})).toBe(17);
    expect(valueOf(samples, METRIC_NAMES.configFileAppliedAt, {})).toBe(1_765_000_000);
    expect(valueOf(samples, METRIC_NAMES.configFileRejections, {})).toBe(2);
  });
});

describe('RouterMetrics: registry', () => {
  it('registers every name in METRIC_NAMES with the trino_router_ prefix, on its own registry', async () => {
    const metrics = new RouterMetrics();
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    for (const name of Object.values(METRIC_NAMES)) {
      expect(name.startsWith('trino_router_')).toBe(true);
      expect(registered).toContain(name);
    }
    const own = registered.filter((name) => !name.startsWith('process_') && !name.startsWith('nodejs_'));
    expect(own.sort()).toEqual(Object.values(METRIC_NAMES).sort());
    // Default process metrics are included (and two instances do not clash).
    expect(registered).toContain('process_cpu_user_seconds_total');
    expect(new RouterMetrics().registry).not.toBe(metrics.registry);
  });
});
