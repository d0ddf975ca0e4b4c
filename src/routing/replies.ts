/**
 * The router's own answers when it will not forward a request. On statement paths the body
 * is Trino's QueryResults, so every client prints the message ("No Trino cluster can take
 * this query now (group etl: trino-b disabled)") instead of "invalid response". A refused
 * submission is answered the way Trino answers a query that fails at once: QUEUED, with a
 * nextUri whose poll returns FAILED. Some clients (the JavaScript one) only show what a poll
 * returns. Other paths (UI, /v1/query, spooled segments) get a small JSON error.
 */
import {
  failedQueryResultsJson,
  GENERIC_USER_ERROR,
  NO_NODES_AVAILABLE,
  NOT_FOUND,
  PERMISSION_DENIED,
  QUERY_REJECTED,
  QUERY_RESULTS_CONTENT_TYPE,
  queuedQueryResultsJson,
  UNKNOWN_TRANSACTION,
  type TrinoErrorCode,
} from '../trino/query-results.js';
import type { ReplyInstruction } from './decision.js';

export type RouterErrorKind =
  | 'prefix_disabled'
  | 'forged_prefix'
  | 'forged_login'
  | 'unroutable_segment'
  | 'malformed_query_id'
  | 'unknown_query'
  | 'unknown_transaction'
  | 'bad_headers'
  | 'no_backend'
  | 'no_backend_configured'
  | 'queue_unavailable';

interface ErrorShape {
  /** HTTP status on non-statement paths. */
  readonly status: number;
  readonly error: TrinoErrorCode;
}

const SHAPES: Readonly<Record<RouterErrorKind, ErrorShape>> = {
  prefix_disabled: { status: 404, error: NOT_FOUND },
  forged_prefix: { status: 403, error: PERMISSION_DENIED },
  /** An OAuth2 state or auth id no cluster behind the router issued (or past its timeout), a forged or expired UI session cookie. */
  forged_login: { status: 403, error: PERMISSION_DENIED },
  unroutable_segment: { status: 404, error: NOT_FOUND },
  malformed_query_id: { status: 400, error: GENERIC_USER_ERROR },
  unknown_query: { status: 404, error: NOT_FOUND },
  unknown_transaction: { status: 404, error: UNKNOWN_TRANSACTION },
  bad_headers: { status: 400, error: GENERIC_USER_ERROR },
  no_backend: { status: 503, error: NO_NODES_AVAILABLE },
  no_backend_configured: { status: 503, error: QUERY_REJECTED },
  queue_unavailable: { status: 503, error: QUERY_REJECTED },
};

/** Every reason the router answers a request itself (the `outcome` values besides `forwarded`). */
export const ROUTER_ERROR_KINDS: readonly RouterErrorKind[] = Object.keys(SHAPES) as RouterErrorKind[];

/** The outcome of a forwarded request; a reply's outcome is its reason (no_backend, unknown_query…). */
export const FORWARDED = 'forwarded';
/** What became of a request: metrics' `outcome` label and the query history's outcome. */
export type RequestOutcome = typeof FORWARDED | RouterErrorKind;

export function isRequestOutcome(value: string): value is RequestOutcome {
  return value === FORWARDED || Object.hasOwn(SHAPES, value);
}

/**
 * The reasons of the gateway queue's own answers (src/queue): a submission held or a poll of
 * a query still waiting (`queued`), the cluster's answer handed to the client at last
 * (`queue_handover`), a cancel (`queue_cancelled`), a query the queue no longer holds
 * (`queue_gone`: cancelled, dropped after the client stopped polling, or failed).
 */
export type QueueReplyReason = 'queued' | 'queue_handover' | 'queue_cancelled' | 'queue_gone';
export const QUEUE_REPLY_REASONS: readonly QueueReplyReason[] = ['queued', 'queue_handover', 'queue_cancelled', 'queue_gone'];

/** The id a refused statement shows: a router refusal has no Trino query id. */
export const REFUSED_QUERY_ID = 'router_refused';
/** Where a refused submission's nextUri points; the router answers it itself. */
export const REFUSAL_ROOT = '/_router/refused/';
/** Longer messages are cut so the nextUri stays a sane URL. */
const MAX_MESSAGE_CHARS = 1500;
/** Longest encoded refusal: a message of 3-byte UTF-8 or 6-byte JSON escapes is cut further to fit. */
const MAX_ENCODED_CHARS = 4 * MAX_MESSAGE_CHARS;

