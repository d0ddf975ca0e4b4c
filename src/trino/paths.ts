/**
 * What a request path means to Trino, read from the resources the coordinator serves:
 *   POST /v1/statement                                               submit a query
 *   /v1/statement/queued/{queryId}/{slug}/{token}                    follow a queued query
 *   /v1/statement/executing/{queryId}/{slug}/{token}                 follow a running query
 *   /v1/statement/executing/partialCancel/{queryId}/{stage}/{slug}/{token}
 *   /v1/query/{queryId}[/killed|/preempted]                          query info and kill
 *   /ui/query.html?{queryId}, /ui/api/query/{queryId}[/...]          web UI
 *   /v1/spooled/download|ack/{segmentId}                             spooled segments
 *   /v1/info, /v1/info/state, /v1/status                             node status
 * Paths under those prefixes that do not fit (bad query id, wrong segment count, non-numeric
 * token) are `invalid`: Trino would answer 404, and a router must not guess an owner.
 *
 * The path is split by hand (indexOf), without regexes or arrays; segments are not
 * percent-decoded because no valid id, slug or token contains a character that needs it.
 */
import { isQueryId } from './query-id.js';

export type StatementPhase = 'queued' | 'executing';
export type QueryAction = 'killed' | 'preempted';
export type SpooledAction = 'download' | 'ack';

export type TrinoPath =
  | { readonly kind: 'submit' }
  | {
      readonly kind: 'statement';
      readonly phase: StatementPhase;
      readonly queryId: string;
      readonly slug: string;
      readonly token: number;
    }
  | {
      readonly kind: 'partialCancel';
      readonly queryId: string;
      readonly stage: number;
      readonly slug: string;
      readonly token: number;
    }
  | { readonly kind: 'query'; readonly queryId: string; readonly action?: QueryAction }
  | { readonly kind: 'uiQuery'; readonly queryId: string }
  | { readonly kind: 'spooled'; readonly action: SpooledAction; readonly segmentId: string }
  | { readonly kind: 'status' }
  | { readonly kind: 'other' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Follow-up kinds that name their query. */
export type TrinoQueryPath = Extract<TrinoPath, { readonly queryId: string }>;

// Shared results for the id-less kinds: the hot path allocates nothing for them.
const SUBMIT: TrinoPath = Object.freeze({ kind: 'submit' });
const STATUS: TrinoPath = Object.freeze({ kind: 'status' });
const OTHER: TrinoPath = Object.freeze({ kind: 'other' });

const STATEMENT = '/v1/statement';
const QUEUED = '/v1/statement/queued/';
const PARTIAL_CANCEL = '/v1/statement/executing/partialCancel/';
const EXECUTING = '/v1/statement/executing/';
const QUERY = '/v1/query/';
const SPOOLED_DOWNLOAD = '/v1/spooled/download/';
const SPOOLED_ACK = '/v1/spooled/ack/';
const SPOOLED = '/v1/spooled/';
const UI_QUERY_PAGE = '/ui/query.html';
const UI_API_QUERY = '/ui/api/query/';

/** Trino's slug is "y" + 40 hex digits (HMAC-SHA1); older servers used other letters. */
const SLUG = /^[A-Za-z0-9_-]{1,128}$/;
/** RFC 3986 path-segment characters; Trino's spooled segment ids are opaque. */
const SEGMENT_ID = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@]{1,4096}$/;
/** Tokens count up from 0 per query: 15 digits keeps them exact as JS numbers. */
const MAX_TOKEN_DIGITS = 15;
/** Stage ids are Java ints. */
const MAX_STAGE_DIGITS = 9;

function invalid(reason: string): TrinoPath {
  return { kind: 'invalid', reason };
}

