/**
 * Reads the Trino request headers a router cares about, in one pass over the header list,
 * with the semantics of Trino's HttpRequestSessionContextFactory:
 *   - prefix `x-trino-`; `x-presto-` from older clients; both in one request is refused
 *     (Trino: "Both Trino and Presto headers detected"; it treats any name starting with
 *     `x-presto` as Presto).
 *   - single-valued headers: the first line wins. User, Original-User, Catalog, Schema, Path,
 *     Trace-Token, Transaction-Id and Query-Data-Encoding are trimmed and empty means absent;
 *     Source, Time-Zone, Language and Client-Info are taken as sent, as Trino does.
 *   - Session, Role, Extra-Credential, Prepared-Statement, Resource-Estimate: `name=value`
 *     lists over every line (see property-list.ts).
 *   - Client-Tags, Client-Capabilities: the first line only, split on `,`, trimmed, empties
 *     dropped, duplicates dropped (Trino keeps them in a set).
 *   - no X-Trino-User: the user of the `Authorization` header (see authorization-user.ts).
 * Bad input comes back as a TrinoHeaderError value, never as an exception. Each header value
 * read is capped in length and each list header in entries, so hostile input costs bounded
 * work; headers this module does not read are not looked at beyond their name.
 */
import { authorizationUser } from './authorization-user.js';
import type { HeaderList } from './header-list.js';
import { TrinoHeaderError } from './header-error.js';
import { pieceEnd, skipLeadingSpace, skipTrailingSpace } from './list-scan.js';
import { readPropertyLine, type PropertyFailure } from './property-list.js';

export { isTrinoHeaderError, TrinoHeaderError, type TrinoHeaderProblem } from './header-error.js';
export type { HeaderList } from './header-list.js';

/** Longest header value read, in UTF-16 code units (Envoy's own default cap is 60 KiB for all headers). */
export const MAX_HEADER_VALUE_LENGTH = 64 * 1024;
/** Most entries in one list header over all its lines, and most distinct client tags or capabilities. */
export const MAX_LIST_ENTRIES = 1000;
/** JWT claim naming the user, as Trino's `http-server.authentication.jwt.principal-field` default. */
export const DEFAULT_JWT_USER_CLAIM = 'sub';

export interface TrinoHeaderOptions {
  readonly jwtUserClaim?: string;
  readonly maxHeaderValueLength?: number;
  readonly maxListEntries?: number;
}

export type TrinoProtocol = 'trino' | 'presto';
/** Where the user came from: X-Trino-User, Basic credentials, or a bearer JWT's claim. */
export type UserSource = 'header' | 'basic' | 'jwt';

export interface TrinoRequestHeaders {
  readonly protocol: TrinoProtocol;
  readonly user: string | undefined;
  readonly userSource: UserSource | undefined;
  readonly originalUser: string | undefined;
  readonly source: string | undefined;
  readonly catalog: string | undefined;
  readonly schema: string | undefined;
  readonly path: string | undefined;
  readonly timeZone: string | undefined;
  readonly language: string | undefined;
  readonly traceToken: string | undefined;
  readonly clientInfo: string | undefined;
  readonly clientTags: readonly string[];
  readonly clientCapabilities: readonly string[];
  readonly sessionProperties: ReadonlyMap<string, string>;
  readonly roles: ReadonlyMap<string, string>;
  readonly extraCredentials: ReadonlyMap<string, string>;
  /** Statement name -> statement as sent (URL-decoded; possibly Trino-compressed). */
  readonly preparedStatements: ReadonlyMap<string, string>;
  /** The transaction the request runs in; undefined when absent or `NONE`. */
  readonly transactionId: string | undefined;
  /** The client sent a Transaction-Id header (`NONE` included): it may start a transaction. */
  readonly transactionSupport: boolean;
  readonly resourceEstimates: ReadonlyMap<string, string>;
  readonly queryDataEncoding: string | undefined;
  /**
   * X-Trino-Routing-Group: not a Trino header but trino-gateway's group selector, which
   * clients moving from it still send (first line, trimmed; empty means absent).
   */
  readonly routingGroup: string | undefined;
}

