/**
 * One round of checks against one coordinator, all at once under one deadline:
 *
 * - GET /v1/info: must answer, must be a coordinator; `starting: true` means it is booting.
 * - GET /v1/info/state: ACTIVE. A coordinator never reports SHUTTING_DOWN (Trino refuses to
 *   shut down or drain a coordinator, server/NodeStateManager.java); the drain on
 *   SHUTTING_DOWN only matters for a backend URL that points at a worker-like node. A
 *   coordinator that goes away stops answering (down after the failure threshold) or comes
 *   back with `starting: true` and a new coordinator id.
 * - a health query (SELECT 1) through the statement protocol as the monitor user: proves the
 *   coordinator runs queries, and its query id names the coordinator (for query-id routing).
 * - load: running and queued queries from system.runtime.queries, the monitor's own left out.
 *   /ui/api/stats needs a web UI login (the Trino-UI-Token cookie; X-Trino-User is ignored),
 *   so it is a fallback only when `uiLogin` is on: the monitor then logs in (POST /ui/login as
 *   its user, no password: Trino's form login over plain HTTP) once the health query is over.
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
  /** nodeVersion.version from /v1/info, when it answered with one. */
  readonly version?: string | undefined;
}

export interface ProbeTarget {
  readonly baseUrl: string;
  /** Trino user of the health and load queries; its own queries are not counted as load. */
  readonly user: string;
  /** Fall back to /ui/api/stats through a web UI login when the load query fails. */
  readonly uiLogin?: boolean | undefined;
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
  readonly version: string | undefined;
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
  const load = settle(readLoad(statement, target.user, target.uiLogin === true
    ? () => healthQuery.catch(() => undefined).then(() => readUiStats(http, url, target.user))
    : undefined));

  const [infoResult, stateResult, healthResult, loadResult] = await Promise.all([info, state, health, load]);
  const queryId = healthResult.ok ? healthResult.value.queryId : loadResult.ok ? loadResult.value.queryId : undefined;
  const infoCoordinatorId = infoResult.ok ? infoResult.value.coordinatorId : undefined;
  return {
    observation: classify(infoResult, stateResult, healthResult),
    load: loadResult.ok ? loadResult.value.sample : undefined,
    loadError: loadResult.ok ? undefined : describeFailure(loadResult.error),
    coordinatorId: infoCoordinatorId ?? (queryId === undefined ? undefined : coordinatorIdOf(queryId)),
    version: infoResult.ok ? infoResult.value.version : undefined,
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
  statement: (check: 'load', sql: string) => Promise<StatementResult>,
  user: string,
  fallback: (() => Promise<LoadSample>) | undefined,
): Promise<{ sample: LoadSample; queryId: string | undefined }> {
  try {
    const result = await statement('load', LOAD_SQL);
    return { sample: countQueries(result, user), queryId: result.queryId };
  } catch (viaQuery) {
    if (fallback === undefined) throw viaQuery;
    try {
      return { sample: await fallback(), queryId: undefined };
    } catch (error) {
      throw new HealthCheckError('load', `${describeFailure(viaQuery)}; fallback ${describeFailure(error)}`, {}, { cause: error });
    }
  }
}

const UI_TOKEN_COOKIE = 'Trino-UI-Token';

/**
 * Logs in to the web UI and reads /ui/api/stats (read after the health query is over, so it
 * counts none of the monitor's queries). Blocked queries are running ones that wait.
 */
async function readUiStats(http: HttpSession, url: (path: string) => string, user: string): Promise<LoadSample> {
  const login = await http.postForm('load', url('ui/login'), new URLSearchParams({ username: user, password: '', redirectPath: '' }));
  const cookie = login.cookies.map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith(`${UI_TOKEN_COOKIE}=`));
  if (cookie === undefined) throw new HealthCheckError('load', `POST /ui/login: no ${UI_TOKEN_COOKIE} cookie (HTTP ${login.status}; is form login on, and the user allowed without a password?)`);
  const body = await http.json('load', url('ui/api/stats'), { headers: { Cookie: cookie } });
  const record = body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
  const { runningQueries, blockedQueries, queuedQueries } = record;
  if (!isCount(runningQueries) || !isCount(queuedQueries)) {
    throw new HealthCheckError('load', 'GET /ui/api/stats: expected runningQueries and queuedQueries');
  }
  return { running: runningQueries + (isCount(blockedQueries) ? blockedQueries : 0), queued: queuedQueries, source: 'ui_stats' };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
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
  const nodeVersion = record.nodeVersion as Record<string, unknown> | null | undefined;
  const version = nodeVersion !== null && typeof nodeVersion === 'object' && typeof nodeVersion.version === 'string' ? nodeVersion.version : undefined;
  return { coordinator: record.coordinator === true, starting: record.starting === true, version, coordinatorId: readCoordinatorId(body) };
}

function readNodeState(body: unknown): string {
  if (typeof body !== 'string') throw new HealthCheckError('state', 'GET /v1/info/state: expected a JSON string such as "ACTIVE"');
  return body;
}

/** The first Trino that writes X-Forwarded-Prefix as sent (452-457 URL-escape its slashes). */
export const PREFIX_ROUTING_MIN_TRINO_VERSION = 458;

/**
 * True when a reported version is known to be too old for prefix routing. Trino versions are
 * integers ("476"); a suffix is ignored, and text without a leading number (a custom build)
 * is given the benefit of the doubt.
 */
export function tooOldForPrefixRouting(version: string): boolean {
  const match = /^(\d+)/.exec(version.trim());
  return match?.[1] !== undefined && Number(match[1]) < PREFIX_ROUTING_MIN_TRINO_VERSION;
}

function withSlash(baseUrl: string): string {
  return baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
}

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
}
