/**
 * The ext_authz edge: `envoy.service.auth.v3.Authorization/Check`, one unary call per HTTP
 * request, routed by the same RequestRouter as ext_proc. ext_authz never sees responses, so
 * nothing is learned from them: follow-ups are routed by signed prefixes, the coordinator ids
 * the health monitor learns, and probes (see README, "ext_proc or ext_authz?").
 *
 * Every call is answered: a routing decision becomes an OK (forward) or a denial carrying the
 * router's Trino-shaped reply; a request no Envoy HTTP filter would send is denied with a
 * reason. Only a fault in the router itself ends the call with a gRPC error, which Envoy turns
 * into `status_on_error` (fail closed).
 */
import type * as grpc from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { CheckRequest, CheckResponse } from '../gen/envoy/service/auth/v3/external_auth.js';
import { AwaitingBody, type RequestContext, type RequestRouter } from '../routing/request-router.js';
import { openStream, type EdgeObserver } from './edge-observer.js';
import { CheckRequestError, incomingOf } from './ext-authz-request.js';
import { allowResponse, badRequestResponse, denyResponse } from './ext-authz-response.js';

const EDGE = 'ext_authz';

function responseFor(context: RequestContext): CheckResponse {
  const instruction = context.instruction;
  return instruction.kind === 'forward' ? allowResponse(instruction) : denyResponse(instruction);
}

function internalError(error: unknown): Partial<grpc.StatusObject> {
  const reason = error instanceof Error ? error.message : String(error);
  return { code: GrpcStatus.INTERNAL, details: `trino-envoy-router could not route the request: ${reason}` };
}

export function createExtAuthzHandler(router: RequestRouter, observer: EdgeObserver): grpc.handleUnaryCall<CheckRequest, CheckResponse> {
  return (call, callback) => {
    const release = openStream(observer, EDGE);
    // Envoy gave up (its timeout) or went away: the answer has no one left to read it.
    call.on('cancelled', release);

    // Exactly one answer per call, even if reporting a decision throws after it was sent.
    let answered = false;
    const answer = (response: CheckResponse): void => {
      if (answered) return;
      answered = true;
      if (!call.cancelled) callback(null, response);
      release();
    };
    const fail = (error: unknown): void => {
      observer.streamError(EDGE, 'handler', error);
      if (answered) return;
      answered = true;
      if (!call.cancelled) callback(internalError(error));
      release();
    };

    try {
      const incoming = incomingOf(call.request);
      if (incoming instanceof CheckRequestError) {
        observer.streamError(EDGE, 'bad_request', incoming);
        answer(badRequestResponse(incoming));
        return;
      }
      const startedAt = process.hrtime.bigint();
      const decided = (context: RequestContext): void => {
        observer.routed(EDGE, context, Number(process.hrtime.bigint() - startedAt) / 1e9);
        answer(responseFor(context));
      };
      const routed = router.route(incoming);
      // The check carries the body (or says it has none), so the router never waits for one.
      if (routed instanceof AwaitingBody) fail(new Error('the router asked for a request body the check already carries'));
      else if (routed instanceof Promise) routed.then(decided).catch(fail);
      else decided(routed);
    } catch (error) {
      fail(error);
    }
  };
}
