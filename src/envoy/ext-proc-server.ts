/**
 * The ext_proc edge: one gRPC stream per HTTP request. Each message Envoy sends is answered
 * once, in order, per the contract (raw_value, overwrite, header + clear_route_cache
 * together); the routing itself is the RequestRouter's.
 */
import type * as grpc from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  ProcessingMode_BodySendMode,
  ProcessingMode_HeaderSendMode,
  type ProcessingMode,
} from '../gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode.js';
import {
  CommonResponse_ResponseStatus,
  type CommonResponse,
  type HeaderMutation,
  type ProcessingResponse,
} from '../gen/envoy/service/ext_proc/v3/external_processor.js';
import type { HeaderValueOption } from '../gen/envoy/config/core/v3/base.js';
import type { ForwardInstruction, ReplyInstruction } from '../routing/decision.js';
import { AwaitingBody, NO_BODY, type RequestContext, type RequestRouter, type ResponseHeaderAdditions } from '../routing/request-router.js';
import { reusedResponse, type ExtProcRequest } from './ext-proc-codec.js';
import { appendHeader, overwriteHeader } from './header-codec.js';
import { openStream, type EdgeObserver } from './edge-observer.js';
import { forwardHeaders } from './forward-headers.js';

export { CLUSTER_HEADER } from './forward-headers.js';
const EDGE = 'ext_proc';
const EXT_PROC_ATTRIBUTES = 'envoy.filters.http.ext_proc';

const CONTINUE: CommonResponse = {
  status: CommonResponse_ResponseStatus.CONTINUE,
  headerMutation: undefined,
  bodyMutation: undefined,
  trailers: undefined,
  clearRouteCache: false,
};

function response(body: ProcessingResponse['response'], modeOverride?: ProcessingMode): ProcessingResponse {
  return { response: body, dynamicMetadata: undefined, modeOverride, overrideMessageTimeout: undefined };
}

const RESPONSE_HEADERS_CONTINUE = reusedResponse(response({ $case: 'responseHeaders', value: { response: CONTINUE } }));
const RESPONSE_BODY_CONTINUE = reusedResponse(response({ $case: 'responseBody', value: { response: CONTINUE } }));
const REQUEST_BODY_CONTINUE = reusedResponse(response({ $case: 'requestBody', value: { response: CONTINUE } }));
const REQUEST_TRAILERS_CONTINUE = reusedResponse(response({ $case: 'requestTrailers', value: { headerMutation: undefined } }));
const RESPONSE_TRAILERS_CONTINUE = reusedResponse(response({ $case: 'responseTrailers', value: { headerMutation: undefined } }));

/**
 * Asks Envoy for the response of this request. Header modes at DEFAULT mean "no change"; both
 * body modes always apply, so the request body stays NONE.
 */
function watchMode(body: boolean): ProcessingMode {
  return {
    requestHeaderMode: ProcessingMode_HeaderSendMode.DEFAULT,
    responseHeaderMode: ProcessingMode_HeaderSendMode.SEND,
    requestBodyMode: ProcessingMode_BodySendMode.NONE,
    responseBodyMode: body ? ProcessingMode_BodySendMode.BUFFERED : ProcessingMode_BodySendMode.NONE,
    requestTrailerMode: ProcessingMode_HeaderSendMode.DEFAULT,
    responseTrailerMode: ProcessingMode_HeaderSendMode.DEFAULT,
  };
}
const WATCH_HEADERS = watchMode(false);
const WATCH_HEADERS_AND_BODY = watchMode(true);

/**
 * Asks Envoy for a submission's body before it is routed (a statement rule, or a statement
 * that may start a transaction): BUFFERED_PARTIAL holds the headers until the body, up to the
 * buffer limit, has been answered, and never fails an oversized one with 413
 * (ext_proc.cc handleDataBufferedPartialMode). The response is watched as every submission's is.
 */
const READ_BODY = reusedResponse(response({ $case: 'requestHeaders', value: { response: CONTINUE } }, {
  ...WATCH_HEADERS_AND_BODY,
  requestBodyMode: ProcessingMode_BodySendMode.BUFFERED_PARTIAL,
}));

/** The request phase a routing answer goes to: its headers, or (for a held submission) its body. */
type RequestPhase = 'requestHeaders' | 'requestBody';

/**
 * Routing answers without a :path rewrite depend only on the response watch, the backend and
 * its prefix of the current second: every submission and query-id follow-up to a backend in
 * one second gets the same answer, so the last one per watch and backend is kept, built and
 * encoded once (reusedResponse). Bounded by the backends' names (cleared past a cap).
 */
