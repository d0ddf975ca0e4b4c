/**
 * The web console's HTTP server (listen.console): the built page, and a JSON API that logs a
 * browser in with an admin token and forwards its calls to the router's own admin API
 * (admin-gateway.ts). It holds no admin logic of its own.
 *
 *   POST /api/login   {"token": "..."}  -> {access, csrfToken} and the session cookie
 *   GET  /api/session                   -> {access, csrfToken} of the cookie's session
 *   POST /api/logout
 *   POST /api/admin/<Service>/<Method>  the admin method's request as proto3 JSON -> its reply
 *
 * Every POST but the login carries the session's CSRF token in X-CSRF-Token, and every POST
 * body is application/json (a cross-site form cannot send that). A read-only session is
 * refused the admin API's writes here, with the admin API's words, and again by the admin API
 * itself (its token is the read token). Bad input gets a JSON error, never a crash.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { isLoopbackHost, readOnlyRefusal, type Access } from '../admin/auth.js';
import { connect, type AdminClient } from '../cli/admin-client.js';
import { formatListenAddress, type ListenAddress } from '../config/index.js';
import { RouterError } from '../errors.js';
import { adminMethods } from './admin-gateway.js';
import { defaultAssetsDir, loadAssets, type Asset } from './assets.js';
import { errorBody, fromAdminFailure, type ConsoleErrorBody } from './http-errors.js';
import { csrfMatches, Sessions, type Session } from './sessions.js';

export interface ConsoleServerOptions {
  readonly address: ListenAddress;
  /** host:port of the router's admin API (plaintext). */
  readonly adminTarget: string;
  /** The admin API needs a token (admin.token): without one the console must stay on loopback. */
  readonly tokenRequired: boolean;
  /** What a token may do, by the admin API's own check (admin/auth.ts createAuthenticator). */
  readonly accessOf: (token: string | undefined) => Access | undefined;
  readonly secureCookie: boolean;
  readonly sessionIdleMs: number;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Default: dist/console (defaultAssetsDir). */
  readonly assetsDir?: string;
  /** Deadline of each admin call. */
  readonly adminTimeoutMs?: number;
}

export interface ConsoleServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The console would be reachable from other hosts with an admin API that needs no token. */
export class ConsoleExposureError extends RouterError {
  constructor(address: ListenAddress) {
    const where = formatListenAddress(address);
    super('console_exposed', `refusing to serve the console on ${where}: the admin API has no token, so anyone reaching the console could change routing. Set admin.token (or admin.tokenEnv), or bind listen.console to a loopback address such as 127.0.0.1:${address.port}`, { address: where });
  }
}

export class ConsoleListenError extends RouterError {
  constructor(address: string, cause: unknown) {
    super('console_listen_failed', `cannot listen for the console (listen.console) on ${address}: ${cause instanceof Error ? cause.message : String(cause)}`, { address }, { cause });
  }
}

