/**
 * envoy.filters.http.ext_proc, modelled on Envoy's ext_proc.cc / processor_state.cc:
 * - one stream per HTTP request, opened with the first message; exactly one answer per message;
 * - request/response attributes once per direction, on that direction's first message;
 * - mode_override only with allow_mode_override, only in the answer to a headers message; header
 *   modes at DEFAULT keep the configured mode, body modes always apply; covers the rest of the
 *   request (both directions);
 * - clear_route_cache only together with a header_mutation in the same CommonResponse, and only
 *   on the request path;
 * - message timeout -> 504, gRPC error / spurious message / invalid mutation -> status_on_error
 *   (500); with failure_mode_allow the first two continue unprocessed; the server closing with OK
 *   -> unprocessed;
 * - BUFFERED bodies (limit: the listener buffer limit -> 413 request / 500 response) and
 *   STREAMED bodies (one message per chunk, each sent as it arrives without waiting for the
 *   answers before it; the answers are applied one by one, in order);
 * - BUFFERED_PARTIAL on the request path: the body up to the buffer limit in one message, the
 *   headers held for its answer, the rest passed through (never a 413);
 * - once no more phases are due, or the downstream went away: END_STREAM, then RST at once, or
 *   with the runtime flag ext_proc_graceful_grpc_close RST only if the server has not ended the
 *   stream within the remote-close timeout.
 */
