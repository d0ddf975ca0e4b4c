/**
 * Envoy's ext_authz protos (envoy.service.auth.v3), loaded dynamically from the official .proto
 * files like the ext_proc ones (see protos.ts): a second codec, independent of src/gen, so wire
 * mistakes in the router show up. Shapes follow proto-loader's output with LOADER_OPTIONS.
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, type PbHeaderValueOptionIn } from './protos.js';

export const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';
export const CHECK_METHOD_PATH = `/${AUTHORIZATION_SERVICE}/Check`;

let cached: protoLoader.PackageDefinition | undefined;

export function authorizationPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', LOADER_OPTIONS);
  return cached;
}

export function authorizationServiceDefinition(): grpc.ServiceDefinition {
  const def = authorizationPackageDefinition()[AUTHORIZATION_SERVICE];
  if (def === undefined || !('Check' in def)) throw new Error(`${AUTHORIZATION_SERVICE} not found in the loaded protos`);
  return def as unknown as grpc.ServiceDefinition;
}

// ---- outgoing: the CheckRequest Envoy builds ----

export interface PbPeerOut {
  address: { socket_address: { address: string; port_value: number } };
}

export interface PbHttpRequestOut {
  id: string;
  method: string;
  /** Lower-case names, pseudo headers included, repeated lines joined with ",". */
  headers: Record<string, string>;
  path: string;
  host: string;
  scheme: string;
  size: number;
  protocol: string;
  /** with_request_body: the buffered body as a string, or as bytes with pack_as_bytes. */
  body?: string;
  raw_body?: Buffer;
}

export interface CheckRequestOut {
  attributes: {
    source: PbPeerOut;
    destination: PbPeerOut;
    request: { time: { seconds: number; nanos: number }; http: PbHttpRequestOut };
    context_extensions: Record<string, string>;
    metadata_context: Record<string, never>;
  };
}

// ---- incoming: the CheckResponse as proto-loader decodes it ----

export interface PbOkHttpResponseIn {
  headers: PbHeaderValueOptionIn[];
  headers_to_remove: string[];
  response_headers_to_add: PbHeaderValueOptionIn[];
  query_parameters_to_set: { key: string; value: string }[];
  query_parameters_to_remove: string[];
}

export interface PbDeniedHttpResponseIn {
  status: { code: string | number } | null;
  headers: PbHeaderValueOptionIn[];
  body: string;
}

export interface CheckResponseIn {
  /** google.rpc.Status; unset reads as code 0 (OK), as Envoy reads it. */
  status: { code: number; message: string } | null;
  http_response?: 'denied_response' | 'ok_response';
  denied_response?: PbDeniedHttpResponseIn;
  ok_response?: PbOkHttpResponseIn;
}
