/**
 * One downstream HTTP request through the filter chain (Envoy's ActiveStream + FilterManager):
 * decoder filters in order, the router, encoder filters in reverse order, then the HCM writes
 * the response. Owns the route cache, local replies, the stream idle timer and the cleanup when
 * the request ends (completed or reset by the client).
 */
import type * as http from 'node:http';
import { pipeline } from 'node:stream';
import type { HcmConfig } from './config.js';
import type { BodySource, HttpFilter, HttpFilterFactory, LocalReplySpec, ResponseState, StreamInfo } from './filter-chain.js';
import { HeaderMap, HOP_BY_HOP } from './header-map.js';
import { resolveRoute, type RouteResolution } from './route.js';
import type { Router, RouterCallbacks } from './router.js';
import type { StandinStats } from './stats.js';

export interface StreamEnv {
  readonly hcm: HcmConfig;
  readonly bufferLimit: number;
  readonly filters: readonly HttpFilterFactory[];
  readonly router: Router;
  readonly stats: StandinStats;
}

function localResponse(spec: LocalReplySpec): ResponseState {
  const body = typeof spec.body === 'string' ? Buffer.from(spec.body) : (spec.body ?? Buffer.alloc(0));
  const headers = new HeaderMap();
  headers.add(':status', String(spec.status));
  if (body.length > 0) {
    headers.add('content-length', String(body.length));
    headers.add('content-type', 'text/plain');
  }
  spec.modifyHeaders?.(headers);
  return { headers, body: body.length > 0 ? { kind: 'buffer', data: body } : { kind: 'none' }, local: true };
}

function dropBody(response: ResponseState): void {
  if (response.body.kind === 'stream') response.body.readable.destroy();
}

const NOT_FORWARDED_TO_CLIENT = new Set([...HOP_BY_HOP, 'server']);

