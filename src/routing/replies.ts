/**
 * The router's own answers when it will not forward a request. On statement paths the body
 * is a FAILED QueryResults (every Trino client prints its `error.message`), so a user sees
 * "No healthy Trino cluster for group etl" instead of "invalid response". Other paths (UI,
 * /v1/query, spooled segments) get a small JSON error with a fitting HTTP status.
 */
import {
  failedQueryResultsJson,
  GENERIC_USER_ERROR,
  NO_NODES_AVAILABLE,
  NOT_FOUND,
  PERMISSION_DENIED,
  QUERY_REJECTED,
  QUERY_RESULTS_CONTENT_TYPE,
  UNKNOWN_TRANSACTION,
  type TrinoErrorCode,
} from '../trino/query-results.js';
import type { ReplyInstruction } from './decision.js';

export type RouterErrorKind =
  | 'prefix_disabled'
  | 'forged_prefix'
  | 'unroutable_segment'
  | 'malformed_query_id'
  | 'unknown_query'
  | 'unknown_transaction'
  | 'bad_headers'
  | 'no_backend'
  | 'no_backend_configured';

interface ErrorShape {
  /** HTTP status for non-statement paths (and for statements in `retry` mode when transient). */
  readonly status: number;
  readonly error: TrinoErrorCode;
}

const SHAPES: Readonly<Record<RouterErrorKind, ErrorShape>> = {
  prefix_disabled: { status: 404, error: NOT_FOUND },
  forged_prefix: { status: 403, error: PERMISSION_DENIED },
  unroutable_segment: { status: 404, error: NOT_FOUND },
  malformed_query_id: { status: 400, error: GENERIC_USER_ERROR },
  unknown_query: { status: 404, error: NOT_FOUND },
  unknown_transaction: { status: 404, error: UNKNOWN_TRANSACTION },
  bad_headers: { status: 400, error: GENERIC_USER_ERROR },
  no_backend: { status: 503, error: NO_NODES_AVAILABLE },
  no_backend_configured: { status: 503, error: QUERY_REJECTED },
};

/** The id a refused statement shows: a router refusal has no Trino query id. */
export const REFUSED_QUERY_ID = 'router_refused';

function isStatementPath(path: string): boolean {
  return path === '/v1/statement' || path.startsWith('/v1/statement/') || path.startsWith('/v1/statement?');
}

export function routerErrorReply(
  kind: RouterErrorKind,
  message: string,
  path: string,
  unavailable: 'failed-query' | 'retry',
): ReplyInstruction {
  const shape = SHAPES[kind];
  if (!isStatementPath(path)) {
    return {
      kind: 'reply',
      status: shape.status,
      contentType: 'application/json',
      body: JSON.stringify({ error: kind, message }),
      reason: kind,
    };
  }
  // Retry mode answers 503 only for a transient outage: clients retry 503 on submission.
  const status = kind === 'no_backend' && unavailable === 'retry' ? 503 : 200;
  return {
    kind: 'reply',
    status,
    contentType: QUERY_RESULTS_CONTENT_TYPE,
    body: failedQueryResultsJson({ queryId: REFUSED_QUERY_ID, message, error: shape.error }),
    reason: kind,
  };
}
