/**
 * The HTTP filter chain contract of the stand-in, modelled on Envoy's FilterManager:
 * decoder filters run in config order on the request headers (and may take over the request
 * body); the router is terminal; encoder filters run in reverse order on the response (upstream
 * or local reply). A filter that ends the request calls sendLocalReply() and returns 'stop'.
 *
 * Adding a filter type = a parser in config.ts (FILTER_PARSERS) + an HttpFilter (see ext-authz-filter.ts).
 */
import type { Readable } from 'node:stream';
import type { HeaderMap } from './header-map.js';
import type { RouteResolution } from './route.js';

export type BodySource =
  /** No body: the headers carried end_stream. */
  | { readonly kind: 'none' }
  | { readonly kind: 'buffer'; readonly data: Buffer }
  | { readonly kind: 'stream'; readonly readable: Readable };

export type FilterStatus = 'continue' | 'stop';

export interface StreamInfo {
  readonly streamId: number;
  readonly protocol: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface LocalReplySpec {
  readonly status: number;
  readonly body?: Buffer | string;
  /** Stats key: a response flag (NC, UF, UT, ...) or a reason (message_timeout, ext_proc_error, ...). */
  readonly key: string;
  readonly details?: string;
  /** Applied to the local reply's headers before the encoder filters run. */
  readonly modifyHeaders?: (headers: HeaderMap) => void;
}

export interface ResponseState {
  /** Response headers including :status. */
  readonly headers: HeaderMap;
  body: BodySource;
  /** True for local replies (Envoy-generated responses). */
  readonly local: boolean;
}

export interface FilterCallbacks {
  readonly requestHeaders: HeaderMap;
  requestBody: BodySource;
  readonly info: StreamInfo;
  /** per_connection_buffer_limit_bytes: the limit for buffered bodies. */
  readonly bufferLimit: number;
  readonly maxRequestHeadersKb: number;
  readonly maxHeadersCount: number;
  /** Aborted when the stream is over (downstream reset, local reply or completed response). */
  readonly signal: AbortSignal;
  /** Whether response headers have been written to the client. */
  readonly responseStarted: boolean;
  /** The cached route, resolved from the current request headers on first use. */
  route(): RouteResolution;
  clearRouteCache(): void;
  /** Ends the request with a local reply (a reset if the response has already started). */
  sendLocalReply(spec: LocalReplySpec): void;
  /** Resets the downstream stream (closes the connection). */
  resetStream(): void;
}

export interface HttpFilter {
  decodeHeaders(cb: FilterCallbacks): Promise<FilterStatus>;
  encodeHeaders(cb: FilterCallbacks, response: ResponseState): Promise<FilterStatus>;
  /** The request is over: 'complete' after a full response, 'reset' when the downstream went away. */
  onDestroy(reason: 'complete' | 'reset'): void;
}

export interface HttpFilterFactory {
  readonly name: string;
  create(): HttpFilter;
}