import { PassThrough, type Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type { ClusterResources } from './circuit-breakers.js';
import type { BodySendMode, Endpoint, ExtProcFilterConfig, HeaderSendMode, ProcessingMode } from './config.js';
import { ExtProcStream, type ExtProcChannels, type ExtProcOutcome } from './ext-proc-client.js';
import { applyBodyMutation, applyHeaderMutation, MutationChecker, type HeaderLimits } from './ext-proc-mutation.js';
import type { BodySource, FilterCallbacks, FilterStatus, HttpFilter, HttpFilterFactory, ResponseState } from './filter-chain.js';
import type { HeaderMap } from './header-map.js';
import {
  durationMs,
  EXT_PROC_ATTRIBUTE_KEY,
  httpStatusCodeNumber,
  type PbCommonResponseIn,
  type PbImmediateResponseIn,
  type PbProcessingModeIn,
  type PbValueOut,
  type ProcessingRequestOut,
} from './protos.js';

export interface ExtProcEnv {
  readonly channels: ExtProcChannels;
  readonly endpoints: () => readonly Endpoint[];
  /** The circuit breakers of the ext_proc cluster (undefined: the cluster is unknown). */
  readonly resources: () => ClusterResources | undefined;
  readonly onStreamOpened: () => void;
  readonly onError: () => void;
  /** A message went to the server (its ProcessingRequest field: request_headers, request_body, ...). */
  readonly onMessageSent?: (phase: string) => void;
}

type Direction = 'request' | 'response';
const PHASE_FIELDS = ['request_headers', 'request_body', 'request_trailers', 'response_headers', 'response_body', 'response_trailers'] as const;
type Phase = 'headers' | 'body';

interface DirectionState {
  sendHeaders: boolean;
  bodyMode: BodySendMode;
  sendTrailers: boolean;
  attributesSent: boolean;
  /** Headers were sent to the server and are still held (Envoy's headers_): body answers may mutate them. */
  headersHeld: boolean;
}

type Exchange =
  | { readonly kind: 'answer'; readonly common: PbCommonResponseIn | null }
  /** Continue without (further) processing. */
  | { readonly kind: 'unprocessed' }
  /** The request has been ended (local reply or reset). */
  | { readonly kind: 'stop' };

const RESPONSE_LIMITS: HeaderLimits = { maxKb: 60, maxCount: 100 };
const HEADER_MODES = new Set(['DEFAULT', 'SEND', 'SKIP']);
const BODY_MODES = new Set(['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL']);

function directionState(mode: ProcessingMode, dir: Direction): DirectionState {
  const header: HeaderSendMode = dir === 'request' ? mode.requestHeaderMode : mode.responseHeaderMode;
  const trailer: HeaderSendMode = dir === 'request' ? mode.requestTrailerMode : mode.responseTrailerMode;
  return {
    sendHeaders: header !== 'SKIP',
    bodyMode: dir === 'request' ? mode.requestBodyMode : mode.responseBodyMode,
    sendTrailers: trailer === 'SEND',
    attributesSent: false,
    headersHeld: false,
  };
}

/** Envoy's effectiveModeOverride: starts from the configured mode. undefined = a mode the stand-in cannot honour. */
function effectiveModeOverride(o: PbProcessingModeIn, configured: ProcessingMode): ProcessingMode | undefined {
  const header = (v: string | number, current: HeaderSendMode): HeaderSendMode | undefined => {
    if (typeof v !== 'string' || !HEADER_MODES.has(v)) return undefined;
    return v === 'DEFAULT' ? current : (v as HeaderSendMode);
  };
  const body = (v: string | number): BodySendMode | undefined =>
    typeof v === 'string' && BODY_MODES.has(v) ? (v as BodySendMode) : undefined;
  const m = {
    requestHeaderMode: header(o.request_header_mode, configured.requestHeaderMode),
    responseHeaderMode: header(o.response_header_mode, configured.responseHeaderMode),
    requestBodyMode: body(o.request_body_mode),
    responseBodyMode: body(o.response_body_mode),
    requestTrailerMode: header(o.request_trailer_mode, configured.requestTrailerMode),
    responseTrailerMode: header(o.response_trailer_mode, configured.responseTrailerMode),
  };
  if (Object.values(m).some((v) => v === undefined)) return undefined;
  // The stand-in does BUFFERED_PARTIAL on the request path only (what the router asks for).
  if (m.responseBodyMode === 'BUFFERED_PARTIAL') return undefined;
  return m as ProcessingMode;
}

/** STREAMED, or BUFFERED with headers SKIP: the server may change the body length later. */
function shouldRemoveContentLength(st: DirectionState): boolean {
  return st.bodyMode === 'STREAMED' || st.bodyMode === 'BUFFERED_PARTIAL' || (st.bodyMode === 'BUFFERED' && !st.sendHeaders);
}

function noExternalProcess(st: DirectionState): boolean {
  return !st.sendHeaders && st.bodyMode === 'NONE' && !st.sendTrailers;
}

function protoHeaders(headers: HeaderMap): { headers: { key: string; raw_value: Buffer }[] } {
  return { headers: headers.entries().map((e) => ({ key: e.name, raw_value: Buffer.from(e.value, 'latin1') })) };
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function evaluateAttribute(expr: string, cb: FilterCallbacks, response: ResponseState | undefined): PbValueOut | undefined {
  const h = cb.requestHeaders;
  const str = (v: string | undefined): PbValueOut | undefined => (v === undefined ? undefined : { stringValue: v });
  const path = h.getFirst(':path');
  switch (expr) {
    case 'request.path':
      return str(path);
    case 'request.url_path':
      return str(path?.split('?')[0]);
    case 'request.query':
      return str(path === undefined ? undefined : path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
    case 'request.host':
      return str(h.getFirst(':authority'));
    case 'request.scheme':
      return str(h.getFirst(':scheme'));
    case 'request.method':
      return str(h.getFirst(':method'));
    case 'request.id':
      return str(h.getFirst('x-request-id'));
    case 'request.useragent':
      return str(h.getFirst('user-agent'));
    case 'request.referer':
      return str(h.getFirst('referer'));
    case 'request.protocol':
      return str(cb.info.protocol);
    case 'source.address':
      return { stringValue: hostPort(cb.info.remoteAddress, cb.info.remotePort) };
    case 'source.port':
      return { numberValue: cb.info.remotePort };
    case 'destination.address':
      return { stringValue: hostPort(cb.info.localAddress, cb.info.localPort) };
    case 'destination.port':
      return { numberValue: cb.info.localPort };
    case 'response.code': {
      const code = response?.headers.getFirst(':status');
      return code === undefined ? undefined : { numberValue: Number(code) };
    }
    default:
      return undefined;
  }
}

/** Reads a whole body, failing with 'overflow' past `limit` bytes (without consuming further). */
export async function readAll(readable: Readable, limit: number): Promise<Buffer | 'overflow' | Error> {
  // The whole body, or 'overflow' once more than `limit` bytes came before its end.
  const read = await readUpTo(readable, limit);
  if (read instanceof Error) return read;
  return read.ended ? read.data : 'overflow';
}

/**
 * BUFFERED_PARTIAL's read (ext_proc.cc handleDataBufferedPartialMode): chunks are queued until
 * the body ends or the queue holds more than the limit (queueOverHighLimit); what was queued
 * is sent, and the rest of the body is left in the stream.
 */
export function readUpTo(readable: Readable, limit: number): Promise<{ readonly data: Buffer; readonly ended: boolean } | Error> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      readable.off('data', onData);
      readable.off('end', onEnd);
      readable.off('error', onError);
      readable.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total > limit) {
        cleanup();
        readable.pause();
        resolve({ data: Buffer.concat(chunks), ended: false });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ data: Buffer.concat(chunks), ended: true });
    };
    const onError = (err: Error): void => {
      cleanup();
      resolve(err);
    };
    const onClose = (): void => {
      cleanup();
      resolve(new Error('body stream closed before its end'));
    };
    readable.on('data', onData);
    readable.on('end', onEnd);
    readable.on('error', onError);
    readable.on('close', onClose);
  });
}