export interface ReplyContext {
  readonly method: string;
  /** The path the coordinator would see (route prefix removed). */
  readonly path: string;
  /** `proto://authority` the client used, to build a nextUri; undefined if unknown. */
  readonly origin: string | undefined;
  readonly unavailable: 'failed-query' | 'retry';
}

function isStatementPath(path: string): boolean {
  return path === '/v1/statement' || path.startsWith('/v1/statement/') || path.startsWith('/v1/statement?');
}

/** POST /v1/statement: a new query (the only request whose refusal the query history keeps). */
export function isSubmission(method: string, path: string): boolean {
  return method === 'POST' && (path === '/v1/statement' || path.startsWith('/v1/statement?'));
}

export function routerErrorReply(kind: RouterErrorKind, message: string, context: ReplyContext): ReplyInstruction {
  if (!isStatementPath(context.path)) {
    return {
      kind: 'reply',
      status: SHAPES[kind].status,
      contentType: 'application/json',
      body: JSON.stringify({ error: kind, message }),
      reason: kind,
    };
  }
  // Retry mode answers 503 only for a transient outage: clients retry 503 on submission.
  if (kind === 'no_backend' && context.unavailable === 'retry') {
    return { ...failedStatementReply(kind, message), status: 503 };
  }
  if (isSubmission(context.method, context.path) && context.origin !== undefined) {
    return {
      kind: 'reply',
      status: 200,
      contentType: QUERY_RESULTS_CONTENT_TYPE,
      body: queuedQueryResultsJson({ queryId: REFUSED_QUERY_ID, nextUri: `${context.origin}${REFUSAL_ROOT}${encodeRefusal(kind, message)}` }),
      reason: kind,
    };
  }
  return failedStatementReply(kind, message);
}

/**
 * An unknown query on `/v1/query/{id}[/killed|/preempted]`, answered as Trino's QueryResource
 * does: DELETE of the query 204 (nothing to cancel, no body), anything else 410 Gone with
 * the message as plain text.
 */
export function unknownQueryResourceReply(method: string, action: string | undefined, message: string): ReplyInstruction {
  const cancel = method === 'DELETE' && action === undefined;
  return {
    kind: 'reply',
    status: cancel ? 204 : 410,
    contentType: 'text/plain; charset=utf-8',
    body: cancel ? '' : message,
    reason: 'unknown_query',
  };
}

/** HTTP 200 with a FAILED QueryResults. */
export function failedStatementReply(kind: RouterErrorKind, message: string): ReplyInstruction {
  return {
    kind: 'reply',
    status: 200,
    contentType: QUERY_RESULTS_CONTENT_TYPE,
    body: failedQueryResultsJson({ queryId: REFUSED_QUERY_ID, message, error: SHAPES[kind].error }),
    reason: kind,
  };
}

function encodeRefusal(kind: RouterErrorKind, message: string): string {
  let text = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
  for (;;) {
    const encoded = Buffer.from(JSON.stringify([kind, text]), 'utf8').toString('base64url');
    // decodeRefusal refuses anything longer, so the poll would not show the message at all.
    if (encoded.length <= MAX_ENCODED_CHARS) return encoded;
    const keep = Math.floor(((text.length - 1) * MAX_ENCODED_CHARS) / encoded.length) - 8;
    text = `${message.slice(0, Math.max(0, keep))}…`;
  }
}

/**
 * The refusal a REFUSAL_ROOT path carries, or undefined when it is not one the router wrote.
 * Only ever rendered as a JSON string, so a crafted URL can show its sender text, nothing more.
 */
export function decodeRefusal(path: string): { kind: RouterErrorKind; message: string } | undefined {
  if (!path.startsWith(REFUSAL_ROOT)) return undefined;
  const encoded = path.slice(REFUSAL_ROOT.length).split(/[/?#]/, 1)[0] ?? '';
  if (encoded.length === 0 || encoded.length > MAX_ENCODED_CHARS) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [kind, message] = parsed as unknown[];
    // Own keys only: `in` would accept inherited names such as "constructor" or "__proto__".
    if (typeof kind !== 'string' || !Object.hasOwn(SHAPES, kind) || typeof message !== 'string') return undefined;
    return { kind: kind as RouterErrorKind, message };
  } catch {
    return undefined;
  }
}
