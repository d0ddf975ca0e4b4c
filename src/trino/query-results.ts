/**
 * Failed QueryResults bodies for the router's own refusals. Every Trino client shows
 * `error.message` of a QueryResults cleanly, whereas a plain-text error is reported as an
 * invalid response, so the router answers HTTP 200 with this body: state FAILED, no nextUri.
 *
 * Shapes follow the Java client (io.trino.client.QueryResults, StatementStats, QueryError,
 * FailureInfo), which is the strictest reader: it requires `id`, `infoUri` and `stats`, and
 * FailureInfo needs `type`, `suppressed` and `stack`. `rootStage` is left out (nullable in
 * Java; a made-up stage would mislead UIs).
 */
import type { TrinoErrorCode, TrinoErrorType } from './error-codes.js';

export { parseQueryResultsHead, type QueryResultsHead } from './query-results-head.js';
export * from './error-codes.js';

/** failureInfo.type of the router's failures (Java clients print it as the exception class). */
export const ROUTER_FAILURE_TYPE = 'trino_envoy_router.RouterError';
/** Used when the caller has no info page to point to: the Java client refuses a missing infoUri. */
export const NO_INFO_URI = 'about:blank';
export const QUERY_RESULTS_CONTENT_TYPE = 'application/json';

export interface FailedQueryInput {
  /** Shown by clients as the query id; a router refusal has no Trino id, so the caller names it. */
  readonly queryId: string;
  readonly message: string;
  readonly error: TrinoErrorCode;
  readonly infoUri?: string;
  readonly elapsedTimeMillis?: number;
  readonly failureType?: string;
}

export interface StatementStats {
  readonly state: string;
  readonly queued: boolean;
  readonly scheduled: boolean;
  readonly nodes: number;
  readonly totalSplits: number;
  readonly queuedSplits: number;
  readonly runningSplits: number;
  readonly completedSplits: number;
  readonly cpuTimeMillis: number;
  readonly wallTimeMillis: number;
  readonly queuedTimeMillis: number;
  readonly elapsedTimeMillis: number;
  readonly processedRows: number;
  readonly processedBytes: number;
  readonly physicalInputBytes: number;
  readonly peakMemoryBytes: number;
  readonly spilledBytes: number;
  readonly progressPercentage: number;
}

export interface FailureInfo {
  readonly type: string;
  readonly message: string;
  readonly suppressed: readonly FailureInfo[];
  readonly stack: readonly string[];
}

export interface QueryError {
  readonly message: string;
  readonly errorCode: number;
  readonly errorName: string;
  readonly errorType: TrinoErrorType;
  readonly failureInfo: FailureInfo;
}

export interface FailedQueryResults {
  readonly id: string;
  readonly infoUri: string;
  readonly stats: StatementStats;
  readonly error: QueryError;
  readonly warnings: readonly never[];
}

function emptyStats(state: 'QUEUED' | 'FAILED', elapsedTimeMillis: number, queuedTimeMillis = 0): StatementStats {
  return {
    state,
    queued: state === 'QUEUED',
    scheduled: false,
    nodes: 0,
    totalSplits: 0,
    queuedSplits: 0,
    runningSplits: 0,
    completedSplits: 0,
    cpuTimeMillis: 0,
    wallTimeMillis: 0,
    queuedTimeMillis,
    elapsedTimeMillis,
    processedRows: 0,
    processedBytes: 0,
    physicalInputBytes: 0,
    peakMemoryBytes: 0,
    spilledBytes: 0,
    progressPercentage: 0,
  };
}

export interface QueuedQueryInput {
  readonly queryId: string;
  readonly nextUri: string;
  readonly infoUri?: string;
  /** How long the query has waited (a query held in the router's queue). */
  readonly queuedTimeMillis?: number;
  /** Queries before it in the router's queue (0: next); shown in stats as queuePosition. */
  readonly position?: number;
}

/**
 * A QUEUED QueryResults whose nextUri leads to the outcome. Trino answers a submission this
 * way even when the query fails at once, and some clients (the JavaScript one among them)
 * only show what a poll returns, never an error in the submission's own response.
 */
export function queuedQueryResultsJson(input: QueuedQueryInput): string {
  return JSON.stringify({
    id: input.queryId,
    infoUri: input.infoUri ?? NO_INFO_URI,
    nextUri: input.nextUri,
    stats: input.position === undefined
      ? emptyStats('QUEUED', input.queuedTimeMillis ?? 0, input.queuedTimeMillis ?? 0)
      : { ...emptyStats('QUEUED', input.queuedTimeMillis ?? 0, input.queuedTimeMillis ?? 0), queuePosition: input.position },
    warnings: [],
  });
}

export function failedQueryResults(input: FailedQueryInput): FailedQueryResults {
  return {
    id: input.queryId,
    infoUri: input.infoUri ?? NO_INFO_URI,
    stats: emptyStats('FAILED', input.elapsedTimeMillis ?? 0),
    error: {
      message: input.message,
      errorCode: input.error.code,
      errorName: input.error.name,
      errorType: input.error.type,
      failureInfo: {
        type: input.failureType ?? ROUTER_FAILURE_TYPE,
        message: input.message,
        suppressed: [],
        stack: [],
      },
    },
    warnings: [],
  };
}

/** The JSON body of `failedQueryResults(input)`, `id` first as Trino writes it. */
export function failedQueryResultsJson(input: FailedQueryInput): string {
  return JSON.stringify(failedQueryResults(input));
}