export const SESSION_COOKIE = 'ter_console';
export const CSRF_HEADER = 'x-csrf-token';
/** Larger than any admin request a person writes (an imported config file, an explained statement). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_ADMIN_TIMEOUT_MS = 10_000;

/** Sent with every answer: nothing inline, nothing from elsewhere, never framed. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  if (!options.tokenRequired && !isLoopbackHost(options.address.host)) throw new ConsoleExposureError(options.address);
  const assets = await loadAssets(options.assetsDir ?? defaultAssetsDir());
  if (!assets.has('/index.html')) options.logger.warn({ assetsDir: options.assetsDir ?? defaultAssetsDir() }, 'the console page is not built (run npm run build): only its API is served');
  const methods = adminMethods();
  const sessions = new Sessions(options.sessionIdleMs);
  const clients = new Map<string, AdminClient>();
  const clientOf = (session: Session): AdminClient => {
    let client = clients.get(session.id);
    if (client === undefined) {
      client = connect({ server: options.adminTarget, token: session.adminToken, timeoutMs: options.adminTimeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS });
      clients.set(session.id, client);
    }
    return client;
  };
  const forget = (id: string): void => {
    sessions.close(id);
    clients.get(id)?.close();
    clients.delete(id);
  };
  // Channels of sessions that went idle are closed with them.
  const sweep = setInterval(() => {
    sessions.prune();
    for (const id of clients.keys()) if (!sessions.has(id)) forget(id);
  }, 60_000);
  sweep.unref();

  // No Max-Age on a live session: the server's idle expiry decides, and a browser cookie cannot follow it.
  const cookie = (value: string, maxAgeSeconds?: number): string =>
    `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/${maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`}${options.secureCookie ? '; Secure' : ''}`;
  const failedLogins = new FailedLogins();

  const sessionOf = (request: IncomingMessage): Session | undefined => sessions.find(cookieValue(request.headers.cookie, SESSION_COOKIE));

  const requireSession = (request: IncomingMessage, change: boolean): Session => {
    const session = sessionOf(request);
    if (session === undefined) throw new HttpError(401, 'UNAUTHENTICATED', 'not logged in (or the session expired): log in with the admin token or the read-only token');
    if (change && !csrfMatches(session, headerValue(request.headers[CSRF_HEADER]))) {
      throw new HttpError(403, 'csrf', `missing or wrong ${CSRF_HEADER} header: reload the page`);
    }
    return session;
  };

  const api = async (request: IncomingMessage, response: ServerResponse, path: string): Promise<void> => {
    if (path === '/api/session') {
      allow(request, 'GET');
      const session = requireSession(request, false);
      return json(response, 200, { access: session.access, csrfToken: session.csrfToken });
    }
    allow(request, 'POST');
    const body = await readJson(request);
    if (path === '/api/login') {
      const token = (body as { token?: unknown }).token;
      if (token !== undefined && typeof token !== 'string') throw new HttpError(400, 'bad_request', 'token: expected a string');
      const given = token === undefined || token === '' ? undefined : token;
      const remote = request.socket.remoteAddress ?? '';
      if (failedLogins.exhausted(remote)) {
        throw new HttpError(429, 'too_many_failed_logins', `more than ${MAX_FAILED_LOGINS} failed logins from this address in the last minute: wait a minute`, { 'retry-after': '60' });
      }
      const refuse = (): never => {
        failedLogins.record(remote);
        options.logger.warn({ remote }, 'console login refused: wrong token');
        throw new HttpError(401, 'UNAUTHENTICATED', 'wrong token: give the admin token (admin.token) or the read-only token (admin.readToken)');
      };
      // The admin API decides whether the token is good; a cheap read asks it.
      const probe = connect({ server: options.adminTarget, token: given, timeoutMs: options.adminTimeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS });
      try {
        await probe.groups.listGroups({});
      } catch (error) {
        const failure = fromAdminFailure(error);
        if (failure.status === 401) refuse();
        return json(response, failure.status, failure.body);
      } finally {
        probe.close();
      }
      const access = options.accessOf(given);
      if (access === undefined) refuse();
      const session = sessions.open(given, access as Access);
      response.setHeader('set-cookie', cookie(session.id));
      options.logger.info({ access, remote: request.socket.remoteAddress }, 'console login');
      return json(response, 200, { access, csrfToken: session.csrfToken });
    }
    if (path === '/api/logout') {
      const session = requireSession(request, true);
      forget(session.id);
      response.setHeader('set-cookie', cookie('', 0));
      return json(response, 200, {});
    }
    const prefix = '/api/admin/';
    const method = path.startsWith(prefix) ? methods.get(path.slice(prefix.length)) : undefined;
    if (method === undefined) throw new HttpError(404, 'not_found', `no console API at ${path}: admin methods are at /api/admin/<Service>/<Method>, e.g. /api/admin/StatusService/GetStatus`);
    const session = requireSession(request, true);
    if (session.access === 'read') {
      const refusal = readOnlyRefusal(method.path, body);
      if (refusal !== undefined) throw new HttpError(403, 'PERMISSION_DENIED', refusal);
    }
    try {
      return json(response, 200, await method.call(clientOf(session), body));
    } catch (error) {
      const failure = fromAdminFailure(error);
      if (failure.status === 500) options.logger.error({ err: error, method: method.path }, 'console admin call failed');
      return json(response, failure.status, failure.body);
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const path = pathOf(request.url);
    try {
      if (path.startsWith('/api/')) {
        response.setHeader('cache-control', 'no-store');
        return await api(request, response, path);
      }
      allow(request, 'GET', 'HEAD');
      const asset = assets.get(path === '/' ? '/index.html' : path);
      if (asset === undefined) {
        if (path === '/' ) throw new HttpError(503, 'not_built', 'the console page is not built: run npm run build');
        throw new HttpError(404, 'not_found', `no console page at ${path}`);
      }
      serveAsset(request, response, asset);
    } catch (error) {
      if (error instanceof HttpError) {
        for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
        return json(response, error.status, errorBody(error.code, error.message));
      }
      throw error;
    }
  };

  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error }, 'console request failed');
      if (!response.headersSent) json(response, 500, errorBody('internal', 'the console failed (details are in the router log)'));
      else response.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  const where = formatListenAddress(options.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.address.port, options.address.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw new ConsoleListenError(where, error);
  });
  server.on('error', (error) => options.logger.error({ err: error }, 'console server error'));
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ console: formatListenAddress({ ...options.address, port }), admin: options.adminTarget }, 'console listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      clearInterval(sweep);
      for (const client of clients.values()) client.close();
      clients.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Failed logins one address may make per minute; the next ones are refused until the minute has passed. */
export const MAX_FAILED_LOGINS = 10;

/** Failed logins per remote address over the last minute (bounded: a flood of addresses resets it). */
class FailedLogins {
  private readonly times = new Map<string, number[]>();

  exhausted(remote: string, now = Date.now()): boolean {
    const recent = (this.times.get(remote) ?? []).filter((at) => now - at < 60_000);
    if (recent.length === 0) this.times.delete(remote);
    else this.times.set(remote, recent);
    return recent.length >= MAX_FAILED_LOGINS;
  }

  record(remote: string, now = Date.now()): void {
    if (this.times.size > 10_000) this.times.clear();
    this.times.set(remote, [...(this.times.get(remote) ?? []), now]);
  }
}

function allow(request: IncomingMessage, ...methods: string[]): void {
  if (!methods.includes(request.method ?? '')) {
    throw new HttpError(405, 'method_not_allowed', `${request.method ?? '?'} is not allowed here; use ${methods.join(' or ')}`, { allow: methods.join(', ') });
  }
}

function serveAsset(request: IncomingMessage, response: ServerResponse, asset: Asset): void {
  response.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': 'no-cache' });
  response.end(request.method === 'HEAD' ? undefined : asset.body);
}

function json(response: ServerResponse, status: number, body: unknown | ConsoleErrorBody): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The request's JSON object body; 415 when it is not JSON, 413 over MAX_BODY_BYTES, 400 for garbage. */
async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    // Also the CSRF guard of the login: a cross-site form cannot send application/json.
    await drain(request);
    throw new HttpError(415, 'unsupported_media_type', 'expected a JSON body (Content-Type: application/json)');
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    throw new HttpError(413, 'payload_too_large', `the body is over ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'payload_too_large', `the body is over ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'bad_json', `the body is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError(400, 'bad_json', 'expected a JSON object');
  return parsed as Record<string, unknown>;
}

async function drain(request: IncomingMessage): Promise<void> {
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return;
  }
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path === '' ? '/' : path;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