/** `head`, then whatever `rest` still has. */
export function prepend(head: Buffer, rest: Readable): Readable {
  const out = new PassThrough();
  out.write(head);
  rest.pipe(out);
  rest.resume();
  return out;
}

class StreamAborted extends Error {}

class ExtProcFilter implements HttpFilter {
  private stream: ExtProcStream | undefined;
  /** Envoy's processing_complete_: nothing more is sent to the server for this request. */
  private complete = false;
  /** Messages sent whose answer has not been taken yet (several while a STREAMED body flows). */
  private outstanding = 0;
  private callbacks: FilterCallbacks | undefined;
  private readonly dec: DirectionState;
  private readonly enc: DirectionState;
  private readonly checker: MutationChecker;

  constructor(
    private readonly config: ExtProcFilterConfig,
    private readonly env: ExtProcEnv,
  ) {
    this.dec = directionState(config.processingMode, 'request');
    this.enc = directionState(config.processingMode, 'response');
    this.checker = new MutationChecker(config.mutationRules);
  }

  // ---- decoding ----

  async decodeHeaders(cb: FilterCallbacks): Promise<FilterStatus> {
    this.callbacks = cb;
    // Envoy's mergePerRouteConfig() asks for the route first (per-route ext_proc config).
    cb.route();
    const headers = cb.requestHeaders;
    const hasBody = cb.requestBody.kind !== 'none';
    if (this.dec.sendHeaders) {
      if ((await this.processHeaders(cb, 'request', headers, !hasBody, undefined)) === 'stop') return 'stop';
    } else if (!this.complete && shouldRemoveContentLength(this.dec)) {
      headers.remove('content-length');
    }
    if (this.complete || !hasBody) return 'continue';
    if (this.dec.bodyMode === 'BUFFERED') {
      const body = cb.requestBody;
      const result = await this.processBufferedBody(cb, 'request', headers, body, (b) => {
        cb.requestBody = b;
      }, undefined);
      return result;
    }
    if (this.dec.bodyMode === 'BUFFERED_PARTIAL') return this.processPartialRequestBody(cb, headers);
    if (this.dec.bodyMode === 'STREAMED' && cb.requestBody.kind === 'stream') {
      cb.requestBody = { kind: 'stream', readable: this.streamedBody(cb, 'request', cb.requestBody.readable, undefined) };
    }
    return 'continue';
  }

  // ---- encoding ----

