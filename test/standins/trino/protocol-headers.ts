/**
 * Reading the client protocol headers the way Trino does: the `X-Trino-` prefix or the legacy
 * `X-Presto-` one (never both), the user from the user header or HTTP Basic auth, and the
 * response header names in whichever prefix the client spoke.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type ProtocolName = 'Trino' | 'Presto';

export type ProtocolDetection = { ok: true; protocol: ProtocolName } | { ok: false; message: string };

/**
 * Which header prefix a request speaks. Follows client/ProtocolHeaders.java (detectProtocol):
 * `X-Presto-*` is read only when the server sets protocol.v1.alternate-header-name=Presto,
 * and then a request that also carries any `x-trino-*` header is refused.
 */
export function detectProtocol(headers: IncomingHttpHeaders, alternate: ProtocolName | undefined): ProtocolDetection {
  if (alternate === undefined) return { ok: true, protocol: 'Trino' };
  let trino = false;
  let presto = false;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-trino-')) trino = true;
    if (lower.startsWith(`x-${alternate.toLowerCase()}-`)) presto = true;
  }
  if (trino && presto) return { ok: false, message: 'Both Trino and Presto headers detected' };
  return { ok: true, protocol: presto ? alternate : 'Trino' };
}

/** `X-Trino-<suffix>` or `X-Presto-<suffix>`. */
export function protocolHeader(protocol: ProtocolName, suffix: string): string {
  return `X-${protocol}-${suffix}`;
}

/** The first value of a header; Node joins repeated lines with ", ", so take the first item. */
export function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const first = value.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

/** The whole header value (every line joined), or undefined when absent or empty. */
export function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

export function basicCredentials(headers: IncomingHttpHeaders): BasicCredentials | undefined {
  const authorization = headers.authorization;
  if (authorization === undefined) return undefined;
  const match = /^Basic\s+(\S+)$/i.exec(authorization.trim());
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function basicAuthUser(headers: IncomingHttpHeaders): string | undefined {
  const user = basicCredentials(headers)?.user;
  return user === undefined || user === '' ? undefined : user;
}

function headerUser(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const user = Array.isArray(raw) ? raw[0] : raw;
  return user === undefined || user.trim() === '' ? undefined : user.trim();
}

/**
 * The principal over plain http, where Trino runs only its insecure authenticator. Follows
 * server/security/InsecureAuthenticator.java: the Basic user (a Basic header WITH a password is
 * refused), else `X-Trino-Original-User`, else `X-Trino-User`.
 */
export type Principal = { ok: true; user: string } | { ok: false; message: string };

export function insecurePrincipal(headers: IncomingHttpHeaders, protocol: ProtocolName, acceptPasswords = false): Principal | undefined {
  const basic = basicCredentials(headers);
  if (basic !== undefined) {
    if (basic.password !== '' && !acceptPasswords) return { ok: false, message: 'Password not allowed for insecure authentication' };
    if (basic.user !== '') return { ok: true, user: basic.user };
  }
  const prefix = `x-${protocol.toLowerCase()}-`;
  const user = headerUser(headers, `${prefix}original-user`) ?? headerUser(headers, `${prefix}user`);
  return user === undefined ? undefined : { ok: true, user };
}

/**
 * The session user: the protocol user header if present (Trino treats it as the user to run
 * as), otherwise the authenticated principal.
 */
export function requestUser(headers: IncomingHttpHeaders, protocol: ProtocolName, principal: string): string {
  return headerUser(headers, `x-${protocol.toLowerCase()}-user`) ?? principal;
}

export const MISSING_USER_MESSAGE = 'Basic authentication or X-Trino-User must be sent';

/** java.net.URLEncoder.encode(value, UTF_8), which Trino uses for session values in headers. */
export function javaUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Request headers as plain data for logs and inspection (Node's undefined entries dropped). */
export function headerRecord(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) record[name] = Array.isArray(value) ? [...value] : value;
  }
  return record;
}
