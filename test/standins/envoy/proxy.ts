/**
 * The upstream half of the router: one HTTP/1.1 request to the chosen endpoint with node:http,
 * streaming the request body (never buffering it unless a filter already did), with the
 * cluster's connect timeout. The outcome distinguishes connect failures (Envoy flag UF) from
 * resets before response headers (UC); timeouts are driven by the router.
 */
import * as http from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { isPipeEndpoint, type Endpoint } from './config.js';
import type { BodySource } from './filter-chain.js';

export type UpstreamOutcome =
  | { readonly kind: 'response'; readonly response: http.IncomingMessage }
  | { readonly kind: 'connect_failure'; readonly message: string }
  | { readonly kind: 'reset'; readonly message: string }
  | { readonly kind: 'aborted' };

export interface UpstreamRequestSpec {
  readonly endpoint: Endpoint;
  readonly method: string;
  readonly path: string;
  /** Flat [name, value, ...] list, Host included, framing headers already decided. */
  readonly headers: readonly string[];
  readonly body: BodySource;
  readonly connectTimeoutMs: number;
  readonly agent: http.Agent;
  /** Called on every body chunk in either direction (stream idle timer). */
  readonly onActivity: () => void;
}

export interface UpstreamCall {
  readonly outcome: Promise<UpstreamOutcome>;
  /** Resolves once the whole request (with body) has been written upstream. */
  readonly requestSent: Promise<void>;
  abort(): void;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

/** A pass-through that reports activity (for idle timers). */
export function activityTap(onActivity: () => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      onActivity();
      done(null, chunk);
    },
  });
}

export function startUpstream(spec: UpstreamRequestSpec): UpstreamCall {
  let settle!: (o: UpstreamOutcome) => void;
  let settled = false;
  const outcome = new Promise<UpstreamOutcome>((resolve) => {
    settle = (o) => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
  });
  let markSent!: () => void;
  const requestSent = new Promise<void>((resolve) => {
    markSent = resolve;
  });

  let aborted = false;
  let connected = false;
  let connectTimedOut = false;
  const req = http.request({
    ...(isPipeEndpoint(spec.endpoint) ? { socketPath: spec.endpoint.pipe } : { host: spec.endpoint.host, port: spec.endpoint.port }),
    method: spec.method,
    path: spec.path,
    headers: [...spec.headers] as unknown as http.OutgoingHttpHeaders,
    setHost: false,
    agent: spec.agent,
  });
  req.on('socket', (socket) => {
    if (!socket.connecting) {
      connected = true;
      return;
    }
    const timer = setTimeout(() => {
      connectTimedOut = true;
      req.destroy(new Error('connect timeout'));
    }, spec.connectTimeoutMs);
    socket.once('connect', () => {
      connected = true;
      clearTimeout(timer);
    });
    socket.once('close', () => clearTimeout(timer));
  });
  req.on('response', (response) => settle({ kind: 'response', response }));
  req.on('finish', () => markSent());
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (aborted) settle({ kind: 'aborted' });
    else if (!connected || connectTimedOut || (err.code !== undefined && CONNECT_ERRORS.has(err.code))) {
      settle({ kind: 'connect_failure', message: connectTimedOut ? 'connection timeout' : `delayed connect error: ${err.code ?? err.message}` });
    } else {
      settle({ kind: 'reset', message: err.code === 'ECONNRESET' || err.message === 'socket hang up' ? 'connection termination' : err.message });
    }
  });

  const body = spec.body;
  if (body.kind === 'none') req.end();
  else if (body.kind === 'buffer') req.end(body.data);
  else pipeBody(body.readable, req, spec.onActivity);

  return {
    outcome,
    requestSent,
    abort() {
      if (aborted) return;
      aborted = true;
      req.destroy();
      settle({ kind: 'aborted' });
    },
  };
}

/**
 * Pipes without destroying the source when the destination fails: the source may be the
 * downstream request, whose connection must survive to carry a local reply.
 */
function pipeBody(source: Readable, dest: http.ClientRequest, onActivity: () => void): void {
  const tap = activityTap(onActivity);
  source.on('error', (err) => dest.destroy(err));
  tap.on('error', (err) => dest.destroy(err));
  dest.on('error', () => source.unpipe(tap));
  source.pipe(tap).pipe(dest);
}