const reusedForwards = new Map<string, { readonly prefix: string | undefined; readonly answer: ProcessingResponse }>();
const REUSED_FORWARDS_MAX = 4096;

function forwardResponse(instruction: ForwardInstruction, phase: RequestPhase): ProcessingResponse {
  if (instruction.path !== undefined) return buildForwardResponse(instruction, phase);
  const key = `${phase} ${instruction.watch} ${instruction.backend}`;
  const last = reusedForwards.get(key);
  if (last !== undefined && last.prefix === instruction.forwardedPrefix) return last.answer;
  if (last === undefined && reusedForwards.size >= REUSED_FORWARDS_MAX) reusedForwards.clear();
  const answer = reusedResponse(buildForwardResponse(instruction, phase));
  reusedForwards.set(key, { prefix: instruction.forwardedPrefix, answer });
  return answer;
}

function buildForwardResponse(instruction: ForwardInstruction, phase: RequestPhase): ProcessingResponse {
  const plan = forwardHeaders(instruction);
  const setHeaders: HeaderValueOption[] = plan.set.map(([name, value]) => overwriteHeader(name, value));
  const headerMutation: HeaderMutation = { setHeaders, removeHeaders: [...plan.remove] };
  const mode = instruction.watch === 'none' ? undefined : instruction.watch === 'headers' ? WATCH_HEADERS : WATCH_HEADERS_AND_BODY;
  // clear_route_cache is honoured only next to a header mutation: both always go together.
  // A whole literal, not a spread of CONTINUE: V8 clones spreads through a slow generic path.
  const common: CommonResponse = {
    status: CommonResponse_ResponseStatus.CONTINUE,
    headerMutation,
    bodyMutation: undefined,
    trailers: undefined,
    clearRouteCache: true,
  };
  // A body answer carries no mode: the headers answer (READ_BODY) already set it.
  if (phase === 'requestBody') return response({ $case: 'requestBody', value: { response: common } });
  return response({ $case: 'requestHeaders', value: { response: common } }, mode);
}

/**
 * The answer to a response's headers that adds headers to what the client gets. `append: true`
 * (the only append ext_proc reads) keeps the cluster's own headers of that name: a second
 * Set-Cookie, not a replacement. clear_route_cache is ignored on the response path.
 */
function responseHeadersAdding(additions: ResponseHeaderAdditions): ProcessingResponse {
  const headerMutation: HeaderMutation = { setHeaders: additions.map(([name, value]) => appendHeader(name, value)), removeHeaders: [] };
  const common: CommonResponse = { status: CommonResponse_ResponseStatus.CONTINUE, headerMutation, bodyMutation: undefined, trailers: undefined, clearRouteCache: false };
  return response({ $case: 'responseHeaders', value: { response: common } });
}

export function immediateResponse(reply: ReplyInstruction): ProcessingResponse {
  return response({
    $case: 'immediateResponse',
    value: {
      status: { code: reply.status },
      headers: { setHeaders: [overwriteHeader('content-type', reply.contentType)], removeHeaders: [] },
      body: Buffer.from(reply.body, 'utf8'),
      grpcStatus: undefined,
      details: `trino_router_${reply.reason}`,
    },
  });
}

function listenerPortOf(message: ExtProcRequest): number | undefined {
  const port = message.attributes[EXT_PROC_ATTRIBUTES]?.['destination.port'];
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d{1,5}$/.test(port)) return Number(port);
  return undefined;
}

/** Requests arrive already decoded by ext-proc-codec.ts (the server is built with extProcService). */
type Stream = grpc.ServerDuplexStream<ExtProcRequest, ProcessingResponse>;

