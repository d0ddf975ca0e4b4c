/**
 * The strict proto-JSON checker on small, hand-made Envoy messages: each rule of proto3 JSON
 * and of protoc-gen-validate it implements, accepted and refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkProtoJson, durationSeconds, EnvoyProtos } from './lib/proto-json.js';

let protos: EnvoyProtos;
beforeAll(() => {
  protos = new EnvoyProtos();
});

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const EXT_PROC = 'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTE = 'envoy.config.route.v3.Route';

function messages(type: string, value: unknown, partial = false): string[] {
  return checkProtoJson(protos, type, value, { partial }).issues.map((i) => `${i.path}: ${i.message}`);
}

const cluster = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'trino-a',
  type: 'STRICT_DNS',
  connect_timeout: '2s',
  load_assignment: {
    cluster_name: 'trino-a',
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'trino-a', port_value: 8080 } } } }] }],
  },
  ...extra,
});

describe('field names', () => {
  it('accepts snake_case and lowerCamelCase, refuses unknown names and a field given twice', () => {
    expect(messages(CLUSTER, cluster())).toEqual([]);
    const camel = { ...cluster(), connectTimeout: '2s' } as Record<string, unknown>;
    delete camel.connect_timeout;
    expect(messages(CLUSTER, camel)).toEqual([]);
    expect(messages(CLUSTER, { ...cluster(), connectTimeout: '2s' })).toEqual([expect.stringContaining('given twice')]);
    expect(messages(CLUSTER, { ...cluster(), conect_timeout: '2s' })).toEqual([expect.stringContaining('unknown field "conect_timeout"')]);
  });

  it('suggests the field a misspelling probably meant', () => {
    expect(messages(CLUSTER, { ...cluster(), ConnectTimeOut: '1s' }).join()).toContain('did you mean connect_timeout');
  });
});

describe('scalars', () => {
  it('checks integer types and ranges, accepting decimal strings as proto JSON does', () => {
    const port = (v: unknown): string[] => messages('envoy.config.core.v3.SocketAddress', { address: 'x', port_value: v });
    expect(port(8080)).toEqual([]);
    expect(port('8080')).toEqual([]);
    expect(port('eighty')).toEqual([expect.stringContaining('expected an integer (uint32)')]);
    expect(port(80.5)).toEqual([expect.stringContaining('expected an integer')]);
    expect(port(-1)).toEqual([expect.stringContaining('out of range for uint32')]);
    expect(port(70000)).toEqual([expect.stringContaining('less than or equal to 65535')]);
  });

  it('wants real booleans and strings', () => {
    expect(messages(EXT_PROC, { grpc_service: { envoy_grpc: { cluster_name: 'r' } }, failure_mode_allow: 'false' })).toEqual([expect.stringContaining('expected true or false')]);
    expect(messages(EXT_PROC, { grpc_service: { envoy_grpc: { cluster_name: 42 } } })).toEqual([expect.stringContaining('expected a string')]);
  });

  it('checks repeated fields and maps', () => {
    expect(messages(EXT_PROC, { grpc_service: { envoy_grpc: { cluster_name: 'r' } }, request_attributes: 'destination.port' })).toEqual([expect.stringContaining('expected a list')]);
    expect(messages(EXT_PROC, { grpc_service: { envoy_grpc: { cluster_name: 'r' } }, request_attributes: ['destination.port', 3] })).toEqual([expect.stringContaining('request_attributes[1]: expected a string')]);
    expect(messages(CLUSTER, cluster({ typed_extension_protocol_options: [] }))).toEqual([expect.stringContaining('expected an object (map<string')]);
  });
});

describe('enums', () => {
  it('accepts defined names and numbers, refuses anything else', () => {
    const mode = (v: unknown): string[] => messages('envoy.extensions.filters.http.ext_proc.v3.ProcessingMode', { request_header_mode: v });
    expect(mode('SEND')).toEqual([]);
    expect(mode(1)).toEqual([]);
    expect(mode('send')).toEqual([expect.stringContaining('not a value of enum')]);
    expect(mode(7)).toEqual([expect.stringContaining('not a value of enum')]);
  });
});

describe('well-known types', () => {
  it('reads durations as proto JSON strings', () => {
    expect(durationSeconds('1s')).toBe(1);
    expect(durationSeconds('0.250s')).toBe(0.25);
    expect(durationSeconds('-2s')).toBe(-2);
    expect(durationSeconds('1m')).toBeUndefined();
    expect(durationSeconds('1.1234567891s')).toBeUndefined();
    expect(messages(CLUSTER, cluster({ connect_timeout: 2 }))).toEqual([expect.stringContaining('expected a duration')]);
    expect(messages(CLUSTER, cluster({ connect_timeout: '2 s' }))).toEqual([expect.stringContaining('expected a duration')]);
  });

  it('checks wrapper types by the type they wrap', () => {
    const kb = (v: unknown): string[] => messages(HCM, { stat_prefix: 'x', rds: { route_config_name: 'r', config_source: { ads: {} } }, max_request_headers_kb: v });
    expect(kb(256)).toEqual([]);
    expect(kb('256')).toEqual([]);
    expect(kb({ value: 256 })).toEqual([expect.stringContaining('expected an integer (uint32)')]);
    expect(kb(true)).toEqual([expect.stringContaining('expected an integer')]);
  });

  it('takes any JSON in a Struct, and only an object', () => {
    const metadata = (v: unknown): string[] => messages('envoy.config.core.v3.Metadata', { filter_metadata: { a: v } });
    expect(metadata({ nested: [1, 'two', null, { three: true }] })).toEqual([]);
    expect(metadata('text')).toEqual([expect.stringContaining('expected an object (Struct)')]);
  });

  it('resolves Any by "@type", loading the package on demand, and checks the rest as that message', () => {
    const filter = (typed: unknown): string[] => messages('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', { name: 'f', typed_config: typed });
    expect(filter({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' })).toEqual([]);
    expect(filter({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppress_envoy_headers: 'yes' })).toEqual([expect.stringContaining('expected true or false')]);
    expect(filter({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr' })).toEqual([expect.stringContaining('names no message')]);
    expect(filter({ '@type': 'envoy.extensions.filters.http.router.v3.Router' })).toEqual([expect.stringContaining('must look like type.googleapis.com/')]);
    expect(filter({ suppress_envoy_headers: true })).toEqual([expect.stringContaining('needs "@type"')]);
    // A well-known type inside an Any carries its JSON under "value".
    expect(messages('google.protobuf.Any', { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1s' })).toEqual([]);
    expect(messages('google.protobuf.Any', { '@type': 'type.googleapis.com/google.protobuf.Duration', seconds: 1 })).toEqual(expect.arrayContaining([expect.stringContaining('unknown field "seconds"')]));
  });

  it('unwraps TypedStruct and checks its value against the named type', () => {
    const typed = (value: unknown): string[] => messages('google.protobuf.Any', {
      '@type': 'type.googleapis.com/xds.type.v3.TypedStruct',
      type_url: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
      value,
    });
    expect(typed({ suppress_envoy_headers: true })).toEqual([]);
    expect(typed({ supress_envoy_headers: true })).toEqual([expect.stringContaining('unknown field "supress_envoy_headers"')]);
  });

  it('treats {} as an empty Any (FilterConfig.config: {} enables a disabled filter)', () => {
    expect(messages('envoy.config.route.v3.FilterConfig', { config: {} })).toEqual([]);
  });
});

describe('oneofs', () => {
  it('refuses two members of one oneof and requires one where validate.required says so', () => {
    const route = { match: { prefix: '/' }, route: { cluster: 'a', cluster_header: 'x-trino-cluster' } };
    expect(messages(ROUTE, route)).toEqual([expect.stringContaining('has several members set: cluster, cluster_header')]);
    expect(messages(ROUTE, { match: { prefix: '/' } })).toEqual([expect.stringContaining('needs one of route, redirect, direct_response')]);
    expect(messages(ROUTE, { match: { prefix: '/' }, route: {} })).toEqual([expect.stringContaining('needs one of cluster, cluster_header')]);
  });
});

describe('protoc-gen-validate rules', () => {
  it('validates absent proto3 fields with their default values', () => {
    const noName = cluster() as Record<string, unknown>;
    delete noName.name;
    expect(messages(CLUSTER, noName)).toEqual([expect.stringContaining('name (not set) must be at least 1 characters long')]);
  });

  it('checks required messages, numeric bounds, duration bounds and header-name patterns', () => {
    expect(messages(CLUSTER, cluster({ connect_timeout: '0s' }))).toEqual([expect.stringContaining('must be greater than 0s')]);
    expect(messages('envoy.config.core.v3.HeaderValueOption', { header: { key: 'bad\nheader', value: 'v' } })).toEqual([expect.stringContaining('valid HTTP header name')]);
    expect(messages('envoy.config.core.v3.HeaderValueOption', {})).toEqual([expect.stringContaining('header is required')]);
    expect(messages(HCM, { stat_prefix: 'x', rds: { route_config_name: 'r', config_source: { ads: {} } }, max_request_headers_kb: 9000 })).toEqual([expect.stringContaining('less than or equal to 8192')]);
  });

  it('skips what must be present when checking a fragment to be merged', () => {
    expect(messages(HCM, { max_request_headers_kb: 256 }, true)).toEqual([]);
    expect(messages(HCM, { max_request_headers_kb: 256 })).toEqual(expect.arrayContaining([expect.stringContaining('stat_prefix')]));
    expect(messages(HCM, { max_request_headers_kb: 'big' }, true)).toEqual([expect.stringContaining('expected an integer')]);
  });
});

describe('landmarks and deprecations', () => {
  it('reports where each kind of value was accepted, for the mutation tests', () => {
    const result = checkProtoJson(protos, CLUSTER, cluster());
    const kinds = new Set(result.landmarks.map((l) => l.kind));
    expect([...kinds].sort()).toEqual(['duration', 'enum', 'integer', 'message', 'string']);
    expect(result.landmarks.find((l) => l.kind === 'enum')?.path).toEqual(['type']);
  });

  it('lists deprecated fields separately', () => {
    const result = checkProtoJson(protos, CLUSTER, cluster({ http2_protocol_options: {} }));
    expect(result.issues).toEqual([]);
    expect(result.deprecated).toEqual([expect.stringContaining('http2_protocol_options')]);
  });
});
