/**
 * Reads an Envoy bootstrap (envoy.yaml) into a typed model of exactly what the stand-in honours.
 * Every object is parsed strictly: a field or filter the stand-in does not implement makes
 * loading fail loudly, so the shipped config and the stand-in cannot silently drift apart.
 *
 * HTTP filters are looked up by their typed_config "@type" (as Envoy does) in FILTER_PARSERS; a
 * new filter is one more entry there plus its runtime filter.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { httpStatusCodeNumber } from './protos.js';

// ---------------------------------------------------------------------------------------------
// Typed model
// ---------------------------------------------------------------------------------------------

/** A TCP endpoint, or a Unix domain socket (an Address `pipe`). */
export type Endpoint = SocketEndpoint | PipeEndpoint;

export interface SocketEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface PipeEndpoint {
  /** Path of the Unix domain socket. */
  readonly pipe: string;
}

export function isPipeEndpoint(endpoint: Endpoint): endpoint is PipeEndpoint {
  return 'pipe' in endpoint;
}

/** The target a gRPC channel dials: `unix:/path`, `host:port` or `[ipv6]:port`. */
export function grpcTarget(endpoint: Endpoint): string {
  if (isPipeEndpoint(endpoint)) return `unix:${endpoint.pipe}`;
  return `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}

export type HeaderSendMode = 'DEFAULT' | 'SEND' | 'SKIP';
export type BodySendMode = 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL';

export interface ProcessingMode {
  readonly requestHeaderMode: HeaderSendMode;
  readonly responseHeaderMode: HeaderSendMode;
  readonly requestBodyMode: BodySendMode;
  readonly responseBodyMode: BodySendMode;
  readonly requestTrailerMode: HeaderSendMode;
  readonly responseTrailerMode: HeaderSendMode;
}

export interface MutationRulesConfig {
  readonly allowAllRouting: boolean;
  readonly allowEnvoy: boolean;
  readonly disallowSystem: boolean;
  readonly disallowAll: boolean;
  readonly allowExpression: RegExp | undefined;
  readonly disallowExpression: RegExp | undefined;
  readonly disallowIsError: boolean;
}

export type AppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

export type ConfigHeaderMutation =
  | { readonly kind: 'remove'; readonly name: string }
  | {
      readonly kind: 'append';
      readonly name: string;
      readonly value: string;
      readonly action: AppendAction;
      readonly keepEmptyValue: boolean;
    };

export interface HeaderMutationFilterConfig {
  readonly kind: 'header_mutation';
  readonly name: string;
  readonly requestMutations: readonly ConfigHeaderMutation[];
  readonly responseMutations: readonly ConfigHeaderMutation[];
}

export type RouteCacheAction = 'DEFAULT' | 'CLEAR' | 'RETAIN';

export interface ExtProcFilterConfig {
  readonly kind: 'ext_proc';
  readonly name: string;
  readonly clusterName: string;
  /** :authority of the gRPC stream; Envoy uses the cluster name unless envoy_grpc.authority is set. */
  readonly authority: string;
  readonly initialMetadata: readonly (readonly [string, string])[];
  readonly failureModeAllow: boolean;
  readonly processingMode: ProcessingMode;
  readonly requestAttributes: readonly string[];
  readonly responseAttributes: readonly string[];
  readonly messageTimeoutMs: number;
  readonly maxMessageTimeoutMs: number;
  readonly mutationRules: MutationRulesConfig;
  readonly allowModeOverride: boolean;
  readonly disableImmediateResponse: boolean;
  readonly routeCacheAction: RouteCacheAction;
  /** The local reply on a gRPC error or a rejected answer; Envoy's default is 500, only 4xx/5xx. */
  readonly statusOnError: number;
}

export interface ExtAuthzFilterConfig {
  readonly kind: 'ext_authz';
  readonly name: string;
  readonly clusterName: string;
  /** :authority of the gRPC call; Envoy uses the cluster name unless envoy_grpc.authority is set. */
  readonly authority: string;
  readonly initialMetadata: readonly (readonly [string, string])[];
  /** grpc_service.timeout: the deadline of each Check call; Envoy's default is 200 ms; 0 = none. */
  readonly timeoutMs: number;
  readonly failureModeAllow: boolean;
  /** With failure_mode_allow: mark requests let through on an error (x-envoy-auth-failure-mode-allowed). */
  readonly failureModeAllowHeaderAdd: boolean;
  /** Clear the route cache when an OK response changes request headers. */
  readonly clearRouteCache: boolean;
  /** The local reply on an error (failure, timeout) without failure_mode_allow; Envoy's default is 403. */
  readonly statusOnError: number;
  /** Invalid header names/values in a response fail the request (500) instead of being applied. */
  readonly validateMutations: boolean;
  /** decoder_header_mutation_rules; undefined = Envoy applies every header the server sets. */
  readonly mutationRules: MutationRulesConfig | undefined;
  /** with_request_body: the request body goes into the check (undefined: it does not). */
  readonly withRequestBody: { readonly maxRequestBytes: number; readonly allowPartialMessage: boolean; readonly packAsBytes: boolean } | undefined;
}

export interface RouterFilterConfig {
  readonly kind: 'router';
  readonly name: string;
  readonly suppressEnvoyHeaders: boolean;
}

export type HttpFilterConfig = HeaderMutationFilterConfig | ExtProcFilterConfig | ExtAuthzFilterConfig | RouterFilterConfig;

export interface StringMatcher {
  readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains' | 'regex';
  readonly value: string;
  readonly regex: RegExp | undefined;
  readonly ignoreCase: boolean;
}

export interface HeaderMatcher {
  readonly name: string;
  readonly invert: boolean;
  readonly treatMissingAsEmpty: boolean;
  readonly test: { readonly kind: 'present'; readonly present: boolean } | { readonly kind: 'string'; readonly matcher: StringMatcher };
}

export type PathMatch =
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'path'; readonly value: string }
  | { readonly kind: 'safe_regex'; readonly regex: RegExp };

export interface RouteMatch {
  readonly path: PathMatch;
  readonly caseSensitive: boolean;
  readonly headers: readonly HeaderMatcher[];
}

export interface RouteAction {
  readonly cluster: { readonly kind: 'name'; readonly name: string } | { readonly kind: 'header'; readonly header: string };
  /** Route timeout; Envoy's default is 15 s; 0 = none. */
  readonly timeoutMs: number;
  /** Per-route stream idle timeout, overriding the HCM's stream_idle_timeout; undefined = not set. */
  readonly idleTimeoutMs: number | undefined;
  readonly clusterNotFoundStatus: number;
}

export interface RouteEntry {
  /** Removed by the router filter from the request going upstream, after the cluster is chosen. */
  readonly requestHeadersToRemove: readonly string[];
  readonly name: string | undefined;
  readonly match: RouteMatch;
  readonly action: RouteAction;
}

export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly RouteEntry[];
}

export interface RouteConfig {
  readonly name: string;
  readonly virtualHosts: readonly VirtualHost[];
}

export interface HcmConfig {
  readonly statPrefix: string;
  readonly maxRequestHeadersKb: number;
  readonly maxHeadersCount: number;
  readonly streamIdleTimeoutMs: number;
  readonly generateRequestId: boolean;
  readonly serverName: string;
  /** use_remote_address: false (the default) keeps a client-sent x-forwarded-proto. */
  readonly useRemoteAddress: boolean;
  /**
   * early_header_mutation_extensions (envoy.http.early_header_mutation.header_mutation), in
   * order: applied to the request headers before the route is picked.
   */
  readonly earlyHeaderMutations: readonly ConfigHeaderMutation[];
  readonly routeConfig: RouteConfig;
  readonly httpFilters: readonly HttpFilterConfig[];
}

export interface ListenerConfig {
  readonly name: string;
  readonly address: Endpoint;
  /** per_connection_buffer_limit_bytes: also the limit for buffered bodies (413 / 500). */
  readonly bufferLimitBytes: number;
  readonly hcm: HcmConfig;
}

/** The DEFAULT-priority circuit breaker thresholds of a cluster (Envoy: 1024 / 1024 / 1024 / 3). */
export interface CircuitBreakerThresholds {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
}

/** Follows source/common/upstream/upstream_impl.cc (ResourceManager defaults when no thresholds are set). */
export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakerThresholds = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 };

export interface ClusterConfig {
  readonly name: string;
  readonly connectTimeoutMs: number;
  readonly http2: boolean;
  readonly endpoints: readonly Endpoint[];
  readonly circuitBreakers: CircuitBreakerThresholds;
}

/** dynamic_resources.ads_config: the one gRPC stream all ADS subscriptions share. */
export interface AdsConfig {
  /** The static cluster of the xDS server (envoy_grpc.cluster_name; also the stream's :authority). */
  readonly clusterName: string;
  readonly setNodeOnFirstMessageOnly: boolean;
}

/** Clusters from CDS over ADS (dynamic_resources.cds_config: {ads: {}}). */
export interface CdsConfig {
  readonly ads: AdsConfig;
  readonly node: { readonly id: string; readonly cluster: string };
  /** How long Envoy's init waits for the first CDS response before serving anyway (default 15 s). */
  readonly initialFetchTimeoutMs: number;
}

/**
 * The runtime settings the stand-in acts on, read from the bootstrap's `layered_runtime`
 * static layers (source/common/runtime/runtime_impl.cc: later layers win; a nested Struct key
 * is its path joined with '.'; a boolean is true/false or the string "true"/"false", any case).
 */
export interface RuntimeSettings {
  /**
   * envoy.reloadable_features.ext_proc_graceful_grpc_close (a FALSE_RUNTIME_GUARD in
   * source/common/runtime/runtime_features.cc): close an ext_proc stream with END_STREAM and
   * wait for the server's status instead of resetting it at once.
   */
  readonly extProcGracefulClose: boolean;
  /** envoy.filters.http.ext_proc.remote_close_timeout_milliseconds (1000 in ext_proc.cc). */
  readonly extProcRemoteCloseTimeoutMs: number;
}

export const EXT_PROC_GRACEFUL_CLOSE_KEY = 'envoy.reloadable_features.ext_proc_graceful_grpc_close';
export const EXT_PROC_REMOTE_CLOSE_TIMEOUT_KEY = 'envoy.filters.http.ext_proc.remote_close_timeout_milliseconds';

export interface StandinConfig {
  readonly source: string;
  readonly runtime: RuntimeSettings;
  readonly listener: ListenerConfig;
  /** The static clusters (static_resources.clusters). */
  readonly clusters: ReadonlyMap<string, ClusterConfig>;
  /** Set when the bootstrap takes further clusters from CDS over ADS. */
  readonly cds: CdsConfig | undefined;
}

export class EnvoyConfigError extends Error {
  override readonly name = 'EnvoyConfigError';
}

// ---------------------------------------------------------------------------------------------
// Raw schemas (strict: unknown keys fail)
// ---------------------------------------------------------------------------------------------

const TYPE_PREFIX = 'type.googleapis.com/';
const HCM_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const HEADER_MUTATION_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.header_mutation.v3.HeaderMutation`;
const EARLY_HEADER_MUTATION_TYPE = `${TYPE_PREFIX}envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation`;
const EXT_PROC_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor`;
const EXT_AUTHZ_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`;
const ROUTER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.router.v3.Router`;
const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_PROTOCOL_OPTIONS_TYPE = `${TYPE_PREFIX}${HTTP_PROTOCOL_OPTIONS_KEY}`;

const duration = z.union([
  z.string().regex(/^\d+(\.\d{1,9})?s$/, 'a duration like "1s" or "0.25s"'),
  z.strictObject({ seconds: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).optional(), nanos: z.number().int().min(0).max(999_999_999).optional() }),
]);

function durationToMs(d: z.infer<typeof duration>): number {
  if (typeof d === 'string') return Math.round(Number(d.slice(0, -1)) * 1000);
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

const socketAddress = z.strictObject({
  address: z.string().min(1),
  port_value: z.number().int().min(0).max(65535),
  protocol: z.literal('TCP').optional(),
});

/**
 * An endpoint's Address (api/envoy/config/core/v3/address.proto): a socket_address, or a pipe
 * (a Unix domain socket path; `mode` applies to listeners only).
 */
const endpointAddress = z.union([
  z.strictObject({ socket_address: socketAddress }),
  z.strictObject({ pipe: z.strictObject({ path: z.string().min(1), mode: z.number().int().min(0).max(0o777).optional() }) }),
]);

const regexMatcher = z.strictObject({
  google_re2: z.strictObject({}).optional(),
  regex: z.string(),
});

const stringMatcherRaw = z.strictObject({
  exact: z.string().optional(),
  prefix: z.string().optional(),
  suffix: z.string().optional(),
  contains: z.string().optional(),
  safe_regex: regexMatcher.optional(),
  ignore_case: z.boolean().optional(),
});

const headerMatcherRaw = z.strictObject({
  name: z.string().min(1),
  exact_match: z.string().optional(),
  safe_regex_match: regexMatcher.optional(),
  present_match: z.boolean().optional(),
  prefix_match: z.string().optional(),
  suffix_match: z.string().optional(),
  contains_match: z.string().optional(),
  string_match: stringMatcherRaw.optional(),
  invert_match: z.boolean().optional(),
  treat_missing_header_as_empty: z.boolean().optional(),
});

const routeRaw = z.strictObject({
  name: z.string().optional(),
  match: z.strictObject({
    prefix: z.string().optional(),
    path: z.string().optional(),
    safe_regex: regexMatcher.optional(),
    case_sensitive: z.boolean().optional(),
    headers: z.array(headerMatcherRaw).optional(),
  }),
  route: z.strictObject({
    cluster: z.string().min(1).optional(),
    cluster_header: z.string().min(1).optional(),
    timeout: duration.optional(),
    idle_timeout: duration.optional(),
    cluster_not_found_response_code: z.enum(['SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR']).optional(),
  }),
  request_headers_to_remove: z.array(z.string().min(1)).optional(),
});

const routeConfigRaw = z.strictObject({
  name: z.string().optional(),
  virtual_hosts: z.array(
    z.strictObject({
      name: z.string().min(1),
      domains: z.array(z.string().min(1)).min(1),
      routes: z.array(routeRaw),
    }),
  ),
});

const httpFilterRaw = z.strictObject({
  name: z.string().min(1),
  typed_config: z.looseObject({ '@type': z.string() }),
});

const hcmRaw = z.strictObject({
  '@type': z.literal(HCM_TYPE),
  stat_prefix: z.string().min(1),
  codec_type: z.enum(['AUTO', 'HTTP1']).optional(),
  max_request_headers_kb: z.number().int().min(1).max(8192).optional(),
  stream_idle_timeout: duration.optional(),
  generate_request_id: z.boolean().optional(),
  server_name: z.string().optional(),
  use_remote_address: z.boolean().optional(),
  early_header_mutation_extensions: z
    .array(z.strictObject({ name: z.string().min(1), typed_config: z.looseObject({ '@type': z.string() }) }))
    .optional(),
  common_http_protocol_options: z.strictObject({ max_headers_count: z.number().int().min(1).optional() }).optional(),
  route_config: routeConfigRaw,
  http_filters: z.array(httpFilterRaw).min(1),
});

const listenerRaw = z.strictObject({
  name: z.string().min(1),
  address: z.strictObject({ socket_address: socketAddress }),
  per_connection_buffer_limit_bytes: z.number().int().min(1).optional(),
  filter_chains: z
    .array(
      z.strictObject({
        filters: z
          .array(z.strictObject({ name: z.string().min(1), typed_config: z.looseObject({ '@type': z.string() }) }))
          .length(1, 'the stand-in supports exactly one network filter: the http_connection_manager'),
      }),
    )
    .length(1, 'the stand-in supports exactly one filter chain per listener'),
});

/** A google.protobuf.UInt32Value: a plain number in YAML/JSON, {value} as decoded from CDS. */
const uint32Value = z.union([z.number().int().nonnegative(), z.strictObject({ value: z.number().int().nonnegative() })]);

function uint32(v: z.infer<typeof uint32Value> | undefined): number | undefined {
  return v === undefined ? undefined : typeof v === 'number' ? v : v.value;
}

/** Only DEFAULT-priority thresholds: the stand-in routes no HIGH-priority traffic. */
const circuitBreakersRaw = z.strictObject({
  thresholds: z
    .array(
      z.strictObject({
        priority: z.literal('DEFAULT').optional(),
        max_connections: uint32Value.optional(),
        max_pending_requests: uint32Value.optional(),
        max_requests: uint32Value.optional(),
        max_retries: uint32Value.optional(),
      }),
    )
    .max(1, 'the stand-in models one (DEFAULT priority) threshold set')
    .optional(),
});

const clusterRaw = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['STATIC', 'STRICT_DNS', 'LOGICAL_DNS']).optional(),
  connect_timeout: duration.optional(),
  lb_policy: z.literal('ROUND_ROBIN').optional(),
  dns_lookup_family: z.string().optional(),
  circuit_breakers: circuitBreakersRaw.optional(),
  typed_extension_protocol_options: z
    .strictObject({
      [HTTP_PROTOCOL_OPTIONS_KEY]: z.strictObject({
        '@type': z.literal(HTTP_PROTOCOL_OPTIONS_TYPE),
        explicit_http_config: z.union([
          z.strictObject({
            http2_protocol_options: z.strictObject({
              // Accepted, not modelled: the stand-in's gRPC connections never go silently dead.
              connection_keepalive: z.strictObject({ interval: duration.optional(), timeout: duration.optional(), interval_jitter: z.unknown().optional() }).optional(),
            }),
          }),
          z.strictObject({ http_protocol_options: z.strictObject({}) }),
        ]),
      }),
    })
    .optional(),
  load_assignment: z.strictObject({
    cluster_name: z.string().min(1),
    endpoints: z.array(
      z.strictObject({
        lb_endpoints: z.array(z.strictObject({ endpoint: z.strictObject({ address: endpointAddress }) })),
      }),
    ),
  }),
});

/** A Cluster received over CDS, decoded as YAML writes it (only set fields; Durations as objects). */
const cdsClusterRaw = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['STATIC', 'STRICT_DNS', 'LOGICAL_DNS']).optional(),
  connect_timeout: duration.optional(),
  lb_policy: z.literal('ROUND_ROBIN').optional(),
  dns_lookup_family: z.enum(['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL']).optional(),
  circuit_breakers: circuitBreakersRaw.optional(),
  // Accepted and not modelled: the stand-in does not health-check hosts (the router's own
  // monitor is what routing follows).
  health_checks: z.array(z.unknown()).optional(),
  load_assignment: clusterRaw.shape.load_assignment,
});

const configSourceAds = z.strictObject({
  resource_api_version: z.literal('V3', 'Envoy refuses other resource versions'),
  ads: z.strictObject({}),
  initial_fetch_timeout: duration.optional(),
});

const dynamicResourcesRaw = z.strictObject({
  ads_config: z.strictObject({
    api_type: z.literal('GRPC', 'the stand-in speaks state-of-the-world ADS (api_type GRPC) only'),
    transport_api_version: z.literal('V3', 'Envoy refuses AUTO and V2'),
    grpc_services: z.array(z.strictObject({ envoy_grpc: z.strictObject({ cluster_name: z.string().min(1) }) })).length(1),
    set_node_on_first_message_only: z.boolean().optional(),
  }),
  cds_config: configSourceAds,
});

const runtimeLayerRaw = z.union([
  z.strictObject({ name: z.string().min(1), static_layer: z.record(z.string(), z.unknown()) }),
  // Layers the stand-in has nothing in: accepted, they add no value at start.
  z.strictObject({ name: z.string().min(1), admin_layer: z.strictObject({}) }),
]);

const bootstrapRaw = z.strictObject({
  // Accepted and ignored: it does not change how requests are handled.
  admin: z.unknown().optional(),
  layered_runtime: z.strictObject({ layers: z.array(runtimeLayerRaw).min(1, 'layered_runtime needs at least one layer') }).optional(),
  node: z.strictObject({ id: z.string().optional(), cluster: z.string().optional() }).optional(),
  dynamic_resources: dynamicResourcesRaw.optional(),
  static_resources: z.strictObject({
    listeners: z.array(listenerRaw).length(1, 'the stand-in serves exactly one listener'),
    clusters: z.array(clusterRaw).min(1),
  }),
});

// ---- HTTP filter configs ----

const headerValueOptionRaw = z.strictObject({
  header: z.strictObject({ key: z.string().min(1), value: z.string().optional() }),
  append_action: z.enum(['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS']).optional(),
  append: z.boolean().optional(),
  keep_empty_value: z.boolean().optional(),
});

const configHeaderMutationRaw = z.union([
  z.strictObject({ remove: z.string().min(1) }),
  z.strictObject({ append: headerValueOptionRaw }),
]);

const headerMutationFilterRaw = z.strictObject({
  '@type': z.literal(HEADER_MUTATION_TYPE),
  mutations: z
    .strictObject({
      request_mutations: z.array(configHeaderMutationRaw).optional(),
      response_mutations: z.array(configHeaderMutationRaw).optional(),
    })
    .optional(),
  // Only matters with per-route configs, which the stand-in rejects anyway.
  most_specific_header_mutations_wins: z.boolean().optional(),
});

/** envoy.config.common.mutation_rules.v3.HeaderMutationRules (ext_proc and ext_authz). */
const mutationRulesRaw = z.strictObject({
  allow_all_routing: z.boolean().optional(),
  allow_envoy: z.boolean().optional(),
  disallow_system: z.boolean().optional(),
  disallow_all: z.boolean().optional(),
  allow_expression: regexMatcher.optional(),
  disallow_expression: regexMatcher.optional(),
  disallow_is_error: z.boolean().optional(),
});

const headerSendMode = z.enum(['DEFAULT', 'SEND', 'SKIP']);
const bodySendMode = z.enum(['NONE', 'STREAMED', 'BUFFERED']);

const extProcFilterRaw = z.strictObject({
  '@type': z.literal(EXT_PROC_TYPE),
  grpc_service: z.strictObject({
    envoy_grpc: z.strictObject({ cluster_name: z.string().min(1), authority: z.string().min(1).optional() }),
    initial_metadata: z.array(z.strictObject({ key: z.string().min(1), value: z.string() })).optional(),
  }),
  failure_mode_allow: z.boolean().optional(),
  processing_mode: z
    .strictObject({
      request_header_mode: headerSendMode.optional(),
      response_header_mode: headerSendMode.optional(),
      request_body_mode: bodySendMode.optional(),
      response_body_mode: bodySendMode.optional(),
      // HTTP/1 trailers are not modelled: only the modes that never send trailers are accepted.
      request_trailer_mode: z.enum(['DEFAULT', 'SKIP']).optional(),
      response_trailer_mode: z.enum(['DEFAULT', 'SKIP']).optional(),
    })
    .optional(),
  request_attributes: z.array(z.string().min(1)).optional(),
  response_attributes: z.array(z.string().min(1)).optional(),
  message_timeout: duration.optional(),
  max_message_timeout: duration.optional(),
  stat_prefix: z.string().optional(),
  mutation_rules: mutationRulesRaw.optional(),
  allow_mode_override: z.boolean().optional(),
  disable_immediate_response: z.boolean().optional(),
  disable_clear_route_cache: z.boolean().optional(),
  route_cache_action: z.enum(['DEFAULT', 'CLEAR', 'RETAIN']).optional(),
  // Newer than the bundled protos, but part of the contract (default 500): envoy.type.v3.HttpStatus,
  // an enum name (ServiceUnavailable) or its number.
  status_on_error: z.strictObject({ code: z.union([z.number().int(), z.string().min(1)]) }).optional(),
});

const extAuthzFilterRaw = z.strictObject({
  '@type': z.literal(EXT_AUTHZ_TYPE),
  // Only the gRPC service: http_service (the HTTP variant) is another protocol.
  grpc_service: z.strictObject({
    envoy_grpc: z.strictObject({ cluster_name: z.string().min(1), authority: z.string().min(1).optional() }),
    timeout: duration.optional(),
    initial_metadata: z.array(z.strictObject({ key: z.string().min(1), value: z.string() })).optional(),
  }),
  transport_api_version: z.literal('V3').optional(),
  failure_mode_allow: z.boolean().optional(),
  failure_mode_allow_header_add: z.boolean().optional(),
  clear_route_cache: z.boolean().optional(),
  // envoy.type.v3.HttpStatus: an enum name (ServiceUnavailable) or its number.
  status_on_error: z.strictObject({ code: z.union([z.number().int(), z.string().min(1)]) }).optional(),
  validate_mutations: z.boolean().optional(),
  decoder_header_mutation_rules: mutationRulesRaw.optional(),
  stat_prefix: z.string().optional(),
  with_request_body: z
    .strictObject({ max_request_bytes: z.number().int().min(1), allow_partial_message: z.boolean().optional(), pack_as_bytes: z.boolean().optional() })
    .optional(),
});

const routerFilterRaw = z.strictObject({
  '@type': z.literal(ROUTER_TYPE),
  suppress_envoy_headers: z.boolean().optional(),
});

/** Attribute expressions the stand-in can evaluate (see ext-proc-attributes in ext-proc-filter.ts). */
export const SUPPORTED_REQUEST_ATTRIBUTES = new Set([
  'request.path',
  'request.url_path',
  'request.host',
  'request.scheme',
  'request.method',
  'request.id',
  'request.protocol',
  'request.query',
  'request.useragent',
  'request.referer',
  'source.address',
  'source.port',
  'destination.address',
  'destination.port',
]);
export const SUPPORTED_RESPONSE_ATTRIBUTES = new Set([...SUPPORTED_REQUEST_ATTRIBUTES, 'response.code']);

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

function parseWith<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new EnvoyConfigError(`${where}: not supported by the Envoy stand-in or invalid:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

function compileRegex(m: z.infer<typeof regexMatcher>, where: string, flags = ''): RegExp {
  try {
    return new RegExp(`^(?:${m.regex})$`, flags);
  } catch (err) {
    throw new EnvoyConfigError(`${where}: invalid regex ${JSON.stringify(m.regex)}: ${(err as Error).message}`);
  }
}

function exactlyOne(obj: Record<string, unknown>, keys: readonly string[], where: string): string {
  const present = keys.filter((k) => obj[k] !== undefined);
  if (present.length !== 1) {
    throw new EnvoyConfigError(`${where}: exactly one of ${keys.join(', ')} must be set (found: ${present.join(', ') || 'none'})`);
  }
  return present[0] as string;
}

function toStringMatcher(raw: z.infer<typeof stringMatcherRaw>, where: string): StringMatcher {
  const kind = exactlyOne(raw, ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'], where);
  const ignoreCase = raw.ignore_case ?? false;
  if (kind === 'safe_regex') {
    if (raw.ignore_case !== undefined) throw new EnvoyConfigError(`${where}: ignore_case has no effect on safe_regex`);
    const re = raw.safe_regex as z.infer<typeof regexMatcher>;
    return { kind: 'regex', value: re.regex, regex: compileRegex(re, where), ignoreCase: false };
  }
  const value = raw[kind as 'exact' | 'prefix' | 'suffix' | 'contains'] as string;
  return { kind: kind as StringMatcher['kind'], value, regex: undefined, ignoreCase };
}

function toHeaderMatcher(raw: z.infer<typeof headerMatcherRaw>, where: string): HeaderMatcher {
  const kinds = ['exact_match', 'safe_regex_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match'] as const;
  const present = kinds.filter((k) => raw[k] !== undefined);
  if (present.length > 1) throw new EnvoyConfigError(`${where}: only one header match specifier may be set`);
  const base = { name: raw.name.toLowerCase(), invert: raw.invert_match ?? false, treatMissingAsEmpty: raw.treat_missing_header_as_empty ?? false };
  const kind = present[0];
  const str = (k: StringMatcher['kind'], value: string): HeaderMatcher => ({
    ...base,
    test: { kind: 'string', matcher: { kind: k, value, regex: undefined, ignoreCase: false } },
  });
  switch (kind) {
    case undefined:
      // No specifier: the header must be present.
      return { ...base, test: { kind: 'present', present: true } };
    case 'present_match':
      return { ...base, test: { kind: 'present', present: raw.present_match as boolean } };
    case 'exact_match':
      return str('exact', raw.exact_match as string);
    case 'prefix_match':
      return str('prefix', raw.prefix_match as string);
    case 'suffix_match':
      return str('suffix', raw.suffix_match as string);
    case 'contains_match':
      return str('contains', raw.contains_match as string);
    case 'safe_regex_match': {
      const re = raw.safe_regex_match as z.infer<typeof regexMatcher>;
      return { ...base, test: { kind: 'string', matcher: { kind: 'regex', value: re.regex, regex: compileRegex(re, where), ignoreCase: false } } };
    }
    case 'string_match':
      return { ...base, test: { kind: 'string', matcher: toStringMatcher(raw.string_match as z.infer<typeof stringMatcherRaw>, `${where}.string_match`) } };
  }
  throw new EnvoyConfigError(`${where}: unsupported header matcher`);
}

const NOT_FOUND_CODES: Record<string, number> = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 };

function toRoute(raw: z.infer<typeof routeRaw>, where: string): RouteEntry {
  const pathKind = exactlyOne(raw.match, ['prefix', 'path', 'safe_regex'], `${where}.match`);
  const caseSensitive = raw.match.case_sensitive ?? true;
  let path: PathMatch;
  if (pathKind === 'safe_regex') {
    path = { kind: 'safe_regex', regex: compileRegex(raw.match.safe_regex as z.infer<typeof regexMatcher>, `${where}.match.safe_regex`) };
  } else {
    path = { kind: pathKind as 'prefix' | 'path', value: raw.match[pathKind as 'prefix' | 'path'] as string };
  }
  const clusterKind = exactlyOne(raw.route, ['cluster', 'cluster_header'], `${where}.route`);
  return {
    name: raw.name,
    requestHeadersToRemove: (raw.request_headers_to_remove ?? []).map((h) => h.toLowerCase()),
    match: {
      path,
      caseSensitive,
      headers: (raw.match.headers ?? []).map((h, i) => toHeaderMatcher(h, `${where}.match.headers[${i}]`)),
    },
    action: {
      cluster:
        clusterKind === 'cluster'
          ? { kind: 'name', name: raw.route.cluster as string }
          : { kind: 'header', header: (raw.route.cluster_header as string).toLowerCase() },
      timeoutMs: raw.route.timeout === undefined ? 15_000 : durationToMs(raw.route.timeout),
      idleTimeoutMs: raw.route.idle_timeout === undefined ? undefined : durationToMs(raw.route.idle_timeout),
      clusterNotFoundStatus: NOT_FOUND_CODES[raw.route.cluster_not_found_response_code ?? 'SERVICE_UNAVAILABLE'] ?? 503,
    },
  };
}

function toConfigHeaderMutation(raw: z.infer<typeof configHeaderMutationRaw>, where: string): ConfigHeaderMutation {
  if ('remove' in raw) return { kind: 'remove', name: raw.remove.toLowerCase() };
  const opt = raw.append;
  const value = opt.header.value ?? '';
  if (value.replaceAll('%%', '').includes('%')) {
    throw new EnvoyConfigError(`${where}: header value formatters (%...%) are not supported by the stand-in`);
  }
  if (opt.append !== undefined && opt.append_action !== undefined) {
    throw new EnvoyConfigError(`${where}: both append and append_action are set`);
  }
  const action: AppendAction =
    opt.append_action ?? (opt.append === undefined ? 'APPEND_IF_EXISTS_OR_ADD' : opt.append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD');
  return { kind: 'append', name: opt.header.key.toLowerCase(), value: value.replaceAll('%%', '%'), action, keepEmptyValue: opt.keep_empty_value ?? false };
}

function toMutationRules(rules: z.infer<typeof mutationRulesRaw>, where: string): MutationRulesConfig {
  return {
    allowAllRouting: rules.allow_all_routing ?? false,
    allowEnvoy: rules.allow_envoy ?? false,
    disallowSystem: rules.disallow_system ?? false,
    disallowAll: rules.disallow_all ?? false,
    allowExpression: rules.allow_expression ? compileRegex(rules.allow_expression, `${where}.allow_expression`) : undefined,
    disallowExpression: rules.disallow_expression ? compileRegex(rules.disallow_expression, `${where}.disallow_expression`) : undefined,
    disallowIsError: rules.disallow_is_error ?? false,
  };
}

function toHttpStatus(code: number | string, where: string, min = 200): number {
  const status = httpStatusCodeNumber(code);
  if (status < min || status > 599) throw new EnvoyConfigError(`${where}: ${JSON.stringify(code)} is not an HTTP status ${min === 400 ? 'of 4xx or 5xx' : 'the stand-in can send'}`);
  return status;
}

function toExtAuthz(name: string, typed: unknown, where: string): ExtAuthzFilterConfig {
  const raw = parseWith(extAuthzFilterRaw, typed, where);
  const grpcService = raw.grpc_service;
  // Follows source/extensions/filters/http/ext_authz/config.cc (1.38): `0s` means no timeout.
  const timeoutMs = grpcService.timeout === undefined ? 200 : durationToMs(grpcService.timeout);
  return {
    kind: 'ext_authz',
    name,
    clusterName: grpcService.envoy_grpc.cluster_name,
    authority: grpcService.envoy_grpc.authority ?? grpcService.envoy_grpc.cluster_name,
    initialMetadata: (grpcService.initial_metadata ?? []).map((h) => [h.key.toLowerCase(), h.value] as const),
    timeoutMs,
    failureModeAllow: raw.failure_mode_allow ?? false,
    failureModeAllowHeaderAdd: raw.failure_mode_allow_header_add ?? false,
    clearRouteCache: raw.clear_route_cache ?? false,
    statusOnError: raw.status_on_error === undefined ? 403 : toHttpStatus(raw.status_on_error.code, `${where}.status_on_error.code`),
    validateMutations: raw.validate_mutations ?? false,
    mutationRules: raw.decoder_header_mutation_rules === undefined
      ? undefined
      : toMutationRules(raw.decoder_header_mutation_rules, `${where}.decoder_header_mutation_rules`),
    withRequestBody: raw.with_request_body === undefined
      ? undefined
      : {
          maxRequestBytes: raw.with_request_body.max_request_bytes,
          allowPartialMessage: raw.with_request_body.allow_partial_message ?? false,
          packAsBytes: raw.with_request_body.pack_as_bytes ?? false,
        },
  };
}

const earlyHeaderMutationRaw = z.strictObject({
  '@type': z.literal(EARLY_HEADER_MUTATION_TYPE, 'the stand-in implements the envoy.http.early_header_mutation.header_mutation extension only'),
  mutations: z.array(configHeaderMutationRaw).min(1),
});

function toEarlyHeaderMutations(typed: unknown, where: string): ConfigHeaderMutation[] {
  const raw = parseWith(earlyHeaderMutationRaw, typed, where);
  return raw.mutations.map((m, i) => toConfigHeaderMutation(m, `${where}.mutations[${i}]`));
}

type FilterParser = (name: string, typedConfig: unknown, where: string) => HttpFilterConfig;

/** HTTP filters by typed_config "@type". */
export const FILTER_PARSERS: ReadonlyMap<string, FilterParser> = new Map<string, FilterParser>([
  [
    HEADER_MUTATION_TYPE,
    (name, typed, where) => {
      const raw = parseWith(headerMutationFilterRaw, typed, where);
      return {
        kind: 'header_mutation',
        name,
        requestMutations: (raw.mutations?.request_mutations ?? []).map((m, i) => toConfigHeaderMutation(m, `${where}.mutations.request_mutations[${i}]`)),
        responseMutations: (raw.mutations?.response_mutations ?? []).map((m, i) => toConfigHeaderMutation(m, `${where}.mutations.response_mutations[${i}]`)),
      };
    },
  ],
  [
    EXT_PROC_TYPE,
    (name, typed, where) => {
      const raw = parseWith(extProcFilterRaw, typed, where);
      for (const a of raw.request_attributes ?? []) {
        if (!SUPPORTED_REQUEST_ATTRIBUTES.has(a)) throw new EnvoyConfigError(`${where}.request_attributes: the stand-in cannot evaluate ${JSON.stringify(a)}`);
      }
      for (const a of raw.response_attributes ?? []) {
        if (!SUPPORTED_RESPONSE_ATTRIBUTES.has(a)) throw new EnvoyConfigError(`${where}.response_attributes: the stand-in cannot evaluate ${JSON.stringify(a)}`);
      }
      if (raw.disable_clear_route_cache !== undefined && raw.route_cache_action !== undefined) {
        throw new EnvoyConfigError(`${where}: disable_clear_route_cache and route_cache_action are one oneof`);
      }
      const pm = raw.processing_mode ?? {};
      const rules = raw.mutation_rules ?? {};
      const messageTimeoutMs = raw.message_timeout === undefined ? 200 : durationToMs(raw.message_timeout);
      if (messageTimeoutMs > 3_600_000) throw new EnvoyConfigError(`${where}.message_timeout: at most 3600s`);
      const maxMessageTimeoutMs = raw.max_message_timeout === undefined ? 0 : durationToMs(raw.max_message_timeout);
      return {
        kind: 'ext_proc',
        name,
        clusterName: raw.grpc_service.envoy_grpc.cluster_name,
        authority: raw.grpc_service.envoy_grpc.authority ?? raw.grpc_service.envoy_grpc.cluster_name,
        initialMetadata: (raw.grpc_service.initial_metadata ?? []).map((h) => [h.key.toLowerCase(), h.value] as const),
        failureModeAllow: raw.failure_mode_allow ?? false,
        processingMode: {
          requestHeaderMode: pm.request_header_mode ?? 'DEFAULT',
          responseHeaderMode: pm.response_header_mode ?? 'DEFAULT',
          requestBodyMode: pm.request_body_mode ?? 'NONE',
          responseBodyMode: pm.response_body_mode ?? 'NONE',
          requestTrailerMode: pm.request_trailer_mode ?? 'DEFAULT',
          responseTrailerMode: pm.response_trailer_mode ?? 'DEFAULT',
        },
        requestAttributes: raw.request_attributes ?? [],
        responseAttributes: raw.response_attributes ?? [],
        messageTimeoutMs,
        maxMessageTimeoutMs,
        mutationRules: toMutationRules(rules, `${where}.mutation_rules`),
        allowModeOverride: raw.allow_mode_override ?? false,
        disableImmediateResponse: raw.disable_immediate_response ?? false,
        routeCacheAction: raw.disable_clear_route_cache === true ? 'RETAIN' : (raw.route_cache_action ?? 'DEFAULT'),
        // Follows source/extensions/filters/http/ext_proc/ext_proc.cc: only 4xx/5xx are accepted.
        statusOnError: raw.status_on_error === undefined ? 500 : toHttpStatus(raw.status_on_error.code, `${where}.status_on_error.code`, 400),
      };
    },
  ],
  [EXT_AUTHZ_TYPE, toExtAuthz],
  [
    ROUTER_TYPE,
    (name, typed, where) => {
      const raw = parseWith(routerFilterRaw, typed, where);
      return { kind: 'router', name, suppressEnvoyHeaders: raw.suppress_envoy_headers ?? false };
    },
  ],
]);

/**
 * A cluster received over CDS, checked as Envoy checks it (a LOGICAL_DNS cluster has exactly
 * one endpoint, a STATIC one IP addresses only). Throws EnvoyConfigError for what Envoy (or the
 * stand-in) would reject.
 */
export function parseCdsCluster(object: unknown, where: string): ClusterConfig {
  const raw = parseWith(cdsClusterRaw, object, where);
  const endpoints = raw.load_assignment.endpoints.flatMap((l) => l.lb_endpoints);
  const type = raw.type ?? 'STATIC';
  if (type === 'LOGICAL_DNS' && (raw.load_assignment.endpoints.length !== 1 || endpoints.length !== 1)) {
    throw new EnvoyConfigError(`${where}: LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint`);
  }
  if (type === 'STATIC') {
    for (const e of endpoints) {
      const address = 'socket_address' in e.endpoint.address ? e.endpoint.address.socket_address.address : undefined;
      if (address !== undefined && isIP(address) === 0) throw new EnvoyConfigError(`${where}: malformed IP address: ${address} (a STATIC cluster takes IP addresses only)`);
    }
  }
  return toCluster({ name: raw.name, type, connect_timeout: raw.connect_timeout, circuit_breakers: raw.circuit_breakers, load_assignment: raw.load_assignment });
}

function toCircuitBreakers(raw: z.infer<typeof circuitBreakersRaw> | undefined): CircuitBreakerThresholds {
  const t = raw?.thresholds?.[0];
  const d = DEFAULT_CIRCUIT_BREAKERS;
  return {
    maxConnections: uint32(t?.max_connections) ?? d.maxConnections,
    maxPendingRequests: uint32(t?.max_pending_requests) ?? d.maxPendingRequests,
    maxRequests: uint32(t?.max_requests) ?? d.maxRequests,
    maxRetries: uint32(t?.max_retries) ?? d.maxRetries,
  };
}

function toCluster(raw: z.infer<typeof clusterRaw>): ClusterConfig {
  const explicit = raw.typed_extension_protocol_options?.[HTTP_PROTOCOL_OPTIONS_KEY]?.explicit_http_config;
  const endpoints = raw.load_assignment.endpoints.flatMap((l) => l.lb_endpoints.map((e) => toEndpoint(e.endpoint.address)));
  // Follows source/extensions/clusters/strict_dns/strict_dns_cluster.cc: a DNS cluster resolves
  // socket_address.address only, so a pipe endpoint would never become a host.
  if ((raw.type ?? 'STATIC') !== 'STATIC' && endpoints.some(isPipeEndpoint)) {
    throw new EnvoyConfigError(`cluster ${raw.name}: a pipe address needs type STATIC (${raw.type ?? 'STATIC'} resolves socket_address names only)`);
  }
  return {
    name: raw.name,
    connectTimeoutMs: raw.connect_timeout === undefined ? 5_000 : durationToMs(raw.connect_timeout),
    http2: explicit !== undefined && 'http2_protocol_options' in explicit,
    circuitBreakers: toCircuitBreakers(raw.circuit_breakers),
    endpoints,
  };
}

function toEndpoint(address: z.infer<typeof endpointAddress>): Endpoint {
  if ('pipe' in address) return { pipe: address.pipe.path };
  return { host: address.socket_address.address, port: address.socket_address.port_value };
}

export function parseEnvoyConfig(text: string, source = '<inline>'): StandinConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new EnvoyConfigError(`${source}: YAML: ${(err as Error).message}`);
  }
  const boot = parseWith(bootstrapRaw, doc, source);
  const listenerRawValue = boot.static_resources.listeners[0] as z.infer<typeof listenerRaw>;
  const lw = `${source}: static_resources.listeners[0]`;
  const netFilter = listenerRawValue.filter_chains[0]?.filters[0] as { name: string; typed_config: unknown };
  const hcm = parseWith(hcmRaw, netFilter.typed_config, `${lw}.filter_chains[0].filters[0].typed_config`);
  const hw = `${lw}.filter_chains[0].filters[0].typed_config`;

  const httpFilters = hcm.http_filters.map((f, i) => {
    const where = `${hw}.http_filters[${i}] (${f.name})`;
    const parser = FILTER_PARSERS.get(f.typed_config['@type']);
    if (parser === undefined) {
      throw new EnvoyConfigError(`${where}: HTTP filter type ${f.typed_config['@type']} is not implemented by the Envoy stand-in`);
    }
    return parser(f.name, f.typed_config, `${where}.typed_config`);
  });
  const routers = httpFilters.filter((f) => f.kind === 'router');
  if (routers.length !== 1 || httpFilters[httpFilters.length - 1]?.kind !== 'router') {
    throw new EnvoyConfigError(`${hw}.http_filters: envoy.filters.http.router must be present exactly once, as the last filter`);
  }

  const clusters = new Map<string, ClusterConfig>();
  for (const c of boot.static_resources.clusters) {
    if (clusters.has(c.name)) throw new EnvoyConfigError(`${source}: duplicate cluster ${c.name}`);
    clusters.set(c.name, toCluster(c));
  }

  for (const f of httpFilters) {
    if (f.kind !== 'ext_proc' && f.kind !== 'ext_authz') continue;
    const cluster = clusters.get(f.clusterName);
    if (cluster === undefined) throw new EnvoyConfigError(`${hw}: ${f.kind} filter ${f.name} uses unknown cluster ${f.clusterName}`);
    if (!cluster.http2) {
      throw new EnvoyConfigError(`${source}: cluster ${f.clusterName} carries gRPC (${f.kind}) and needs explicit_http_config.http2_protocol_options`);
    }
  }

  const routeConfig: RouteConfig = {
    name: hcm.route_config.name ?? '',
    virtualHosts: hcm.route_config.virtual_hosts.map((vh, v) => ({
      name: vh.name,
      domains: vh.domains.map((d) => d.toLowerCase()),
      routes: vh.routes.map((r, i) => toRoute(r, `${hw}.route_config.virtual_hosts[${v}].routes[${i}]`)),
    })),
  };
  // Envoy validates static route configs' fixed cluster names at load (validate_clusters).
  for (const vh of routeConfig.virtualHosts) {
    for (const r of vh.routes) {
      if (r.action.cluster.kind === 'name' && !clusters.has(r.action.cluster.name)) {
        throw new EnvoyConfigError(`${hw}.route_config: route to unknown cluster ${r.action.cluster.name}`);
      }
    }
  }

  let cds: CdsConfig | undefined;
  const dynamic = boot.dynamic_resources;
  if (dynamic !== undefined) {
    const where = `${source}: dynamic_resources`;
    const adsCluster = (dynamic.ads_config.grpc_services[0] as { envoy_grpc: { cluster_name: string } }).envoy_grpc.cluster_name;
    const cluster = clusters.get(adsCluster);
    if (cluster === undefined) throw new EnvoyConfigError(`${where}.ads_config: no static cluster named ${adsCluster} (the xDS server's cluster cannot arrive over xDS)`);
    if (!cluster.http2) throw new EnvoyConfigError(`${source}: cluster ${adsCluster} carries gRPC (ADS) and needs explicit_http_config.http2_protocol_options`);
    const id = boot.node?.id ?? '';
    const nodeCluster = boot.node?.cluster ?? '';
    if (id === '' || nodeCluster === '') throw new EnvoyConfigError(`${source}: node: ads: node 'id' and 'cluster' are required`);
    cds = {
      ads: { clusterName: adsCluster, setNodeOnFirstMessageOnly: dynamic.ads_config.set_node_on_first_message_only ?? false },
      node: { id, cluster: nodeCluster },
      initialFetchTimeoutMs: dynamic.cds_config.initial_fetch_timeout === undefined ? 15_000 : durationToMs(dynamic.cds_config.initial_fetch_timeout),
    };
  }

  return {
    source,
    runtime: toRuntimeSettings(boot.layered_runtime?.layers ?? []),
    cds,
    listener: {
      name: listenerRawValue.name,
      address: { host: listenerRawValue.address.socket_address.address, port: listenerRawValue.address.socket_address.port_value },
      bufferLimitBytes: listenerRawValue.per_connection_buffer_limit_bytes ?? 1024 * 1024,
      hcm: {
        statPrefix: hcm.stat_prefix,
        maxRequestHeadersKb: hcm.max_request_headers_kb ?? 60,
        maxHeadersCount: hcm.common_http_protocol_options?.max_headers_count ?? 100,
        streamIdleTimeoutMs: hcm.stream_idle_timeout === undefined ? 300_000 : durationToMs(hcm.stream_idle_timeout),
        generateRequestId: hcm.generate_request_id ?? true,
        serverName: hcm.server_name ?? 'envoy',
        useRemoteAddress: hcm.use_remote_address ?? false,
        earlyHeaderMutations: (hcm.early_header_mutation_extensions ?? []).flatMap((e, i) =>
          toEarlyHeaderMutations(e.typed_config, `${hw}.early_header_mutation_extensions[${i}] (${e.name}).typed_config`),
        ),
        routeConfig,
        httpFilters,
      },
    },
    clusters,
  };
}