export function createExtProcHandler(router: RequestRouter, observer: EdgeObserver): grpc.handleBidiStreamingCall<ExtProcRequest, ProcessingResponse> {
  return (call: Stream) => {
    const release = openStream(observer, EDGE);
    let context: RequestContext | undefined;
    /** A submission held for its body (READ_BODY sent), until its request_body message. */
    let awaiting: AwaitingBody | undefined;
    let closed = false;
    /** Set while fail() hands grpc-js its status, so the 'error' listener does not count it twice. */
    let endingWithError = false;
    // Envoy waits for each answer before the next phase, but a probe makes an answer async:
    // later messages queue behind it so answers keep their order.
    let pending: Promise<void> | undefined;

    const write = (message: ProcessingResponse): void => {
      if (!closed) call.write(message);
    };
    /**
     * Ends the stream with a gRPC status (Envoy answers the client with its status_on_error at
     * once instead of waiting for message_timeout). grpc-js turns an 'error' event carrying
     * {code, details} into the trailing status; destroy() would send none.
     */
    const fail = (kind: string, error: unknown, code: grpc.status): void => {
      observer.streamError(EDGE, kind, error);
      if (!closed) {
        closed = true;
        const reason = error instanceof Error ? error.message : String(error);
        endingWithError = true;
        call.emit('error', { code, details: `trino-envoy-router: ${reason}` } satisfies Partial<grpc.StatusObject>);
        endingWithError = false;
      }
      release();
    };

    const answer = (routed: RequestContext, startedAt: bigint, phase: RequestPhase): void => {
      context = routed;
      const instruction = routed.instruction;
      observer.routed(EDGE, routed, Number(process.hrtime.bigint() - startedAt) / 1e9);
      write(instruction.kind === 'forward' ? forwardResponse(instruction, phase) : immediateResponse(instruction));
    };

    const settle = (routed: RequestContext | AwaitingBody | Promise<RequestContext>, startedAt: bigint, phase: RequestPhase): void | Promise<void> => {
      if (routed instanceof AwaitingBody) {
        awaiting = routed;
        return write(READ_BODY);
      }
      if (!(routed instanceof Promise)) return answer(routed, startedAt, phase);
      return routed.then((done) => answer(done, startedAt, phase));
    };

    const handle = (message: ExtProcRequest): void | Promise<void> => {
      const request = message.request;
      switch (request?.$case) {
        case 'requestHeaders': {
          const startedAt = process.hrtime.bigint();
          // Headers that end the stream: no body will follow, so none is asked for.
          const body = request.value.endOfStream ? NO_BODY : undefined;
          return settle(router.route({ headers: request.value.headers, listenerPort: listenerPortOf(message), body }), startedAt, 'requestHeaders');
        }
        case 'responseHeaders':
        {
          const additions = context === undefined ? undefined : router.onResponseHeaders(context, request.value.headers);
          return write(additions === undefined ? RESPONSE_HEADERS_CONTINUE : responseHeadersAdding(additions));
        }
        case 'responseBody':
          if (context !== undefined && request.value.body.length > 0) router.onResponseBody(context, request.value.body);
          return write(RESPONSE_BODY_CONTINUE);
        case 'requestBody': {
          const held = awaiting;
          // Asked for only to route a held submission; a config that sends bodies anyway still gets an answer.
          if (held === undefined) return write(REQUEST_BODY_CONTINUE);
          awaiting = undefined;
          const body = { bytes: request.value.body, complete: request.value.endOfStream, sent: true };
          return settle(router.routeWithBody(held, body), process.hrtime.bigint(), 'requestBody');
        }
        case 'requestTrailers':
          return write(REQUEST_TRAILERS_CONTINUE);
        case 'responseTrailers':
          return write(RESPONSE_TRAILERS_CONTINUE);
        case undefined:
          return fail('empty_message', new Error('ProcessingRequest without a request phase (request_headers, response_headers, bodies or trailers)'), GrpcStatus.INVALID_ARGUMENT);
      }
    };

    const handleSafely = (message: ExtProcRequest): void => {
      // A stream the router already ended gets no more answers, and nothing is learned from it.
      if (closed) return;
      try {
        const result = handle(message);
        if (result instanceof Promise) {
          pending = result.catch((error: unknown) => fail('handler', error, GrpcStatus.INTERNAL)).finally(() => {
            pending = undefined;
          });
        }
      } catch (error) {
        fail('handler', error, GrpcStatus.INTERNAL);
      }
    };

    call.on('data', (message: ExtProcRequest) => {
      if (pending === undefined) handleSafely(message);
      else pending = pending.then(() => handleSafely(message));
    });
    call.on('end', () => {
      const finish = (): void => {
        if (!closed) {
          closed = true;
          call.end();
        }
        release();
      };
      if (pending === undefined) finish();
      else void pending.then(finish);
    });
    call.on('error', (error: unknown) => {
      closed = true;
      if (!endingWithError) observer.streamError(EDGE, 'transport', error);
      release();
    });
    call.on('cancelled', () => {
      closed = true;
      release();
    });
    call.on('close', release);
  };
}
