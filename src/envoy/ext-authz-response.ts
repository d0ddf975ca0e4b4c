/**
 * Routing instructions as ext_authz CheckResponses, per the contract and Envoy's ext_authz
 * filter (onComplete):
 * - forward = status OK with `ok_response.headers` (Envoy reads the string `value` here, not
 *   `raw_value`; `append: false` overwrites) and `headers_to_remove`. Envoy applies each header
 *   with setCopy, pseudo headers included, unless `decoder_header_mutation_rules` forbid it, so
 *   `:path` rewrites work as in ext_proc. With the filter's `clear_route_cache` the route is
 *   picked again from the new headers (`x-trino-cluster`).
 * - reply = a non-OK status with `denied_response{status, headers, body}`: Envoy answers the
 *   client with exactly that, so a refusal stays a Trino-shaped result the client displays.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { CheckResponse, DeniedHttpResponse } from '../gen/envoy/service/auth/v3/external_auth.js';
import type { StatusCode } from '../gen/envoy/type/v3/http_status.js';
import type { ForwardInstruction, ReplyInstruction } from '../routing/decision.js';
import type { CheckRequestError } from './ext-authz-request.js';
import { forwardHeaders } from './forward-headers.js';
import { overwriteHeaderAsString } from './header-codec.js';

function checkResponse(code: GrpcStatus, message: string, httpResponse: CheckResponse['httpResponse']): CheckResponse {
  return { status: { code, message, details: [] }, httpResponse, dynamicMetadata: undefined };
}

export function allowResponse(instruction: ForwardInstruction): CheckResponse {
  const plan = forwardHeaders(instruction);
  return checkResponse(GrpcStatus.OK, '', {
    $case: 'okResponse',
    value: {
      headers: plan.set.map(([name, value]) => overwriteHeaderAsString(name, value)),
      headersToRemove: [...plan.remove],
      dynamicMetadata: undefined,
      responseHeadersToAdd: [],
      queryParametersToSet: [],
      queryParametersToRemove: [],
    },
  });
}

function denied(status: number, contentType: string, body: string): DeniedHttpResponse {
  return {
    // Envoy uses any non-zero code as the reply's HTTP status; the router's are all defined codes.
    status: { code: status as StatusCode },
    headers: [overwriteHeaderAsString('content-type', contentType)],
    body,
  };
}

/**
 * Any non-OK gRPC status means "denied" to Envoy; PERMISSION_DENIED says the router chose not
 * to let the request through, and its message carries the reason for Envoy's logs.
 */
export function denyResponse(reply: ReplyInstruction): CheckResponse {
  return checkResponse(GrpcStatus.PERMISSION_DENIED, `trino_router_${reply.reason}`, {
    $case: 'deniedResponse',
    value: denied(reply.status, reply.contentType, reply.body),
  });
}

/** A CheckRequest no Envoy HTTP filter sends: refused with a reason, never routed by guess. */
export function badRequestResponse(error: CheckRequestError): CheckResponse {
  return checkResponse(GrpcStatus.INVALID_ARGUMENT, `trino_router_bad_check_request_${error.problem}`, {
    $case: 'deniedResponse',
    value: denied(400, 'application/json', JSON.stringify({ error: 'bad_check_request', message: error.message })),
  });
}