// Header fields, by the suffix after the protocol prefix.
const USER = 0;
const ORIGINAL_USER = 1;
const SOURCE = 2;
const CATALOG = 3;
const SCHEMA = 4;
const PATH = 5;
const TIME_ZONE = 6;
const LANGUAGE = 7;
const TRACE_TOKEN = 8;
const CLIENT_INFO = 9;
const CLIENT_TAGS = 10;
const CLIENT_CAPABILITIES = 11;
const TRANSACTION_ID = 12;
const QUERY_DATA_ENCODING = 13;
const SESSION = 14;
const ROLE = 15;
const EXTRA_CREDENTIAL = 16;
const PREPARED_STATEMENT = 17;
const RESOURCE_ESTIMATE = 18;
const ROUTING_GROUP = 19;

const FIELD_SUFFIXES: readonly (readonly [string, number])[] = [
  ['user', USER],
  ['original-user', ORIGINAL_USER],
  ['source', SOURCE],
  ['catalog', CATALOG],
  ['schema', SCHEMA],
  ['path', PATH],
  ['time-zone', TIME_ZONE],
  ['language', LANGUAGE],
  ['trace-token', TRACE_TOKEN],
  ['client-info', CLIENT_INFO],
  ['client-tags', CLIENT_TAGS],
  ['client-capabilities', CLIENT_CAPABILITIES],
  ['transaction-id', TRANSACTION_ID],
  ['query-data-encoding', QUERY_DATA_ENCODING],
  ['session', SESSION],
  ['role', ROLE],
  ['extra-credential', EXTRA_CREDENTIAL],
  ['prepared-statement', PREPARED_STATEMENT],
  ['resource-estimate', RESOURCE_ESTIMATE],
  ['routing-group', ROUTING_GROUP],
];

/** Full lower-case header name (both prefixes) -> field: one hash lookup per x- header. */
const FIELD_BY_NAME = new Map<string, number>();
for (const [suffix, field] of FIELD_SUFFIXES) {
  FIELD_BY_NAME.set(`x-trino-${suffix}`, field);
  FIELD_BY_NAME.set(`x-presto-${suffix}`, field);
}

const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_ENTRIES: ReadonlyMap<string, string> = new Map();
const DEFAULT_OPTIONS: TrinoHeaderOptions = Object.freeze({});

/** One list header's entries over all its lines; created only when the header is present. */
class PropertyList {
  readonly entries = new Map<string, string>();
  count = 0;
}

/** Reads one line of a list header into `list`; returns the error when the line is refused. */
function readList(
  list: PropertyList,
  name: string,
  value: string,
  maxEntries: number,
  decodeNames: boolean,
): TrinoHeaderError | undefined {
  const result = readPropertyLine(value, list.entries, list.count, maxEntries, decodeNames);
  if (typeof result !== 'number') return listFailure(name, result, maxEntries);
  list.count = result;
  return undefined;
}

function trimmedOrUndefined(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : undefined;
}

/**
 * Trino's Splitter.on(',').trimResults().omitEmptyStrings() into a set, in first-seen order;
 * undefined when there are more than `maxTags` distinct tags.
 */
function splitTagList(line: string | undefined, maxTags: number): readonly string[] | undefined {
  if (line === undefined) return NO_STRINGS;
  const out: string[] = [];
  let seen: Set<string> | undefined; // only for long lists, so dedup stays linear
  for (let start = 0; start <= line.length; ) {
    const end = pieceEnd(line, start);
    const from = skipLeadingSpace(line, start, end);
    const to = skipTrailingSpace(line, from, end);
    start = end + 1;
    if (from === to) continue;
    const tag = line.slice(from, to);
    if (seen !== undefined) {
      if (seen.has(tag)) continue;
      seen.add(tag);
    } else {
      if (out.includes(tag)) continue;
      if (out.length === 16) seen = new Set(out).add(tag);
    }
    if (out.length === maxTags) return undefined;
    out.push(tag);
  }
  return out.length > 0 ? out : NO_STRINGS;
}

