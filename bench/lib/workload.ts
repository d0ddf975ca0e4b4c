/**
 * What the load generator sends: ext_proc ProcessingRequest messages as Envoy encodes them
 * (header values in raw_value only, request attributes on the first message), for Trino
 * submissions and follow-ups. Every message is encoded once, up front, with the project's
 * generated codec; the hot loop only writes bytes.
 */
import { randomUUID } from 'node:crypto';
import { ProcessingRequest } from '../../src/gen/envoy/service/ext_proc/v3/external_processor.js';
import { seededRandom } from './ids.js';

export type Header = readonly [string, string];

/** Every pool has this many distinct messages (users, sources, request ids…), sent in turn. */
export const POOL_SIZE = 256;
export const LISTENER_PORT = 8080;
export const AUTHORITY = 'trino.example.com:8080';

function headerMap(headers: readonly Header[]) {
  return {
    headers: headers.map(([key, value]) => ({ key, value: '', rawValue: Buffer.from(value, 'utf8') })),
  };
}

/** An Envoy request_headers message: what the ext_proc filter sends first. */
export function encodeRequestHeaders(headers: readonly Header[]): Buffer {
  return Buffer.from(ProcessingRequest.encode({
    request: { $case: 'requestHeaders', value: { headers: headerMap(headers), attributes: {}, endOfStream: false } },
    metadataContext: undefined,
    attributes: { 'envoy.filters.http.ext_proc': { 'destination.port': LISTENER_PORT } },
    observabilityMode: false,
  }).finish());
}

export function encodeResponseHeaders(headers: readonly Header[]): Buffer {
  return Buffer.from(ProcessingRequest.encode({
    request: { $case: 'responseHeaders', value: { headers: headerMap(headers), attributes: {}, endOfStream: false } },
    metadataContext: undefined,
    attributes: {},
    observabilityMode: false,
  }).finish());
}

export function encodeResponseBody(body: string): Buffer {
  return Buffer.from(ProcessingRequest.encode({
    request: { $case: 'responseBody', value: { body: Buffer.from(body, 'utf8'), endOfStream: true } },
    metadataContext: undefined,
    attributes: {},
    observabilityMode: false,
  }).finish());
}

/** A bearer token of about `bytes` characters shaped like a JWT (header.payload.signature). */
export function bearerToken(bytes: number, random: () => number): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64url');
  const header = b64(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'bench-key-1' }));
  const claims: Record<string, unknown> = {
    iss: 'https://idp.example.com/realms/data', aud: 'trino', sub: 'user', iat: 1_700_000_000, exp: 1_700_003_600,
    groups: [] as string[],
  };
  const groups = claims.groups as string[];
  let payload = b64(JSON.stringify(claims));
  while (header.length + payload.length + 2 + 342 < bytes - 7) {
    groups.push(`team-${Math.floor(random() * 1e6).toString(36)}`);
    payload = b64(JSON.stringify(claims));
  }
  const signature = Buffer.from(Array.from({ length: 256 }, () => Math.floor(random() * 256))).toString('base64url');
  return `Bearer ${header}.${payload}.${signature}`;
}

const USERS = Array.from({ length: 64 }, (_, i) => (i % 8 === 0 ? `etl_svc_${i}` : `analyst${i}`));
const SOURCES = ['trino-cli', 'trino-jdbc', 'superset', 'dbt-trino', 'airflow', 'trino-js-client', 'metabase', 'tableau'];
const CATALOGS = ['hive', 'iceberg', 'postgresql', 'tpch'];

/** Headers Envoy's HCM puts on every request it hands ext_proc (pseudo-headers first). */
function envoyHeaders(method: string, path: string): Header[] {
  return [
    [':authority', AUTHORITY],
    [':path', path],
    [':method', method],
    [':scheme', 'http'],
    ['user-agent', 'StatementClientV1/451'],
    ['accept-encoding', 'gzip'],
    ['x-forwarded-proto', 'http'],
    ['x-request-id', randomUUID()],
  ];
}

/**
 * `POST /v1/statement` as trino-cli/JDBC sends it: user, source, client tags, catalog and
 * schema, three session properties (one header line each), client info and capabilities and a
 * bearer token. Sources and tags vary so the example rules match some requests (etl tag ~1/4,
 * source airflow ~1/8) and the rest falls through to the default group.
 */
export function submissionHeaders(i: number, token: string): Header[] {
  const user = USERS[i % USERS.length]!;
  const source = SOURCES[i % SOURCES.length]!;
  const tags = i % 4 === 1 ? 'etl,nightly' : `adhoc,team-${i % 13}`;
  return [
    ...envoyHeaders('POST', '/v1/statement'),
    ['content-type', 'text/plain; charset=utf-8'],
    ['content-length', '46'],
    ['x-trino-user', user],
    ['x-trino-source', source],
    ['x-trino-client-tags', tags],
    ['x-trino-client-info', `{"app":"${source}","run":${i}}`],
    ['x-trino-catalog', CATALOGS[i % CATALOGS.length]!],
    ['x-trino-schema', 'default'],
    ['x-trino-time-zone', 'Europe/Berlin'],
    ['x-trino-language', 'en-US'],
    ['x-trino-session', 'query_max_run_time=2h'],
    ['x-trino-session', `join_distribution_type=${i % 2 === 0 ? 'AUTOMATIC' : 'PARTITIONED'}`],
    ['x-trino-session', 'exchange_compression_codec=ZSTD'],
    ['x-trino-client-capabilities', 'PATH,PARAMETRIC_DATETIME,SESSION_AUTHORIZATION'],
    ['authorization', token],
  ];
}

/** A nextUri poll: what a client sends for each page of results (user and token again). */
export function followUpHeaders(path: string, i: number, token: string): Header[] {
  return [
    ...envoyHeaders('GET', path),
    ['x-trino-user', USERS[i % USERS.length]!],
    ['authorization', token],
  ];
}

/** Submissions with an Authorization header of about `authBytes` bytes (1 KB, 16 KB). */
export function submissionPool(authBytes: number, seed: number): Buffer[] {
  const token = bearerToken(authBytes, seededRandom(seed));
  return Array.from({ length: POOL_SIZE }, (_, i) => encodeRequestHeaders(submissionHeaders(i, token)));
}

/** A submission routed by the etl-tag rule (group etl = trino-b, no prefix routing). */
export function etlSubmission(token: string, i: number): Buffer {
  return encodeRequestHeaders([
    ...envoyHeaders('POST', '/v1/statement'),
    ['content-type', 'text/plain; charset=utf-8'],
    ['x-trino-user', `etl_svc_${i % 8}`],
    ['x-trino-source', 'dbt-trino'],
    ['x-trino-client-tags', 'etl'],
    ['authorization', token],
  ]);
}

export function nextUriPath(queryId: string, page: number): string {
  return `/v1/statement/executing/${queryId}/y${(page * 7919).toString(16).padStart(40, '0')}/${page}`;
}

/** The coordinator's first answer to a submission: the router learns the query id from it. */
export function queryResultsBody(queryId: string): string {
  return JSON.stringify({
    id: queryId,
    infoUri: `http://${AUTHORITY}/ui/query.html?${queryId}`,
    nextUri: `http://${AUTHORITY}${nextUriPath(queryId, 1)}`,
    stats: { state: 'QUEUED', queued: true, scheduled: false, nodes: 0, totalSplits: 0 },
    warnings: [],
  });
}

export const RESPONSE_HEADERS: readonly Header[] = [
  [':status', '200'],
  ['content-type', 'application/json'],
  ['x-content-type-options', 'nosniff'],
];