/** A non-negative decimal of at most `maxDigits` digits, or -1. */
function decimal(s: string, maxDigits: number): number {
  if (s.length === 0 || s.length > maxDigits) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Splits `path[from, end)` into exactly `count` non-empty '/'-separated segments, or returns
 * undefined. Count is at most 5, so this is a handful of indexOf calls.
 */
function segments(path: string, from: number, end: number, count: number): string[] | undefined {
  const out: string[] = [];
  let start = from;
  for (let i = 0; i < count; i++) {
    let stop = path.indexOf('/', start);
    if (stop < 0 || stop > end) stop = end;
    if (stop === start) return undefined;
    out.push(path.slice(start, stop));
    start = stop + 1;
    if (stop === end) return i === count - 1 ? out : undefined;
  }
  return undefined;
}

function statement(path: string, from: number, end: number, phase: StatementPhase): TrinoPath {
  const parts = segments(path, from, end, 3);
  if (parts === undefined) return invalid(`expected /v1/statement/${phase}/{queryId}/{slug}/{token}`);
  const [queryId, slug, token] = parts as [string, string, string];
  if (!isQueryId(queryId)) return invalid('malformed query id');
  if (!SLUG.test(slug)) return invalid('malformed slug');
  const tokenNumber = decimal(token, MAX_TOKEN_DIGITS);
  if (tokenNumber < 0) return invalid('malformed token');
  return { kind: 'statement', phase, queryId, slug, token: tokenNumber };
}

function partialCancel(path: string, from: number, end: number): TrinoPath {
  const parts = segments(path, from, end, 4);
  if (parts === undefined) return invalid('expected /v1/statement/executing/partialCancel/{queryId}/{stage}/{slug}/{token}');
  const [queryId, stage, slug, token] = parts as [string, string, string, string];
  if (!isQueryId(queryId)) return invalid('malformed query id');
  const stageNumber = decimal(stage, MAX_STAGE_DIGITS);
  if (stageNumber < 0) return invalid('malformed stage');
  if (!SLUG.test(slug)) return invalid('malformed slug');
  const tokenNumber = decimal(token, MAX_TOKEN_DIGITS);
  if (tokenNumber < 0) return invalid('malformed token');
  return { kind: 'partialCancel', queryId, stage: stageNumber, slug, token: tokenNumber };
}

function query(path: string, from: number, end: number): TrinoPath {
  if (from === end) return OTHER; // `/v1/query/`: the coordinator's query list
  const slash = path.indexOf('/', from);
  const idEnd = slash < 0 || slash > end ? end : slash;
  const queryId = path.slice(from, idEnd);
  if (!isQueryId(queryId)) return invalid('malformed query id');
  if (idEnd === end) return { kind: 'query', queryId };
  const action = path.slice(idEnd + 1, end);
  if (action === 'killed' || action === 'preempted') return { kind: 'query', queryId, action };
  return invalid('expected /v1/query/{queryId}[/killed|/preempted]');
}

function uiApiQuery(path: string, from: number, end: number): TrinoPath {
  if (from === end) return OTHER; // `/ui/api/query/`: the UI's query list
  const slash = path.indexOf('/', from);
  const idEnd = slash < 0 || slash > end ? end : slash;
  const queryId = path.slice(from, idEnd);
  return isQueryId(queryId) ? { kind: 'uiQuery', queryId } : invalid('malformed query id');
}

function spooled(path: string, from: number, end: number, action: SpooledAction): TrinoPath {
  const segmentId = path.slice(from, end);
  if (!SEGMENT_ID.test(segmentId)) return invalid('malformed spooled segment id');
  return { kind: 'spooled', action, segmentId };
}

/**
 * Classifies a request path (query string allowed). `method` matters only for submission:
 * anything but POST on /v1/statement is `other` (Trino answers 405).
 */
export function classifyTrinoPath(method: string, path: string): TrinoPath {
  const queryStart = path.indexOf('?');
  const end = queryStart < 0 ? path.length : queryStart;

  if (path.startsWith('/v1/')) {
    if (path.startsWith(STATEMENT)) {
      if (end === STATEMENT.length) return method === 'POST' ? SUBMIT : OTHER;
      if (path.startsWith(QUEUED)) return statement(path, QUEUED.length, end, 'queued');
      if (path.startsWith(PARTIAL_CANCEL)) return partialCancel(path, PARTIAL_CANCEL.length, end);
      if (path.startsWith(EXECUTING)) return statement(path, EXECUTING.length, end, 'executing');
      if (path.charCodeAt(STATEMENT.length) === 0x2f) return invalid('unknown /v1/statement path');
      return OTHER; // e.g. /v1/statements: not a Trino resource
    }
    if (path.startsWith(QUERY)) return query(path, QUERY.length, end);
    if (path.startsWith(SPOOLED)) {
      if (path.startsWith(SPOOLED_DOWNLOAD)) return spooled(path, SPOOLED_DOWNLOAD.length, end, 'download');
      if (path.startsWith(SPOOLED_ACK)) return spooled(path, SPOOLED_ACK.length, end, 'ack');
      return invalid('expected /v1/spooled/download/{id} or /v1/spooled/ack/{id}');
    }
    if (end === 8 && path.startsWith('/v1/info')) return STATUS;
    if (end === 14 && path.startsWith('/v1/info/state')) return STATUS;
    if (end === 10 && path.startsWith('/v1/status')) return STATUS;
    return OTHER;
  }

  if (path.startsWith('/ui/')) {
    if (end === UI_QUERY_PAGE.length && path.startsWith(UI_QUERY_PAGE)) {
      // The page reads its query id from the whole query string.
      if (queryStart < 0) return OTHER;
      const queryId = path.slice(queryStart + 1);
      return isQueryId(queryId) ? { kind: 'uiQuery', queryId } : invalid('malformed query id');
    }
    if (path.startsWith(UI_API_QUERY)) return uiApiQuery(path, UI_API_QUERY.length, end);
  }
  return OTHER;
}

/** True for the kinds that name a query (and so have an owner). */
export function namesQuery(path: TrinoPath): path is TrinoQueryPath {
  return path.kind === 'statement' || path.kind === 'partialCancel' || path.kind === 'query' || path.kind === 'uiQuery';
}

/**
 * The origin form (`/path?query`) of a request target in absolute form
 * (`http://host:port/path?query`, RFC 9112 3.2.2), as Envoy's HTTP/1 codec makes it
 * (`allow_absolute_url`); any other target is returned as it is.
 */
export function originFormPath(target: string): string {
  if (target.charCodeAt(0) === 0x2f) return target; // the usual case: already origin form
  const schemeEnd = target.indexOf('://');
  if (schemeEnd <= 0) return target;
  const scheme = target.slice(0, schemeEnd).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return target;
  const authorityStart = schemeEnd + 3;
  let pathStart = authorityStart;
  while (pathStart < target.length) {
    const c = target.charCodeAt(pathStart);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // '/', '?', '#'
    pathStart++;
  }
  if (pathStart === authorityStart) return target; // no authority: not a valid absolute form
  const rest = target.slice(pathStart);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