export class ActiveStream implements RouterCallbacks {
  requestBody: BodySource;
  private readonly filters: HttpFilter[];
  private cachedRoute: RouteResolution | undefined;
  private readonly ac = new AbortController();
  private encodeStarted = false;
  private headersWritten = false;
  private ended = false;
  private readonly cleanups: (() => void)[] = [];
  private idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly env: StreamEnv,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    readonly requestHeaders: HeaderMap,
    readonly info: StreamInfo,
    hasBody: boolean,
  ) {
    this.requestBody = hasBody ? { kind: 'stream', readable: req } : { kind: 'none' };
    this.filters = env.filters.map((f) => f.create());
    // Follows source/common/http/conn_manager_impl.cc (decodeHeaders -> refreshCachedRoute):
    // the route, and for cluster_header the cluster name, is picked once the request headers
    // are in, BEFORE the HTTP filter chain runs; only a route-cache clear picks again.
    this.cachedRoute = resolveRoute(env.hcm.routeConfig, requestHeaders);
    this.idleMs = env.hcm.streamIdleTimeoutMs;
    this.armIdleTimer();
    res.on('finish', () => this.end('complete'));
    res.on('close', () => this.end(res.writableFinished ? 'complete' : 'reset'));
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  get bufferLimit(): number {
    return this.env.bufferLimit;
  }

  get maxRequestHeadersKb(): number {
    return this.env.hcm.maxRequestHeadersKb;
  }

  get maxHeadersCount(): number {
    return this.env.hcm.maxHeadersCount;
  }

  get responseStarted(): boolean {
    return this.headersWritten;
  }

  /** The cached route; after clearRouteCache(), picked again from the current headers on first use. */
  route(): RouteResolution {
    this.cachedRoute ??= resolveRoute(this.env.hcm.routeConfig, this.requestHeaders);
    return this.cachedRoute;
  }

  clearRouteCache(): void {
    this.cachedRoute = undefined;
  }

  async run(): Promise<void> {
    try {
      for (const filter of this.filters) {
        const status = await filter.decodeHeaders(this);
        if (status === 'stop' || this.encodeStarted || this.ended) return;
      }
      const response = await this.env.router.forward(this);
      if (response === undefined) return;
      if (this.encodeStarted || this.ended) {
        dropBody(response);
        return;
      }
      this.encodeStarted = true;
      await this.encode(response);
    } catch (err) {
      console.error('envoy stand-in: unexpected error', err);
      this.sendLocalReply({ status: 500, key: 'standin_internal_error', details: String(err) });
    }
  }

  sendLocalReply(spec: LocalReplySpec): void {
    if (this.ended) return;
    if (this.headersWritten) {
      // Too late for a reply: Envoy resets the stream.
      this.resetStream();
      return;
    }
    this.env.stats.localReply(spec.status, spec.key, spec.details);
    this.runCleanups();
    const response = localResponse(spec);
    if (!this.encodeStarted) {
      // Like Envoy's sendLocalReplyViaFilterChain: the encoder filters see the local reply.
      this.encodeStarted = true;
      this.encode(response).catch((err: unknown) => {
        console.error('envoy stand-in: error encoding a local reply', err);
        this.resetStream();
      });
    } else {
      // Raised while a response is being encoded: sent directly.
      this.write(response);
    }
  }

  resetStream(): void {
    if (this.ended) return;
    this.res.destroy();
  }

  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
    this.armIdleTimer();
  }

  touch(): void {
    this.idleTimer?.refresh();
  }

  onStreamEnd(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  private async encode(response: ResponseState): Promise<void> {
    for (let i = this.filters.length - 1; i >= 0; i--) {
      const status = await (this.filters[i] as HttpFilter).encodeHeaders(this, response);
      if (status === 'stop' || this.headersWritten || this.ended) {
        dropBody(response);
        return;
      }
    }
    this.write(response);
  }

  /** The HCM's part: connection-level headers, then status, headers and body to the client. */
  private write(response: ResponseState): void {
    if (this.headersWritten || this.ended) {
      dropBody(response);
      return;
    }
    this.headersWritten = true;
    const status = Number(response.headers.getFirst(':status'));
    const method = this.requestHeaders.getFirst(':method');
    const raw = response.headers.toNodeRawHeaders(NOT_FORWARDED_TO_CLIENT);
    raw.push('server', this.env.hcm.serverName);
    const body = response.body;
    if (body.kind === 'none' && !response.headers.has('content-length') && status !== 204 && status !== 304 && method !== 'HEAD') {
      raw.push('content-length', '0');
    }
    if (body.kind === 'buffer' && !response.headers.has('content-length')) raw.push('transfer-encoding', 'chunked');
    // Answering before the request was fully received: Envoy closes the HTTP/1 connection.
    if (!this.req.complete) raw.push('connection', 'close');
    try {
      this.res.writeHead(status, raw);
    } catch (err) {
      console.error('envoy stand-in: invalid response headers', err);
      dropBody(response);
      this.resetStream();
      return;
    }
    if (body.kind === 'none') this.res.end();
    else if (body.kind === 'buffer') this.res.end(body.data);
    else {
      pipeline(body.readable, this.res, (err) => {
        if (err) this.resetStream();
      });
    }
  }

  private armIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleMs > 0 && !this.ended) this.idleTimer = setTimeout(() => this.onIdleTimeout(), this.idleMs);
  }

  private onIdleTimeout(): void {
    this.idleTimer = undefined;
    if (this.headersWritten) {
      this.resetStream();
      return;
    }
    this.sendLocalReply({ status: this.req.complete ? 504 : 408, body: 'stream timeout', key: 'SI', details: 'stream_idle_timeout' });
  }

  private runCleanups(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  private end(reason: 'complete' | 'reset'): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.ac.abort();
    this.runCleanups();
    for (const filter of this.filters) filter.onDestroy(reason);
    if (this.requestBody.kind === 'stream' && reason === 'reset') this.requestBody.readable.destroy();
  }
}