  async encodeHeaders(cb: FilterCallbacks, response: ResponseState): Promise<FilterStatus> {
    this.callbacks ??= cb;
    if (this.outstanding > 0) {
      // A local reply while a message is outstanding: the stand-in does not interleave phases.
      this.complete = true;
      this.stream?.cancel();
    }
    const hasBody = response.body.kind !== 'none';
    if (!this.complete && this.enc.sendHeaders) {
      if ((await this.processHeaders(cb, 'response', response.headers, !hasBody, response)) === 'stop') return 'stop';
    } else if (!this.complete && shouldRemoveContentLength(this.enc)) {
      response.headers.remove('content-length');
    }
    if (noExternalProcess(this.enc)) this.closeStream();
    if (this.complete || !hasBody) return 'continue';
    if (this.enc.bodyMode === 'BUFFERED') {
      return this.processBufferedBody(cb, 'response', response.headers, response.body, (b) => {
        response.body = b;
      }, response);
    }
    if (this.enc.bodyMode === 'STREAMED' && response.body.kind === 'stream') {
      response.body = { kind: 'stream', readable: this.streamedBody(cb, 'response', response.body.readable, response) };
    }
    return 'continue';
  }

  onDestroy(reason: 'complete' | 'reset'): void {
    this.complete = true;
    if (this.stream === undefined) return;
    // Filter::onDestroy closes the same way whatever ended the request (closeStreamMaybeGraceful).
    void reason;
    this.stream.halfClose();
  }

  // ---- phases ----

  private async processHeaders(
    cb: FilterCallbacks,
    dir: Direction,
    headers: HeaderMap,
    endOfStream: boolean,
    response: ResponseState | undefined,
  ): Promise<FilterStatus> {
    const st = dir === 'request' ? this.dec : this.enc;
    const msg: ProcessingRequestOut = {};
    msg[dir === 'request' ? 'request_headers' : 'response_headers'] = { headers: protoHeaders(headers), end_of_stream: endOfStream };
    st.headersHeld = true;
    const x = await this.exchange(cb, dir, 'headers', msg, response, () => {
      if (!this.complete && shouldRemoveContentLength(st)) headers.remove('content-length');
    });
    if (x.kind === 'stop') return 'stop';
    if (x.kind === 'unprocessed') return 'continue';
    const common = x.common;
    if (common !== null && common.status !== 'CONTINUE' && common.status !== 0) return this.unsupported(cb, `CommonResponse.status ${String(common.status)}`);
    if (common?.header_mutation) {
      const result = applyHeaderMutation(common.header_mutation, headers, this.checker, this.limits(cb, dir), {
        removeContentLength: shouldRemoveContentLength(st),
      });
      if (!result.ok) return this.errorReply(cb, result.message);
    }
    if (dir === 'request') this.clearRouteCache(cb, common);
    // Envoy drops its hold on the headers unless a BUFFERED (or, on the request path,
    // BUFFERED_PARTIAL) body is still to come (processor_state.cc handleHeadersResponse).
    st.headersHeld = (st.bodyMode === 'BUFFERED' || (dir === 'request' && st.bodyMode === 'BUFFERED_PARTIAL')) && !endOfStream;
    // closeGrpcStreamIfLastRespReceived
    if (dir === 'request') {
      if ((endOfStream || (this.dec.bodyMode === 'NONE' && !this.dec.sendTrailers)) && noExternalProcess(this.enc)) this.closeStream();
    } else if (endOfStream || (this.enc.bodyMode === 'NONE' && !this.enc.sendTrailers)) {
      this.closeStream();
    }
    return 'continue';
  }