/** Flattens the static layers into key -> raw value, later layers overriding earlier ones. */
function flattenStaticLayers(layers: readonly unknown[]): Map<string, unknown> {
  const values = new Map<string, unknown>();
  const walk = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix === '' ? k : `${prefix}.${k}`, v);
    } else {
      values.set(prefix, value);
    }
  };
  for (const layer of layers) {
    const staticLayer: unknown = layer !== null && typeof layer === 'object' ? (layer as Record<string, unknown>)['static_layer'] : undefined;
    if (staticLayer !== undefined) walk('', staticLayer);
  }
  return values;
}

/** The settings a bootstrap's layered_runtime.layers give (also used by the deploy checks). */
export function toRuntimeSettings(layers: readonly unknown[]): RuntimeSettings {
  const values = flattenStaticLayers(layers);
  const bool = (key: string, fallback: boolean): boolean => {
    const v = values.get(key);
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^\s*(true|false)\s*$/i.test(v)) return v.trim().toLowerCase() === 'true';
    // Envoy keeps the entry but it is not a boolean, so the feature keeps its default.
    return fallback;
  };
  const uint = (key: string, fallback: number): number => {
    const v = values.get(key);
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : Number.NaN;
    // Snapshot::getInteger: a value that is not a non-negative number leaves the default.
    if (v === undefined || !Number.isFinite(n) || n < 0) return fallback;
    return Math.floor(n);
  };
  return {
    extProcGracefulClose: bool(EXT_PROC_GRACEFUL_CLOSE_KEY, false),
    extProcRemoteCloseTimeoutMs: uint(EXT_PROC_REMOTE_CLOSE_TIMEOUT_KEY, 1000),
  };
}

export function loadEnvoyConfig(path: string): StandinConfig {
  return parseEnvoyConfig(readFileSync(path, 'utf8'), path);
}
