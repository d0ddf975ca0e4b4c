/**
 * One round of checks against one coordinator, all at once under one deadline:
 *
 * - GET /v1/info: must answer, must be a coordinator; `starting: true` means it is booting.
 * - GET /v1/info/state: ACTIVE, or SHUTTING_DOWN for a graceful shutdown (drain).
 * - a health query (SELECT 1) through the statement protocol as the monitor user: proves the
 *   coordinator runs queries, and its query id names the coordinator (for query-id routing).
 * - load: running and queued queries from system.runtime.queries, the monitor's own left out;
 *   if that query fails, /ui/api/stats once the health query is over (so it counts none of
 *   the monitor's queries either).
 *
 * The result is an observation for the health state machine plus the load sample; no state
 * is kept here.
 */
import { coordinatorIdOf } from '../trino/query-id.js';
import { readCoordinatorId } from '../trino/server-info.js';
import { describeFailure, HealthCheckError } from './check-error.js';
import type { HttpSession } from './http-session.js';
import { runStatement, type StatementResult } from './trino-statement.js';

export type ObservationKind = 'up' | 'starting' | 'shutting_down' | 'down';

export interface Observation {
  readonly kind: ObservationKind;
  /** What the coordinator said, for logs and the state history. */
  readonly reason: string;
}

export interface LoadSample {
  readonly running: number;
  readonly queued: number;
  readonly source: 'runtime_queries' | 'ui_stats';
}

export interface ProbeReport {
  readonly observation: Observation;
  readonly load: LoadSample | undefined;
  /** Why no load could be read, when it could not. */
  readonly loadError: string | undefined;
  /** The coordinator id in the health query's id, when the query ran. */
  readonly coordinatorId: string | undefined;
}

export interface ProbeTarget {
  readonly baseUrl: string;
  /** Trino user of the health and load queries; its own queries are not counted as load. */
  readonly user: string;
}

export const MONITOR_SOURCE = 'trino-envoy-router-monitor';
export const HEALTH_SQL = 'SELECT 1';

/** Trino query states before execution starts, and while it executes. */
const QUEUED_STATES = ['QUEUED', 'WAITING_FOR_RESOURCES', 'DISPATCHING'] as const;
const RUNNING_STATES = ['PLANNING', 'STARTING', 'RUNNING', 'FINISHING'] as const;
const QUEUED: ReadonlySet<string> = new Set(QUEUED_STATES);
const RUNNING: ReadonlySet<string> = new Set(RUNNING_STATES);

export const LOAD_SQL = 'SELECT query_id, state, "user" FROM system.runtime.queries WHERE state IN ('
  + [...QUEUED_STATES, ...RUNNING_STATES].map((s) => `'${s}'`).join(', ') + ')';

interface ServerInfo {
  readonly coordinator: boolean;
  readonly starting: boolean;
  /** Trino 477+ (server/ServerInfo.java); older versions reveal it only in query ids. */
  readonly coordinatorId: string | undefined;
}

export async function probeCoordinator(http: HttpSession, target: ProbeTarget): Promise<ProbeReport> {
  const url = (path: string): string => new URL(path, withSlash(target.baseUrl)).href;
  const statement = (check: 'query' | 'load', sql: string): Promise<StatementResult> =>
    runStatement(http, { check, baseUrl: target.baseUrl, sql, user: target.user, source: MONITOR_SOURCE });

  const info = settle(http.json('info', url('v1/info')).then(readInfo));
  const state = settle(http.json('state', url('v1/info/state')).then(readNodeState));
  const healthQuery = statement('query', HEALTH_SQL);
  const health = settle(healthQuery);
  const load = settle(readLoad(http, url, statement, target.user, healthQuery));

  const [infoResult, stateResult, healthResult, loadResult] = await Promise.all([info, state, health, load]);
  const queryId = healthResult.ok ? healthResult.value.queryId : loadResult.ok ? loadResult.value.queryId : undefined;
  const infoCoordinatorId = infoResult.ok ? infoResult.value.coordinatorId : undefined;
  return {
    observation: classify(infoResult, stateResult, healthResult),
    load: loadResult.ok ? loadResult.value.sample : undefined,
    loadError: loadResult.ok ? undefined : describeFailure(loadResult.error),
    coordinatorId: infoCoordinatorId ?? (queryId === undefined ? undefined : coordinatorIdOf(queryId)),
  };
}

