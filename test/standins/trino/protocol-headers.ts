/**
 * Reading the client protocol headers the way Trino does: the `X-Trino-` prefix or the legacy
 * `X-Presto-` one (never both), the user from the user header or HTTP Basic auth, and the
 * response header names in whichever prefix the client spoke.
 */
import type { IncomingHttpHeaders } from 'node:http';

export type ProtocolName = 'Trino' | 'Presto';

export type ProtocolDetection = { ok: true; protocol: ProtocolName } | { ok: false; message: string };

export function detectProtocol(headers: IncomingHttpHeaders): ProtocolDetection {
  let trino = false;
  let presto = false;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-trino-')) trino = true;
    if (lower.startsWith('x-presto-')) presto = true;
  }
  if (trino && presto) return { ok: false, message: 'Both Trino and Presto headers detected' };
  return { ok: true, protocol: presto ? 'Presto' : 'Trino' };
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

export function basicAuthUser(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization === undefined) return undefined;
  const match = /^Basic\s+(\S+)$/i.exec(authorization.trim());
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}

/**
 * The session user: the protocol user header if present (Trino treats it as the user to run
 * as), otherwise the Basic auth user. Passwords are not checked: this is an insecure stand-in.
 */
export function requestUser(headers: IncomingHttpHeaders, protocol: ProtocolName): string | undefined {
  const fromHeader = headers[`x-${protocol.toLowerCase()}-user`];
  const user = Array.isArray(fromHeader) ? fromHeader[0] : fromHeader;
  if (user !== undefined && user.trim() !== '') return user.trim();
  return basicAuthUser(headers);
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