function listFailure(header: string, failure: PropertyFailure, maxEntries: number): TrinoHeaderError {
  switch (failure.problem) {
    case 'too_many_entries':
      return new TrinoHeaderError(header, failure.problem, `Invalid ${header} header: more than ${maxEntries} entries`);
    case 'malformed_entry':
      return new TrinoHeaderError(header, failure.problem, `Invalid ${header} header: entry ${failure.entry} is not name=value`, failure.entry);
    case 'empty_name':
      return new TrinoHeaderError(header, failure.problem, `Invalid ${header} header: entry ${failure.entry} has an empty name`, failure.entry);
    case 'bad_percent_encoding':
      return new TrinoHeaderError(
        header,
        failure.problem,
        `Invalid ${header} header: entry ${failure.entry} has a malformed %-escape`,
        failure.entry,
      );
  }
}

/** Parses a request's Trino headers; returns (never throws) a TrinoHeaderError for bad input. */
export function parseTrinoHeaders(
  headers: HeaderList,
  options: TrinoHeaderOptions = DEFAULT_OPTIONS,
): TrinoRequestHeaders | TrinoHeaderError {
  const maxLength = options.maxHeaderValueLength ?? MAX_HEADER_VALUE_LENGTH;
  const maxEntries = options.maxListEntries ?? MAX_LIST_ENTRIES;
  let firstTrinoHeader: string | undefined;
  let firstPrestoHeader: string | undefined;
  // The first problem found; scanning goes on only to detect conflicting prefixes, which
  // Trino reports before anything else.
  let failure: TrinoHeaderError | undefined;

  let user: string | undefined;
  let originalUser: string | undefined;
  let source: string | undefined;
  let catalog: string | undefined;
  let schema: string | undefined;
  let path: string | undefined;
  let timeZone: string | undefined;
  let language: string | undefined;
  let traceToken: string | undefined;
  let clientInfo: string | undefined;
  let clientTags: string | undefined;
  let clientCapabilities: string | undefined;
  let transactionId: string | undefined;
  let queryDataEncoding: string | undefined;
  let routingGroup: string | undefined;
  let authorization: string | undefined;
  let session: PropertyList | undefined;
  let roles: PropertyList | undefined;
  let extraCredentials: PropertyList | undefined;
  let preparedStatements: PropertyList | undefined;
  let resourceEstimates: PropertyList | undefined;

  for (const [name, value] of headers) {
    if (name.charCodeAt(0) !== 0x78 || name.charCodeAt(1) !== 0x2d) {
      if (name === 'authorization' && authorization === undefined && failure === undefined) {
        if (value.length > maxLength) failure = tooLarge(name, value.length, maxLength);
        else authorization = value;
      }
      continue;
    }
    if (name.startsWith('x-trino-')) firstTrinoHeader ??= name;
    else if (name.startsWith('x-presto')) firstPrestoHeader ??= name;
    else continue;
    if (failure !== undefined) continue;
    const field = FIELD_BY_NAME.get(name);
    if (field === undefined) continue;
    if (value.length > maxLength) {
      failure = tooLarge(name, value.length, maxLength);
      continue;
    }
    switch (field) {
      case USER: user ??= value; break;
      case ORIGINAL_USER: originalUser ??= value; break;
      case SOURCE: source ??= value; break;
      case CATALOG: catalog ??= value; break;
      case SCHEMA: schema ??= value; break;
      case PATH: path ??= value; break;
      case TIME_ZONE: timeZone ??= value; break;
      case LANGUAGE: language ??= value; break;
      case TRACE_TOKEN: traceToken ??= value; break;
      case CLIENT_INFO: clientInfo ??= value; break;
      case CLIENT_TAGS: clientTags ??= value; break;
      case CLIENT_CAPABILITIES: clientCapabilities ??= value; break;
      case TRANSACTION_ID: transactionId ??= value; break;
      case QUERY_DATA_ENCODING: queryDataEncoding ??= value; break;
      case ROUTING_GROUP: routingGroup ??= value; break;
      case SESSION: failure = readList((session ??= new PropertyList()), name, value, maxEntries, false); break;
      case ROLE: failure = readList((roles ??= new PropertyList()), name, value, maxEntries, false); break;
      case EXTRA_CREDENTIAL: failure = readList((extraCredentials ??= new PropertyList()), name, value, maxEntries, false); break;
      case PREPARED_STATEMENT: failure = readList((preparedStatements ??= new PropertyList()), name, value, maxEntries, true); break;
      case RESOURCE_ESTIMATE: failure = readList((resourceEstimates ??= new PropertyList()), name, value, maxEntries, false); break;
    }
  }

  if (firstTrinoHeader !== undefined && firstPrestoHeader !== undefined) {
    return new TrinoHeaderError(
      firstPrestoHeader,
      'conflicting_protocols',
      `Both X-Trino- and X-Presto- headers were sent (${firstTrinoHeader}, ${firstPrestoHeader}); a request must use one protocol`,
    );
  }
  if (failure !== undefined) return failure;

  let resolvedUser = trimmedOrUndefined(user);
  let userSource: UserSource | undefined = resolvedUser === undefined ? undefined : 'header';
  if (resolvedUser === undefined && authorization !== undefined) {
    const fromAuthorization = authorizationUser(authorization, options.jwtUserClaim ?? DEFAULT_JWT_USER_CLAIM);
    if (fromAuthorization !== undefined) {
      resolvedUser = fromAuthorization.user;
      userSource = fromAuthorization.scheme === 'basic' ? 'basic' : 'jwt';
    }
  }
  const transaction = trimmedOrUndefined(transactionId);
  const tags = splitTagList(clientTags, maxEntries);
  if (tags === undefined) return tooManyTags(protocolHeader(firstPrestoHeader, 'client-tags'), maxEntries);
  const capabilities = splitTagList(clientCapabilities, maxEntries);
  if (capabilities === undefined) return tooManyTags(protocolHeader(firstPrestoHeader, 'client-capabilities'), maxEntries);

  return {
    protocol: firstPrestoHeader !== undefined ? 'presto' : 'trino',
    user: resolvedUser,
    userSource,
    originalUser: trimmedOrUndefined(originalUser),
    source,
    catalog: trimmedOrUndefined(catalog),
    schema: trimmedOrUndefined(schema),
    path: trimmedOrUndefined(path),
    timeZone,
    language,
    traceToken: trimmedOrUndefined(traceToken),
    clientInfo,
    clientTags: tags,
    clientCapabilities: capabilities,
    sessionProperties: nonEmpty(session),
    roles: nonEmpty(roles),
    extraCredentials: nonEmpty(extraCredentials),
    preparedStatements: nonEmpty(preparedStatements),
    transactionId: transaction === undefined || isNone(transaction) ? undefined : transaction,
    transactionSupport: transactionId !== undefined,
    resourceEstimates: nonEmpty(resourceEstimates),
    queryDataEncoding: trimmedOrUndefined(queryDataEncoding),
    routingGroup: trimmedOrUndefined(routingGroup),
  };
}

/** Trino's `equalsIgnoreCase("none")`: the client supports transactions but has none open. */
function isNone(value: string): boolean {
  return value.length === 4 && value.toUpperCase() === 'NONE';
}

function nonEmpty(list: PropertyList | undefined): ReadonlyMap<string, string> {
  return list === undefined || list.entries.size === 0 ? NO_ENTRIES : list.entries;
}

function protocolHeader(firstPrestoHeader: string | undefined, suffix: string): string {
  return firstPrestoHeader === undefined ? `x-trino-${suffix}` : `x-presto-${suffix}`;
}

function tooManyTags(header: string, maxEntries: number): TrinoHeaderError {
  return new TrinoHeaderError(header, 'too_many_entries', `Invalid ${header} header: more than ${maxEntries} distinct entries`);
}

function tooLarge(header: string, length: number, maxLength: number): TrinoHeaderError {
  return new TrinoHeaderError(
    header,
    'value_too_large',
    `Invalid ${header} header: value is ${length} characters long, more than the limit of ${maxLength}`,
  );
}
