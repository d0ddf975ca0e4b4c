/**
 * Who may use the admin API.
 *
 * - With `admin.token` set, every admin call must carry `authorization: Bearer <token>`;
 *   anything else is refused with UNAUTHENTICATED. `admin.readToken` (only next to a token)
 *   is a second bearer token that may call the reads (Get*, List*, Explain, Export* without
 *   secrets); any other call with it is refused with PERMISSION_DENIED naming the method.
 *   The comparison takes the same time whatever the guess (both sides are hashed to a fixed
 *   length, then compared in constant time), so the token cannot be found byte by byte.
 * - With `admin.tls.clientCaFile` set (mutual TLS), only clients with a certificate that CA
 *   signed complete the handshake (src/admin/credentials.ts); a token, if set, is checked too.
 * - With neither a token nor mutual TLS the API is open, so the router refuses to start unless
 *   `listen.admin` is a loopback address (127.0.0.0/8, ::1, localhost): only processes on the
 *   same host (in Kubernetes: the same pod) can reach it. There is no switch to expose an open
 *   admin port; set a token or client certificates instead.
 *
 * grpc.health.v1 and server reflection never need the token (probes, `grpcurl list`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { formatListenAddress, type ListenAddress } from '../config/index.js';
import { RouterError } from '../errors.js';

/** The router would expose an admin API nobody has to authenticate to. */
export class AdminExposureError extends RouterError {
  constructor(address: ListenAddress) {
    const where = formatListenAddress(address);
    super(
      'admin_exposed',
      `refusing to serve the admin API on ${where} without a token: set admin.token (or admin.tokenEnv) ` +
        `to require "authorization: Bearer <token>", or admin.tls.clientCaFile to require client certificates, or bind listen.admin to a loopback address such as 127.0.0.1:${address.port}`,
      { address: where },
    );
  }
}

export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower === '::1') return true;
  return isIPv4(host) && host.startsWith('127.');
}

/**
 * Throws AdminExposureError when an open admin API would be reachable from other hosts: beyond
 * loopback, callers must prove who they are with the token or a client certificate (mutual TLS).
 */
export function checkAdminExposure(address: ListenAddress, token: string | null, clientCertificates = false): void {
  if (token === null && !clientCertificates && !isLoopbackHost(address.host)) throw new AdminExposureError(address);
}

/** What an authenticated caller may do: everything, or only the reads (see isReadMethod). */
export type Access = 'full' | 'read';

/** Which credential authenticated a call (recorded in the config history): none when the API needs no token. */
export type TokenKind = 'admin' | 'read-only' | 'none';

export type Authentication = { readonly ok: true; readonly access: Access; readonly token: TokenKind } | { readonly ok: false; readonly reason: string };

export type Authenticator = (metadata: grpc.Metadata) => Authentication;

const OPEN: Authentication = { ok: true, access: 'full', token: 'none' };
const FULL: Authentication = { ok: true, access: 'full', token: 'admin' };
const READ: Authentication = { ok: true, access: 'read', token: 'read-only' };

/**
 * Checks the bearer token of a call; with no token configured every call is allowed.
 * `readToken` (only with `token`) authenticates a caller who may use the reads only.
 */
export function createAuthenticator(token: string | null, readToken: string | null = null): Authenticator {
  if (token === null) return () => OPEN;
  const expected = digest(token);
  const expectedRead = readToken === null ? undefined : digest(readToken);
  return (metadata) => {
    const values = metadata.get('authorization');
    if (values.length === 0) return { ok: false, reason: 'missing "authorization: Bearer <token>" metadata' };
    if (values.length > 1) return { ok: false, reason: 'more than one authorization value' };
    const value = values[0];
    const text = typeof value === 'string' ? value : value?.toString('utf8') ?? '';
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(text);
    if (match === null) return { ok: false, reason: 'the authorization metadata is not "Bearer <token>"' };
    const given = digest(match[1] as string);
    // Both comparisons always run, so the time taken does not tell which token was close.
    const isFull = timingSafeEqual(given, expected);
    const isRead = expectedRead !== undefined && timingSafeEqual(given, expectedRead);
    if (isFull) return FULL;
    return isRead ? READ : { ok: false, reason: 'wrong token' };
  };
}

/** The admin methods that change nothing: Get*, List*, Explain, Export* (GetStatus, ListQueries, GetQueryOwner included). */
const READ_METHOD = /\/(Get|List|Explain|Export)[A-Za-z]*$/;

export function isReadMethod(path: string): boolean {
  return READ_METHOD.test(path);
}

/**
 * Why a read-only caller may not make this call, or undefined when it may. Writes are refused;
 * so is an export with secrets, which would hand a read-only caller the full admin token.
 */
export function readOnlyRefusal(path: string, request: unknown): string | undefined {
  if (!isReadMethod(path)) {
    return `the read-only admin token may not call ${path.slice(1)}: it changes the router; use the admin token (admin.token)`;
  }
  if (path.endsWith('/ExportConfig') && (request as { includeSecrets?: unknown } | null)?.includeSecrets === true) {
    return `the read-only admin token may not call ${path.slice(1)} with include_secrets (it would reveal admin.token); export without secrets or use the admin token`;
  }
  return undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
