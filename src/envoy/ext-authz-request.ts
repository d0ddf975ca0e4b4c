/**
 * What the router needs from an ext_authz CheckRequest. Envoy's HTTP ext_authz filter fills
 * `attributes.request.http` from the request as it stands when the filter runs: method, path
 * (query included), host (`:authority`) and scheme as fields, and every header, pseudo headers
 * included, in `headers` (lower-case keys, repeated lines joined with ","), or with
 * `encode_raw_headers` in `header_map` (one entry per line, values in raw_value). The listener
 * port is the destination peer's port.
 */
import type { CheckRequest } from '../gen/envoy/service/auth/v3/external_auth.js';
import type { AttributeContext_HttpRequest, AttributeContext_Peer } from '../gen/envoy/service/auth/v3/attribute_context.js';
import type { Incoming, IncomingBody } from '../routing/request-router.js';
import { headerValue, readHeaderMap, type HeaderList } from './header-codec.js';

export type CheckRequestProblem = 'no_http_request' | 'no_method' | 'no_path';

/** A CheckRequest that no Envoy HTTP filter would send: the router refuses to route it. */
export class CheckRequestError extends Error {
  override readonly name = 'CheckRequestError';

  constructor(
    readonly problem: CheckRequestProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The pseudo headers Envoy also sends as fields; the fields win over the header map. */
function pseudoHeaders(http: AttributeContext_HttpRequest): [string, string][] {
  const fields: [string, string][] = [
    [':method', http.method],
    [':path', http.path],
    [':authority', http.host],
    [':scheme', http.scheme],
  ];
  return fields.filter(([, value]) => value !== '');
}

function regularHeaders(http: AttributeContext_HttpRequest, skip: ReadonlySet<string>): HeaderList {
  const raw = http.headerMap;
  const entries: HeaderList = raw !== undefined && raw.headers.length > 0
    ? readHeaderMap(raw)
    // Own keys only: a map decoded into a plain object never yields inherited names.
    : Object.entries(http.headers).map(([name, value]) => [name.toLowerCase(), value]);
  return entries.filter(([name]) => !skip.has(name));
}

function listenerPortOf(destination: AttributeContext_Peer | undefined): number | undefined {
  const address = destination?.address?.address;
  if (address?.$case !== 'socketAddress') return undefined;
  const port = address.value.portSpecifier;
  return port?.$case === 'portValue' && port.value > 0 && port.value <= 65535 ? port.value : undefined;
}

/**
 * The body Envoy buffered for the check (`with_request_body`): `raw_body` with pack_as_bytes,
 * else `body` (UTF-8); `x-envoy-auth-partial-body: true` when max_request_bytes cut it
 * (ext_authz.cc, allow_partial_message). No body although the request has one
 * (Content-Length or chunked): the filter was not configured to send it.
 */
function bodyOf(http: AttributeContext_HttpRequest, headers: HeaderList): IncomingBody {
  const bytes = http.rawBody.length > 0 ? http.rawBody : Buffer.from(http.body, 'utf8');
  const complete = headerValue(headers, 'x-envoy-auth-partial-body') !== 'true';
  if (bytes.length > 0) return { bytes, complete, sent: true };
  const length = headerValue(headers, 'content-length');
  const hasBody = (length !== undefined && length.trim() !== '0') || headerValue(headers, 'transfer-encoding') !== undefined;
  return { bytes, complete, sent: !hasBody };
}

/** The request as the router's edges hand it over, or why it cannot be routed. */
export function incomingOf(request: CheckRequest): Incoming | CheckRequestError {
  const http = request.attributes?.request?.http;
  if (http === undefined) {
    return new CheckRequestError(
      'no_http_request',
      'The ext_authz CheckRequest carries no HTTP request attributes; the router serves only the HTTP ext_authz filter (envoy.filters.http.ext_authz)',
    );
  }
  const pseudo = pseudoHeaders(http);
  const headers: HeaderList = [...pseudo, ...regularHeaders(http, new Set(pseudo.map(([name]) => name)))];
  if ((headerValue(headers, ':method') ?? '') === '') {
    return new CheckRequestError('no_method', 'The ext_authz CheckRequest names no HTTP method');
  }
  if ((headerValue(headers, ':path') ?? '') === '') {
    return new CheckRequestError('no_path', 'The ext_authz CheckRequest names no request path');
  }
  // ext_authz never sees a response: no OAuth2 challenge is learned through it.
  return { headers, listenerPort: listenerPortOf(request.attributes?.destination), body: bodyOf(http, headers), seesResponses: false };
}
