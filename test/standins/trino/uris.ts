/**
 * The external base URI of a request, as Trino builds it for nextUri, infoUri and spooled
 * segment URIs: scheme and authority from the request (Host header), overridden by
 * X-Forwarded-Proto/Host/Port when `http-server.process-forwarded` is on, and X-Forwarded-Prefix
 * put in front of every path by the version's rules (see prefixFor). Recomputed for every
 * request, so a proxy that changes its prefix between requests gets URIs with the new prefix.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { firstHeader } from './protocol-headers.js';

export interface ExternalBase {
  /** scheme://host[:port] */
  readonly origin: string;
  /** '' or '/some/prefix' (leading slash, no trailing slash) */
  readonly prefix: string;
}

/**
 * The first forwarding header present, if any: Trino 451+ answers 406 to a request carrying one
 * unless process-forwarded is on (`Forwarded` or any `X-Forwarded-*`).
 */
export function forwardedHeaderPresent(headers: IncomingHttpHeaders): string | undefined {
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    // Follows server/ExternalUriInfo.java's filter: only X-Forwarded-* names are refused (RFC 7239 Forwarded is not).
    if (lower.startsWith('x-forwarded-')) return canonicalHeaderName(lower);
  }
  return undefined;
}

function canonicalHeaderName(lower: string): string {
  return lower.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('-');
}

interface HostPort {
  readonly host: string;
  readonly port: number | undefined;
}

function parseHostPort(authority: string): HostPort {
  const ipv6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(authority);
  if (ipv6?.[1] !== undefined) return { host: ipv6[1], port: ipv6[2] === undefined ? undefined : Number(ipv6[2]) };
  const colon = authority.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(authority.slice(colon + 1))) {
    return { host: authority.slice(0, colon), port: Number(authority.slice(colon + 1)) };
  }
  return { host: authority, port: undefined };
}

function defaultPort(scheme: string): number | undefined {
  if (scheme === 'http') return 80;
  if (scheme === 'https') return 443;
  return undefined;
}

export function normalizePrefix(raw: string | undefined): string {
  if (raw === undefined) return '';
  let prefix = raw.trim();
  if (prefix === '') return '';
  if (!prefix.startsWith('/')) prefix = '/' + prefix;
  return prefix.replace(/\/+$/, '');
}

/** The first Trino that puts X-Forwarded-Prefix in front of the URIs it builds. */
export const PREFIX_SINCE_VERSION = 452;
/** The first Trino that keeps the prefix's slashes (452-457 URL-escape it). */
export const UNESCAPED_PREFIX_SINCE_VERSION = 458;

/**
 * The prefix as a Trino of this version writes it. Follows
 * core/trino-main/src/main/java/io/trino/server/ExternalUriInfo.java: none before 452; 452 to
 * 457 add it as one escaped path segment (`/_tr/a/k` becomes `/_tr%2Fa%2Fk`, so only a
 * one-segment prefix survives); from 458 it is put in front as it is.
 */
function prefixFor(normalized: string, version: number): string {
  if (normalized === '' || version < PREFIX_SINCE_VERSION) return '';
  if (version >= UNESCAPED_PREFIX_SINCE_VERSION) return normalized;
  return `/${encodeURIComponent(normalized.slice(1))}`;
}

export function externalBase(
  headers: IncomingHttpHeaders, localAddress: string, processForwarded: boolean, version = Number.POSITIVE_INFINITY,
): ExternalBase {
  const hostHeader = parseHostPort(headers.host?.trim() || localAddress);
  let scheme = 'http';
  let host = hostHeader.host;
  let port = hostHeader.port;
  let prefix = '';
  if (processForwarded) {
    const proto = firstHeader(headers, 'x-forwarded-proto');
    if (proto !== undefined) scheme = proto.toLowerCase();
    const forwardedHost = firstHeader(headers, 'x-forwarded-host');
    if (forwardedHost !== undefined) {
      const parsed = parseHostPort(forwardedHost);
      host = parsed.host;
      port = parsed.port;
    }
    const forwardedPort = firstHeader(headers, 'x-forwarded-port');
    if (forwardedPort !== undefined && /^\d+$/.test(forwardedPort)) port = Number(forwardedPort);
    prefix = prefixFor(normalizePrefix(firstHeader(headers, 'x-forwarded-prefix')), version);
  }
  const portPart = port === undefined || port === defaultPort(scheme) ? '' : `:${port}`;
  return { origin: `${scheme}://${host}${portPart}`, prefix };
}

function join(base: ExternalBase, path: string): string {
  return `${base.origin}${base.prefix}${path}`;
}

export function queuedUri(base: ExternalBase, queryId: string, slug: string, token: number): string {
  return join(base, `/v1/statement/queued/${queryId}/${slug}/${token}`);
}

export function executingUri(base: ExternalBase, queryId: string, slug: string, token: number): string {
  return join(base, `/v1/statement/executing/${queryId}/${slug}/${token}`);
}

export function partialCancelUri(base: ExternalBase, queryId: string, stage: number, slug: string, token: number): string {
  return join(base, `/v1/statement/executing/partialCancel/${queryId}/${stage}/${slug}/${token}`);
}

export function infoUri(base: ExternalBase, queryId: string): string {
  return join(base, `/ui/query.html?${queryId}`);
}

export function queryInfoSelfUri(base: ExternalBase, queryId: string): string {
  return join(base, `/v1/query/${queryId}`);
}

export function segmentDownloadUri(base: ExternalBase, segmentId: string): string {
  return join(base, `/v1/spooled/download/${segmentId}`);
}

export function segmentAckUri(base: ExternalBase, segmentId: string): string {
  return join(base, `/v1/spooled/ack/${segmentId}`);
}