  private async processBufferedBody(
    cb: FilterCallbacks,
    dir: Direction,
    headers: HeaderMap,
    body: BodySource,
    setBody: (b: BodySource) => void,
    response: ResponseState | undefined,
  ): Promise<FilterStatus> {
    const st = dir === 'request' ? this.dec : this.enc;
    let data: Buffer;
    if (body.kind === 'stream') {
      const read = await readAll(body.readable, cb.bufferLimit);
      if (read === 'overflow') {
        // Envoy's FilterManager: request 413 / response 500 when a buffering filter overflows.
        if (dir === 'request') cb.sendLocalReply({ status: 413, body: 'Payload Too Large', key: 'request_payload_too_large' });
        else {
          body.readable.destroy();
          cb.sendLocalReply({ status: 500, body: 'Internal Server Error', key: 'response_payload_too_large' });
        }
        return 'stop';
      }
      if (read instanceof Error) {
        cb.resetStream();
        return 'stop';
      }
      data = read;
    } else if (body.kind === 'buffer') {
      data = body.data;
    } else {
      return 'continue';
    }
    setBody({ kind: 'buffer', data });
    if (this.complete) return 'continue';
    const headersHeld = st.headersHeld ? headers : undefined;
    const msg: ProcessingRequestOut = {};
    msg[dir === 'request' ? 'request_body' : 'response_body'] = { body: data, end_of_stream: true };
    const x = await this.exchange(cb, dir, 'body', msg, response, undefined);
    st.headersHeld = false;
    if (x.kind === 'stop') return 'stop';
    if (x.kind === 'unprocessed') return 'continue';
    const common = x.common;
    if (common?.header_mutation && headersHeld !== undefined) {
      const result = applyHeaderMutation(common.header_mutation, headersHeld, this.checker, this.limits(cb, dir), {
        removeContentLength: shouldRemoveContentLength(st),
      });
      if (!result.ok) return this.errorReply(cb, result.message);
    }
    if (common?.body_mutation) {
      const mutated = applyBodyMutation(common.body_mutation, data);
      const contentLength = headersHeld?.getFirst('content-length');
      if (contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) !== mutated.length) {
        return this.errorReply(cb, 'mismatch between content length and the length of the mutated body');
      }
      setBody({ kind: 'buffer', data: mutated });
    }
    if (dir === 'request') this.clearRouteCache(cb, common);
    return 'continue';
  }

  /**
   * BUFFERED_PARTIAL on the request path (ext_proc.cc handleDataBufferedPartialMode,
   * sendStreamChunk): the body up to the buffer limit goes in one message, end_of_stream true
   * only if that was all of it; the answer may mutate the still-held headers and the part sent;
   * the rest of the body then flows upstream unprocessed. Never a 413.
   */
  private async processPartialRequestBody(cb: FilterCallbacks, headers: HeaderMap): Promise<FilterStatus> {
    const body = cb.requestBody;
    let read: { data: Buffer; ended: boolean } | Error;
    if (body.kind === 'buffer') read = { data: body.data, ended: true };
    else if (body.kind === 'stream') read = await readUpTo(body.readable, cb.bufferLimit);
    else return 'continue';
    if (read instanceof Error) {
      cb.resetStream();
      return 'stop';
    }
    const rest = body.kind === 'stream' && !read.ended ? body.readable : undefined;
    const assemble = (head: Buffer): void => {
      cb.requestBody = rest === undefined ? { kind: 'buffer', data: head } : { kind: 'stream', readable: prepend(head, rest) };
    };
    assemble(read.data);
    if (this.complete) return 'continue';
    const headersHeld = this.dec.headersHeld ? headers : undefined;
    const x = await this.exchange(cb, 'request', 'body', { request_body: { body: read.data, end_of_stream: read.ended } }, undefined, undefined);
    this.dec.headersHeld = false;
    if (x.kind === 'stop') return 'stop';
    if (x.kind === 'unprocessed') return 'continue';
    const common = x.common;
    if (common?.header_mutation && headersHeld !== undefined) {
      const result = applyHeaderMutation(common.header_mutation, headersHeld, this.checker, this.limits(cb, 'request'), {
        removeContentLength: shouldRemoveContentLength(this.dec),
      });
      if (!result.ok) return this.errorReply(cb, result.message);
    }
    if (common?.body_mutation) assemble(applyBodyMutation(common.body_mutation, read.data));
    this.clearRouteCache(cb, common);
    return 'continue';
  }

  /**
   * STREAMED: follows source/extensions/filters/http/ext_proc/ext_proc.cc (onData in STREAMED
   * mode): every chunk is sent to the server as it arrives, without waiting for the answers to
   * the chunks before it; the answers come back one per chunk, in order, and each is applied
   * to its own chunk before that chunk moves on.
   */
  private streamedBody(cb: FilterCallbacks, dir: Direction, source: Readable, response: ResponseState | undefined): Readable {
    const key = dir === 'request' ? 'request_body' : 'response_body';
    const out = new PassThrough();
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      out.destroy(err);
    };
    const answerFor = async (chunk: Buffer): Promise<Buffer | undefined> => {
      const x = await this.awaitAnswer(cb, dir, 'body', response);
      if (x.kind === 'stop') return undefined;
      if (x.kind === 'unprocessed' || x.common?.body_mutation == null) return chunk;
      return applyBodyMutation(x.common.body_mutation, chunk);
    };
    const enqueue = (chunk: Buffer, endOfStream: boolean): void => {
      if (failed) return;
      const processed = !this.complete && !cb.signal.aborted;
      if (processed) {
        const msg: ProcessingRequestOut = {};
        msg[key] = { body: chunk, end_of_stream: endOfStream };
        this.send(cb, dir, msg, response);
      }
      chain = chain.then(async () => {
        if (failed) return;
        const result = processed ? await answerFor(chunk) : chunk;
        if (result === undefined) {
          fail(new StreamAborted('ext_proc ended the request'));
          return;
        }
        if (result.length > 0) out.write(result);
        if (!endOfStream) return;
        if (processed && !this.complete && (dir === 'response' || noExternalProcess(this.enc))) this.closeStream();
        out.end();
      });
    };
    source.on('data', (raw: Buffer | Uint8Array) => enqueue(Buffer.isBuffer(raw) ? raw : Buffer.from(raw), false));
    source.on('end', () => enqueue(Buffer.alloc(0), true));
    source.on('error', (err) => fail(err));
    source.on('close', () => {
      if (!source.readableEnded) fail(new Error('body stream closed before its end'));
    });
    // Never destroy the downstream request from here: a local reply may still have to be sent.
    if (dir === 'response') {
      out.on('close', () => {
        if (!out.writableFinished) source.destroy();
      });
    }
    return out;
  }

  // ---- the message exchange ----

  private ensureStream(): ExtProcStream {
    if (this.stream === undefined) {
      // Follows source/common/conn_pool/conn_pool_base.cc: a stream past the gRPC cluster's
      // circuit breakers fails at once (a gRPC error: status_on_error, or failure_mode_allow).
      const admission = this.env.resources()?.admit();
      if (admission?.kind === 'overflow') {
        this.stream = new ExtProcStream(undefined, { kind: 'error', code: grpc.status.UNAVAILABLE, details: `upstream overflow (${admission.limit})` });
      } else {
        const endpoints = this.env.endpoints();
        this.stream = this.env.channels.open(endpoints);
        if (endpoints.length > 0) this.env.onStreamOpened();
        if (admission !== undefined) this.stream.onFinished(admission.release);
      }
      this.stream.onUnsolicited = (o) => this.onUnsolicited(o);
    }
    return this.stream;
  }

  private addAttributes(cb: FilterCallbacks, dir: Direction, msg: ProcessingRequestOut, response: ResponseState | undefined): void {
    const st = dir === 'request' ? this.dec : this.enc;
    const exprs = dir === 'request' ? this.config.requestAttributes : this.config.responseAttributes;
    if (st.attributesSent || exprs.length === 0) return;
    st.attributesSent = true;
    const fields: Record<string, PbValueOut> = {};
    for (const expr of exprs) {
      const v = evaluateAttribute(expr, cb, response);
      if (v !== undefined) fields[expr] = v;
    }
    msg.attributes = { [EXT_PROC_ATTRIBUTE_KEY]: { fields } };
  }

  private async exchange(
    cb: FilterCallbacks,
    dir: Direction,
    phase: Phase,
    msg: ProcessingRequestOut,
    response: ResponseState | undefined,
    afterSend: (() => void) | undefined,
  ): Promise<Exchange> {
    this.send(cb, dir, msg, response);
    afterSend?.();
    return this.awaitAnswer(cb, dir, phase, response);
  }

  /** Sends one message that expects an answer (taken later, in order, by awaitAnswer). */
  private send(cb: FilterCallbacks, dir: Direction, msg: ProcessingRequestOut, response: ResponseState | undefined): void {
    const stream = this.ensureStream();
    this.addAttributes(cb, dir, msg, response);
    msg.metadata_context = {};
    stream.send(msg);
    this.outstanding++;
    for (const key of PHASE_FIELDS) if ((msg as Record<string, unknown>)[key] !== undefined) this.env.onMessageSent?.(key);
  }

  /** Takes the answer to the oldest message sent and not yet answered. */
  private async awaitAnswer(cb: FilterCallbacks, dir: Direction, phase: Phase, response: ResponseState | undefined): Promise<Exchange> {
    const stream = this.ensureStream();
    try {
      // Ended meanwhile (server closed OK, a failure, a local reply): nothing more to take.
      if (this.complete) return cb.signal.aborted ? { kind: 'stop' } : { kind: 'unprocessed' };
      let deadline = Date.now() + this.config.messageTimeoutMs;
      let extended = false;
      for (;;) {
        const o = await stream.next(Math.max(0, deadline - Date.now()), cb.signal);
        if (cb.signal.aborted) {
          // The downstream went away: Filter::onDestroy, closeStreamMaybeGraceful.
          this.complete = true;
          stream.halfClose();
          return { kind: 'stop' };
        }
        if (o.kind === 'timeout') return this.failure(cb, 'timeout', 'ext_proc_error_per-message_timeout_exceeded');
        if (o.kind === 'closed') {
          // onGrpcClose: the server is done with this request; continue unprocessed.
          this.complete = true;
          return { kind: 'unprocessed' };
        }
        if (o.kind === 'error') return this.failure(cb, 'grpc', `ext_proc_error_gRPC_error_${o.code}{${o.details}}`);
        const m = o.message;
        if (m.override_message_timeout !== null) {
          const ms = durationMs(m.override_message_timeout);
          if (!extended && ms >= 1 && ms <= this.config.maxMessageTimeoutMs) {
            deadline = Date.now() + ms;
            extended = true;
          }
          continue;
        }
        if (phase === 'headers' && this.config.allowModeOverride && m.mode_override !== null) {
          const mode = effectiveModeOverride(m.mode_override, this.config.processingMode);
          if (mode === undefined) {
            this.unsupported(cb, `mode_override ${JSON.stringify(m.mode_override)}`);
            return { kind: 'stop' };
          }
          this.setMode(mode);
        }
        if (m.response === 'immediate_response' && m.immediate_response !== undefined && !this.config.disableImmediateResponse) {
          this.complete = true;
          this.closeStream();
          this.sendImmediateResponse(cb, m.immediate_response);
          return { kind: 'stop' };
        }
        const expected = `${dir}_${phase}` as const;
        if (m.response !== expected) return this.failure(cb, 'spurious', `spurious message ${String(m.response)} (expected ${expected})`);
        return { kind: 'answer', common: m[expected]?.response ?? null };
      }
    } finally {
      this.outstanding--;
      stream.answerTaken();
    }
  }

  /** A message, close or error while nothing was outstanding: Envoy reacts to it at once. */
  private onUnsolicited(o: ExtProcOutcome): void {
    const cb = this.callbacks;
    if (this.complete || cb === undefined) return;
    switch (o.kind) {
      case 'closed':
        this.complete = true;
        return;
      case 'timeout':
        return;
      case 'error':
        void this.failure(cb, 'grpc', `ext_proc_error_gRPC_error_${o.code}{${o.details}}`);
        return;
      case 'message':
        // A timeout extension with no timer running is ignored.
        if (o.message.override_message_timeout !== null) return;
        if (o.message.response === 'immediate_response' && o.message.immediate_response !== undefined && !this.config.disableImmediateResponse) {
          this.complete = true;
          this.closeStream();
          this.sendImmediateResponse(cb, o.message.immediate_response);
          return;
        }
        void this.failure(cb, 'spurious', `spurious message ${String(o.message.response)}`);
    }
  }

  private failure(cb: FilterCallbacks, kind: 'timeout' | 'grpc' | 'spurious', details: string): Promise<Exchange> {
    this.env.onError();
    this.complete = true;
    this.stream?.cancel();
    if (this.config.failureModeAllow) return Promise.resolve({ kind: 'unprocessed' });
    if (kind === 'timeout') cb.sendLocalReply({ status: 504, key: 'message_timeout', details });
    else cb.sendLocalReply({ status: this.config.statusOnError, key: 'ext_proc_error', details });
    return Promise.resolve({ kind: 'stop' });
  }

  /** A rejected mutation: status_on_error regardless of failure_mode_allow (handleErrorResponse). */
  private errorReply(cb: FilterCallbacks, message: string): FilterStatus {
    this.env.onError();
    this.complete = true;
    this.stream?.cancel();
    cb.sendLocalReply({ status: this.config.statusOnError, key: 'ext_proc_error', details: message });
    return 'stop';
  }

  private unsupported(cb: FilterCallbacks, what: string): FilterStatus {
    console.error(`envoy stand-in: ${what} is not implemented by the stand-in; answering 500`);
    this.complete = true;
    this.stream?.cancel();
    cb.sendLocalReply({ status: 500, key: 'standin_unsupported', details: `${what} is not implemented by the Envoy stand-in` });
    return 'stop';
  }

  private sendImmediateResponse(cb: FilterCallbacks, ir: PbImmediateResponseIn): void {
    let status = ir.status === null ? 200 : httpStatusCodeNumber(ir.status.code);
    if (status < 200) status = 200;
    const mutation = ir.headers;
    cb.sendLocalReply({
      status,
      body: ir.body,
      key: 'immediate_response',
      details: ir.details.replace(/\s/g, '_'),
      modifyHeaders:
        mutation === null
          ? undefined
          : (headers) => {
              // Failures are only logged by Envoy; whatever was applied before the failure stays.
              applyHeaderMutation(mutation, headers, this.checker, RESPONSE_LIMITS);
            },
    });
  }

  private setMode(mode: ProcessingMode): void {
    const dec = directionState(mode, 'request');
    const enc = directionState(mode, 'response');
    Object.assign(this.dec, { sendHeaders: dec.sendHeaders, bodyMode: dec.bodyMode, sendTrailers: dec.sendTrailers });
    Object.assign(this.enc, { sendHeaders: enc.sendHeaders, bodyMode: enc.bodyMode, sendTrailers: enc.sendTrailers });
  }

  private clearRouteCache(cb: FilterCallbacks, common: PbCommonResponseIn | null): void {
    // Without a header_mutation in the same CommonResponse the flag is ignored.
    if (common === null || common.header_mutation === null) return;
    if (this.config.routeCacheAction === 'CLEAR' || (this.config.routeCacheAction === 'DEFAULT' && common.clear_route_cache)) {
      cb.clearRouteCache();
    }
  }

  private limits(cb: FilterCallbacks, dir: Direction): HeaderLimits {
    return dir === 'request' ? { maxKb: cb.maxRequestHeadersKb, maxCount: cb.maxHeadersCount } : RESPONSE_LIMITS;
  }

  /** closeStreamMaybeGraceful: half-close, and nothing more is processed. */
  private closeStream(): void {
    this.complete = true;
    this.stream?.halfClose();
  }
}

export function extProcFilterFactory(config: ExtProcFilterConfig, env: ExtProcEnv): HttpFilterFactory {
  return { name: config.name, create: () => new ExtProcFilter(config, env) };
}
