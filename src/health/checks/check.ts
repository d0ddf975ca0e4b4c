/**
 * A health check: one small unit with a name, run against a coordinator session, that answers
 * with a classified result. The monitor runs an ordered list of them (index.ts) at once under
 * one deadline; the first check of the list (role `health`) that does not pass decides the
 * round's observation, so the list is ordered from the most telling check down. Checks of
 * role `load` read the load and never make a backend unhealthy.
 */
import type { CheckName, FailureKind } from '../check-error.js';
import type { HttpSession } from '../http-session.js';
import type { StatementResult } from '../trino-statement.js';

export interface LoadSample {
  readonly running: number;
  readonly queued: number;
  readonly source: 'runtime_queries' | 'ui_stats';
  /** Running and queued queries per user (system.runtime.queries only), for per-user queue limits. */
  readonly byUser?: Readonly<Record<string, number>> | undefined;
}

/** What a check learned on the way, whatever its outcome. */
export interface CheckFacts {
  /** The coordinator id the node reports (Trino 477+). */
  readonly coordinatorId?: string | undefined;
  /** The id of a query the check ran (it names the coordinator). */
  readonly queryId?: string | undefined;
  /** nodeVersion.version from /v1/info. */
  readonly version?: string | undefined;
  readonly load?: LoadSample | undefined;
}

export type CheckResult =
  | { readonly outcome: 'pass'; readonly facts?: CheckFacts }
  /** Not run this round (a fallback whose main check passed). */
  | { readonly outcome: 'skip' }
  | { readonly outcome: 'starting' | 'shutting_down'; readonly reason: string; readonly facts?: CheckFacts }
  | { readonly outcome: 'fail'; readonly failure: FailureKind; readonly reason: string; readonly facts?: CheckFacts };

/** One round's view of one coordinator, shared by the checks of the round. */
export interface CoordinatorSession {
  /** The backend's name. */
  readonly backend: string;
  readonly baseUrl: string;
  /** The Trino user of the checks' queries (X-Trino-User; the monitor's own queries are not load). */
  readonly user: string;
  readonly http: HttpSession;
  /** An absolute URL for a path on the coordinator. */
  url(path: string): string;
  /** Runs SQL as the monitor user, the way a Trino client does. */
  statement(check: CheckName, sql: string): Promise<StatementResult>;
  /** The result of another check of this round (a check may wait for one listed before it). */
  resultOf(check: CheckName): Promise<CheckResult>;
}

export interface Check {
  readonly name: CheckName;
  readonly role: 'health' | 'load';
  /** May throw: the runner classifies the error (HealthCheckError carries its failure kind). */
  run(session: CoordinatorSession): Promise<CheckResult>;
}

export const PASS: CheckResult = { outcome: 'pass' };