/**
 * The most telling answer wins: an unreachable or non-coordinator node is down, a booting one
 * is starting (its queries fail until it is up, so they say nothing more), a shutting-down one
 * drains whatever its queries do, and otherwise the health query decides.
 */
function classify(
  info: Settled<ServerInfo>,
  state: Settled<string>,
  health: Settled<StatementResult>,
): Observation {
  if (!info.ok) return down(info.error);
  if (!info.value.coordinator) return { kind: 'down', reason: 'GET /v1/info: the node is not a coordinator' };
  if (info.value.starting) return { kind: 'starting', reason: 'the coordinator reports it is starting' };
  if (!state.ok) return down(state.error);
  if (state.value === 'SHUTTING_DOWN') return { kind: 'shutting_down', reason: 'the coordinator reports SHUTTING_DOWN' };
  if (state.value !== 'ACTIVE') return { kind: 'down', reason: `GET /v1/info/state: the coordinator reports ${state.value}` };
  if (!health.ok) return down(health.error);
  return { kind: 'up', reason: 'the coordinator is active and runs queries' };
}

function down(error: unknown): Observation {
  return { kind: 'down', reason: describeFailure(error) };
}

async function readLoad(
  http: HttpSession,
  url: (path: string) => string,
  statement: (check: 'load', sql: string) => Promise<StatementResult>,
  user: string,
  healthQuery: Promise<unknown>,
): Promise<{ sample: LoadSample; queryId: string | undefined }> {
  let viaQuery: unknown;
  try {
    const result = await statement('load', LOAD_SQL);
    return { sample: countQueries(result, user), queryId: result.queryId };
  } catch (error) {
    viaQuery = error;
  }
  // The health query must be over, or the stats would count it.
  await healthQuery.catch(() => undefined);
  if (http.expired) throw viaQuery;
  try {
    const stats = await http.json('stats', url('ui/api/stats'), { headers: { 'X-Trino-User': user } });
    return { sample: readStats(stats), queryId: undefined };
  } catch (error) {
    throw new HealthCheckError('load', `${describeFailure(viaQuery)}; fallback ${describeFailure(error)}`, {}, { cause: error });
  }
}

/** Counts the rows of LOAD_SQL by state, leaving out the monitor's own queries. */
export function countQueries(result: StatementResult, monitorUser: string): LoadSample {
  const stateAt = result.columns.indexOf('state');
  const userAt = result.columns.indexOf('user');
  if (stateAt < 0 || userAt < 0) {
    throw new HealthCheckError('load', `system.runtime.queries answered without state and user columns (got ${result.columns.join(', ') || 'none'})`);
  }
  let running = 0;
  let queued = 0;
  for (const row of result.rows) {
    if (row[userAt] === monitorUser) continue;
    const state = String(row[stateAt]);
    if (RUNNING.has(state)) running++;
    else if (QUEUED.has(state)) queued++;
  }
  return { running, queued, source: 'runtime_queries' };
}

function readInfo(body: unknown): ServerInfo {
  if (body === null || typeof body !== 'object') throw new HealthCheckError('info', 'GET /v1/info: expected a JSON object');
  const record = body as Record<string, unknown>;
  return { coordinator: record.coordinator === true, starting: record.starting === true, coordinatorId: readCoordinatorId(body) };
}

function readNodeState(body: unknown): string {
  if (typeof body !== 'string') throw new HealthCheckError('state', 'GET /v1/info/state: expected a JSON string such as "ACTIVE"');
  return body;
}

function readStats(body: unknown): LoadSample {
  const record = body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
  const running = record.runningQueries;
  const queued = record.queuedQueries;
  if (!isCount(running) || !isCount(queued)) {
    throw new HealthCheckError('stats', 'GET /ui/api/stats: expected runningQueries and queuedQueries');
  }
  return { running, queued, source: 'ui_stats' };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function withSlash(baseUrl: string): string {
  return baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
}

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}
