/**
 * Envoy's ext_proc protos, loaded dynamically from the official .proto files shipped in
 * @grpc/grpc-js-xds (deps/). This is deliberately independent of the project's generated code
 * (src/gen): the stand-in is a second codec, so wire mistakes in the router show up.
 *
 * The TypeScript shapes below describe what @grpc/proto-loader produces with
 * { keepCase, longs: String, enums: String, defaults: true, oneofs: true }: snake_case names,
 * unset message fields as null, oneof members present only when set (plus a virtual field naming
 * the member), bytes as Buffer, enums as their names (or a number when the value is unknown).
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type * as grpc from '@grpc/grpc-js';

const DEPS = fileURLToPath(new URL('../../../node_modules/@grpc/grpc-js-xds/deps/', import.meta.url));
export const INCLUDE_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => DEPS + d);

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: INCLUDE_DIRS,
};

export const EXT_PROC_SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';
export const EXT_PROC_METHOD_PATH = `/${EXT_PROC_SERVICE}/Process`;
/** The key Envoy puts the evaluated request/response attributes under. */
export const EXT_PROC_ATTRIBUTE_KEY = 'envoy.filters.http.ext_proc';

let cached: protoLoader.PackageDefinition | undefined;

export function extProcPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync('envoy/service/ext_proc/v3/external_processor.proto', LOADER_OPTIONS);
  return cached;
}

export function extProcServiceDefinition(): grpc.ServiceDefinition {
  const def = extProcPackageDefinition()[EXT_PROC_SERVICE];
  if (def === undefined || !('Process' in def)) {
    throw new Error(`${EXT_PROC_SERVICE} not found in the loaded protos`);
  }
  return def as unknown as grpc.ServiceDefinition;
}

let statusCodes: Map<string, number> | undefined;

/** envoy.type.v3.StatusCode name -> number (enums arrive as names with enums: String). */
export function httpStatusCodeNumber(code: string | number): number {
  if (typeof code === 'number') return code;
  if (statusCodes === undefined) {
    statusCodes = new Map();
    const def = extProcPackageDefinition()['envoy.type.v3.StatusCode'] as unknown as
      | { type?: { value?: { name: string; number: number }[] } }
      | undefined;
    for (const v of def?.type?.value ?? []) statusCodes.set(v.name, v.number);
  }
  const n = statusCodes.get(code);
  if (n === undefined) {
    const parsed = Number(code);
    return Number.isInteger(parsed) ? parsed : 0;
  }
  return n;
}

// ---- message shapes (outgoing: what we build; incoming: what proto-loader gives us) ----

export interface PbHeaderValueOut {
  key: string;
  raw_value: Buffer;
}

export interface PbHttpHeadersOut {
  headers: { headers: PbHeaderValueOut[] };
  end_of_stream: boolean;
}

export interface PbHttpBodyOut {
  body: Buffer;
  end_of_stream: boolean;
}

/**
 * google.protobuf.Value. NB: protobufjs resolves google/protobuf/struct.proto to its bundled
 * descriptors, whose field names are camelCase even with keepCase (numberValue, not number_value).
 */
export type PbValueOut =
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean };

export interface PbStructOut {
  fields: Record<string, PbValueOut>;
}

export interface ProcessingRequestOut {
  request_headers?: PbHttpHeadersOut;
  response_headers?: PbHttpHeadersOut;
  request_body?: PbHttpBodyOut;
  response_body?: PbHttpBodyOut;
  attributes?: Record<string, PbStructOut>;
  metadata_context?: Record<string, never>;
}

export interface PbHeaderValueIn {
  key: string;
  value: string;
  raw_value: Buffer;
}

export interface PbHeaderValueOptionIn {
  header: PbHeaderValueIn | null;
  append: { value: boolean } | null;
  append_action: string | number;
  keep_empty_value: boolean;
}

export interface PbHeaderMutationIn {
  set_headers: PbHeaderValueOptionIn[];
  remove_headers: string[];
}

export interface PbBodyMutationIn {
  mutation?: 'body' | 'clear_body';
  body?: Buffer;
  clear_body?: boolean;
}

export interface PbCommonResponseIn {
  status: string | number;
  header_mutation: PbHeaderMutationIn | null;
  body_mutation: PbBodyMutationIn | null;
  trailers: unknown;
  clear_route_cache: boolean;
}

export interface PbPhaseResponseIn {
  response: PbCommonResponseIn | null;
}

export interface PbProcessingModeIn {
  request_header_mode: string | number;
  response_header_mode: string | number;
  request_body_mode: string | number;
  response_body_mode: string | number;
  request_trailer_mode: string | number;
  response_trailer_mode: string | number;
}

export interface PbImmediateResponseIn {
  status: { code: string | number } | null;
  headers: PbHeaderMutationIn | null;
  body: Buffer;
  grpc_status: { status: number } | null;
  details: string;
}

export interface PbDurationIn {
  seconds: string;
  nanos: number;
}

export type ResponseCase =
  | 'request_headers'
  | 'response_headers'
  | 'request_body'
  | 'response_body'
  | 'request_trailers'
  | 'response_trailers'
  | 'immediate_response';

export interface ProcessingResponseIn {
  response?: ResponseCase;
  request_headers?: PbPhaseResponseIn;
  response_headers?: PbPhaseResponseIn;
  request_body?: PbPhaseResponseIn;
  response_body?: PbPhaseResponseIn;
  request_trailers?: unknown;
  response_trailers?: unknown;
  immediate_response?: PbImmediateResponseIn;
  dynamic_metadata: unknown;
  mode_override: PbProcessingModeIn | null;
  override_message_timeout: PbDurationIn | null;
}

export function durationMs(d: PbDurationIn): number {
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}
