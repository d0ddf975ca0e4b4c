/**
 * One round of checks against one coordinator: the ordered list of checks (checks/index.ts)
 * runs at once under the session's one deadline, and their results become one report: an
 * observation for the health state machine (the first health check that does not pass
 * decides it), the load sample (the first load check that read one), the coordinator id and
 * version. No state is kept here.
 */
import { coordinatorIdOf } from '../trino/query-id.js';
import { describeFailure, failureKindOf, type CheckName, type FailureKind } from './check-error.js';
import { checkList, type Check, type CheckResult, type CoordinatorSession, type LoadSample } from './checks/index.js';
import type { HttpSession } from './http-session.js';
import { runStatement } from './trino-statement.js';

export type { LoadSample } from './checks/index.js';
export { HEALTH_SQL } from './checks/health-query.js';
export { countQueries, LOAD_SQL } from './checks/load-query.js';

export type ObservationKind = 'up' | 'starting' | 'shutting_down' | 'down';

export interface Observation {
  readonly kind: ObservationKind;
  /** What the coordinator said, for logs and the state history. */
  readonly reason: string;
  /** Why a `down` check failed (refused credentials, a certificate, a timeout, ...). */
  readonly failure?: FailureKind;
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
  /** The backend's name, for messages; the URL's host when absent. */
  readonly backend?: string | undefined;
  /** Trino user of the health and load queries; its own queries are not counted as load. */
  readonly user: string;
  /** Fall back to /ui/api/stats through a web UI login when the load query fails. */
  readonly uiLogin?: boolean | undefined;
}

export const MONITOR_SOURCE = 'trino-envoy-router-monitor';

export async function probeCoordinator(http: HttpSession, target: ProbeTarget, checks: readonly Check[] = checkList(target)): Promise<ProbeReport> {
  const results = new Map<CheckName, Promise<CheckResult>>();
  const session: CoordinatorSession = {
    backend: target.backend ?? hostOf(target.baseUrl),
    baseUrl: target.baseUrl,
    user: target.user,
    http,
    url: (path) => new URL(path, withSlash(target.baseUrl)).href,
    statement: (check, sql) => runStatement(http, { check, baseUrl: target.baseUrl, sql, user: target.user, source: MONITOR_SOURCE }),
    resultOf: (check) => results.get(check) ?? Promise.resolve({ outcome: 'skip' }),
  };
  // Every check is registered before any runs, so resultOf finds each one.
  const deferred = checks.map((check) => {
    let start!: () => void;
    const gate = new Promise<void>((resolve) => { start = resolve; });
    results.set(check.name, gate.then(() => runCheck(check, session)));
    return start;
  });
  for (const start of deferred) start();
  const settled = await Promise.all(checks.map(async (check) => ({ check, result: await (results.get(check.name) as Promise<CheckResult>) })));
  return report(settled);
}

/** A check never rejects: whatever it throws is a failed result of the kind its error carries. */
async function runCheck(check: Check, session: CoordinatorSession): Promise<CheckResult> {
  try {
    return await check.run(session);
  } catch (error) {
    return { outcome: 'fail', failure: failureKindOf(error), reason: describeFailure(error) };
  }
}

function report(settled: readonly { check: Check; result: CheckResult }[]): ProbeReport {
  const facts = settled.flatMap(({ result }) => (result.outcome === 'skip' || result.facts === undefined ? [] : [result.facts]));
  const health = settled.filter(({ check }) => check.role === 'health');
  const loads = settled.filter(({ check }) => check.role === 'load');
  const load = loads.map(({ result }) => (result.outcome === 'pass' ? result.facts?.load : undefined)).find((l) => l !== undefined);
  const loadFailures = loads.flatMap(({ result }) => (result.outcome === 'fail' ? [result.reason] : []));
  const queryId = facts.map((f) => f.queryId).find((id) => id !== undefined);
  const coordinatorId = facts.map((f) => f.coordinatorId).find((id) => id !== undefined);
  return {
    observation: observationOf(health.map(({ result }) => result)),
    load,
    loadError: load !== undefined ? undefined : loadFailures.length === 0 ? 'no load check ran' : loadFailures.join('; fallback '),
    coordinatorId: coordinatorId ?? (queryId === undefined ? undefined : coordinatorIdOf(queryId)),
    version: facts.map((f) => f.version).find((v) => v !== undefined),
  };
}

/** The first health check that did not pass decides; all passed: up. */
function observationOf(results: readonly CheckResult[]): Observation {
  for (const result of results) {
    if (result.outcome === 'fail') return { kind: 'down', reason: result.reason, failure: result.failure };
    if (result.outcome === 'starting' || result.outcome === 'shutting_down') return { kind: result.outcome, reason: result.reason };
  }
  return { kind: 'up', reason: 'the coordinator is active and runs queries' };
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

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
