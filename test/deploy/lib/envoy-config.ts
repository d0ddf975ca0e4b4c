/**
 * Envoy configuration the project ships: every file in envoy/ is decoded as a Bootstrap by
 * the strict proto checker, then checked against the contract with the router
 * (/work/shared/docs/envoy-contract.md) and for internal consistency:
 *
 * - cluster names are unique; every `envoy_grpc.cluster_name` and route `cluster` names a
 *   static cluster (unless clusters come from CDS/ADS); gRPC clusters speak HTTP/2;
 * - every HTTP connection manager ends with the router filter; ext_proc / ext_authz come
 *   before it; a route choosing its cluster by header (`cluster_header`) has an explicit
 *   `timeout: 0s` and removes that header before the request goes upstream
 *   (`request_headers_to_remove`); a client-sent routing header is removed in the HCM's
 *   `early_header_mutation_extensions`, which run before the route is picked (an HTTP filter
 *   runs after it, so a strip there protects nothing and is reported);
 *   `max_request_headers_kb` is raised above Envoy's 60 KB default;
 * - ext_proc: fail closed, request headers sent, response headers skipped, bodies off,
 *   `allow_mode_override: true`, an explicit `message_timeout` above the 200 ms default;
 *   ext_authz: fail closed, `clear_route_cache: true`, `transport_api_version: V3`; both with
 *   `status_on_error` 503 (ServiceUnavailable: Trino clients retry it);
 * - every static cluster has explicit circuit breakers equal to the router's xDS clusters'
 *   (DEFAULT_XDS_CIRCUIT_BREAKERS: one definition); a gRPC cluster has HTTP/2
 *   `connection_keepalive` with an interval and a timeout;
 * - bootstraps that subscribe to xDS (the router as cluster source): V3 transport and resource
 *   versions, ADS set up where `ads: {}` is used, the xDS cluster static, node id and cluster.
 *
 * The same ext_proc / ext_authz checks are reused for the Envoy config embedded in Istio
 * EnvoyFilters.
 */
import { parseAllDocuments } from 'yaml';
import { DEFAULT_XDS_CIRCUIT_BREAKERS } from '../../../src/config/schema.js';
import { EXT_PROC_GRACEFUL_CLOSE_KEY, toRuntimeSettings } from '../../standins/envoy/config.js';
import { durationSeconds, type EnvoyProtos, checkProtoJson } from './proto-json.js';
import { isRecord, type Issue, type PathSegment, formatPath } from './issues.js';
import type { RepoFiles } from './repo-files.js';

export const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const EXT_PROC_TYPE = 'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
export const EXT_AUTHZ_TYPE = 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
export const HEADER_MUTATION_TYPE = 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
export const EARLY_HEADER_MUTATION_TYPE = 'envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation';
export const HTTP_PROTOCOL_OPTIONS_TYPE = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The message name of an Any's "@type". */
export function anyType(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const url = value['@type'];
  return typeof url === 'string' ? url.slice(url.lastIndexOf('/') + 1) : undefined;
}

/** Reads a field given in snake_case or lowerCamelCase, as Envoy's JSON parser accepts both. */
export function field(obj: unknown, snake: string): unknown {
  if (!isRecord(obj)) return undefined;
  if (snake in obj) return obj[snake];
  const camel = snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  return obj[camel];
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export interface SocketEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface ClusterFacts {
  readonly name: string;
  readonly path: readonly PathSegment[];
  readonly endpoints: SocketEndpoint[];
  readonly http2: boolean;
}

export interface HttpFilterFacts {
  readonly name: string;
  readonly type: string | undefined;
  readonly config: Record<string, unknown>;
  readonly path: readonly PathSegment[];
}

export interface HcmFacts {
  readonly path: readonly PathSegment[];
  readonly config: Record<string, unknown>;
  readonly filters: HttpFilterFacts[];
  /** Routes of the inline route_config (none with RDS): `path` leads to the action, `routePath` to the Route. */
  readonly routes: { readonly path: readonly PathSegment[]; readonly routePath: readonly PathSegment[]; readonly route: Record<string, unknown>; readonly action: Record<string, unknown> }[];
}

export interface BootstrapFacts {
  readonly clusters: Map<string, ClusterFacts>;
  /** Clusters may also arrive over CDS / ADS: references to unknown clusters cannot be judged. */
  readonly dynamicClusters: boolean;
  /** Listeners arrive over LDS: the file need not define one itself. */
  readonly dynamicListeners: boolean;
  readonly hcms: HcmFacts[];
  readonly grpcClusterRefs: { readonly name: string; readonly path: readonly PathSegment[] }[];
  readonly listeners: { readonly name: string; readonly port: number | undefined }[];
}

export function bootstrapFacts(doc: Record<string, unknown>): BootstrapFacts {
  const staticResources = field(doc, 'static_resources');
  const dynamic = field(doc, 'dynamic_resources');
  const clusters = new Map<string, ClusterFacts>();
  list(field(staticResources, 'clusters')).forEach((cluster, i) => {
    const name = field(cluster, 'name');
    if (typeof name !== 'string') return;
    clusters.set(name, { name, path: ['static_resources', 'clusters', i], endpoints: clusterEndpoints(cluster), http2: clusterSpeaksHttp2(cluster) });
  });
  const hcms: HcmFacts[] = [];
  const listeners: BootstrapFacts['listeners'] = [];
  list(field(staticResources, 'listeners')).forEach((listener, li) => {
    const port = field(field(field(listener, 'address'), 'socket_address'), 'port_value');
    listeners.push({ name: String(field(listener, 'name') ?? ''), port: typeof port === 'number' ? port : undefined });
    list(field(listener, 'filter_chains')).forEach((chain, ci) => {
      list(field(chain, 'filters')).forEach((filter, fi) => {
        const typed = field(filter, 'typed_config');
        if (anyType(typed) === HCM_TYPE && isRecord(typed)) {
          hcms.push(hcmFacts(typed, ['static_resources', 'listeners', li, 'filter_chains', ci, 'filters', fi, 'typed_config']));
        }
      });
    });
  });
  const grpcClusterRefs: BootstrapFacts['grpcClusterRefs'] = [];
  findGrpcClusterRefs(doc, [], grpcClusterRefs);
  return {
    clusters,
    dynamicClusters: isRecord(dynamic) && field(dynamic, 'cds_config') !== undefined,
    dynamicListeners: isRecord(dynamic) && field(dynamic, 'lds_config') !== undefined,
    hcms,
    grpcClusterRefs,
    listeners,
  };
}

export function hcmFacts(config: Record<string, unknown>, path: readonly PathSegment[]): HcmFacts {
  const filters = list(field(config, 'http_filters')).map((f, i): HttpFilterFacts => {
    const typed = field(f, 'typed_config');
    return { name: String(field(f, 'name') ?? ''), type: anyType(typed), config: isRecord(typed) ? typed : {}, path: [...path, 'http_filters', i] };
  });
  const routes: HcmFacts['routes'] = [];
  list(field(field(config, 'route_config'), 'virtual_hosts')).forEach((vh, vi) => {
    list(field(vh, 'routes')).forEach((route, ri) => {
      const action = field(route, 'route');
      const routePath = [...path, 'route_config', 'virtual_hosts', vi, 'routes', ri];
      if (isRecord(action) && isRecord(route)) routes.push({ path: [...routePath, 'route'], routePath, route, action });
    });
  });
  return { path, config, filters, routes };
}

function clusterEndpoints(cluster: unknown): SocketEndpoint[] {
  const out: SocketEndpoint[] = [];
  for (const group of list(field(field(cluster, 'load_assignment'), 'endpoints'))) {
    for (const lb of list(field(group, 'lb_endpoints'))) {
      const socket = field(field(field(lb, 'endpoint'), 'address'), 'socket_address');
      const host = field(socket, 'address');
      const port = field(socket, 'port_value');
      if (typeof host === 'string' && (typeof port === 'number' || typeof port === 'string')) out.push({ host, port: Number(port) });
    }
  }
  return out;
}

function clusterSpeaksHttp2(cluster: unknown): boolean {
  if (field(cluster, 'http2_protocol_options') !== undefined) return true;
  const options = field(cluster, 'typed_extension_protocol_options');
  if (!isRecord(options)) return false;
  return Object.values(options).some((o) => {
    if (anyType(o) !== HTTP_PROTOCOL_OPTIONS_TYPE) return false;
    const explicit = field(o, 'explicit_http_config');
    return field(explicit, 'http2_protocol_options') !== undefined;
  });
}

function findGrpcClusterRefs(value: unknown, path: readonly PathSegment[], out: BootstrapFacts['grpcClusterRefs']): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => findGrpcClusterRefs(v, [...path, i], out));
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if ((key === 'envoy_grpc' || key === 'envoyGrpc') && isRecord(child)) {
      const name = field(child, 'cluster_name');
      if (typeof name === 'string') out.push({ name, path: [...path, key, 'cluster_name'] });
    }
    findGrpcClusterRefs(child, [...path, key], out);
  }
}

// ---------------------------------------------------------------------------------------------
// Contract checks
// ---------------------------------------------------------------------------------------------

type Report = (path: readonly PathSegment[], message: string) => void;

/** Checks an ext_proc filter config against the router's needs. */
export function checkExtProcContract(config: Record<string, unknown>, path: readonly PathSegment[], report: Report): void {
  if (field(config, 'failure_mode_allow') === true) report([...path, 'failure_mode_allow'], 'must be false: a request the router did not route must not reach a cluster');
  const mode = field(config, 'processing_mode');
  const headerMode = (k: string): string => String(field(mode, k) ?? 'DEFAULT');
  const bodyMode = (k: string): string => String(field(mode, k) ?? 'NONE');
  if (!isRecord(mode)) {
    report([...path, 'processing_mode'], 'set processing_mode: request headers SEND, response headers SKIP, bodies NONE (the defaults send response headers on every request)');
  } else {
    if (headerMode('request_header_mode') === 'SKIP') report([...path, 'processing_mode', 'request_header_mode'], 'must send request headers: routing needs them');
    if (headerMode('response_header_mode') !== 'SKIP') report([...path, 'processing_mode', 'response_header_mode'], 'must be SKIP: the router asks per request (mode_override) for the responses it needs');
    for (const k of ['request_body_mode', 'response_body_mode']) {
      if (bodyMode(k) !== 'NONE') report([...path, 'processing_mode', k], 'must be NONE: routing never needs bodies up front');
    }
  }
  if (field(config, 'allow_mode_override') !== true) report([...path, 'allow_mode_override'], 'must be true: the router asks for a submission\'s response to learn its query id');
  const timeout = field(config, 'message_timeout');
  const seconds = typeof timeout === 'string' ? durationSeconds(timeout) : undefined;
  if (seconds === undefined || seconds <= 0.2) report([...path, 'message_timeout'], 'set message_timeout above the 200 ms default (the router may probe clusters for up to 500 ms)');
  if (field(field(config, 'grpc_service'), 'envoy_grpc') === undefined && field(field(config, 'grpc_service'), 'google_grpc') === undefined) {
    report([...path, 'grpc_service'], 'needs grpc_service (envoy_grpc.cluster_name of the router)');
  }
}

export function checkExtAuthzContract(config: Record<string, unknown>, path: readonly PathSegment[], report: Report): void {
  if (field(config, 'failure_mode_allow') === true) report([...path, 'failure_mode_allow'], 'must be false: a request the router did not route must not reach a cluster');
  if (field(config, 'clear_route_cache') !== true) report([...path, 'clear_route_cache'], 'must be true: the route must see the x-trino-cluster header the router sets');
  if (field(config, 'grpc_service') === undefined) report(path, 'needs grpc_service (the router speaks gRPC ext_authz)');
  if (field(config, 'transport_api_version') !== 'V3') report([...path, 'transport_api_version'], 'must be V3: Envoy refuses the ext_authz filter with AUTO or V2 at start');
}

function removedNames(mutations: unknown): string[] {
  return list(mutations)
    .map((m) => field(m, 'remove'))
    .filter((h): h is string => typeof h === 'string')
    .map((h) => h.toLowerCase());
}

/** The header names a header_mutation HTTP filter removes from requests (after the route is picked). */
function removedRequestHeaders(filter: HttpFilterFacts): string[] {
  if (filter.type !== HEADER_MUTATION_TYPE) return [];
  return removedNames(field(field(filter.config, 'mutations'), 'request_mutations'));
}

/** The header names the HCM's early header mutations remove: before the route is picked. */
export function earlyRemovedHeaders(hcmConfig: Record<string, unknown>): string[] {
  return list(field(hcmConfig, 'early_header_mutation_extensions'))
    .map((e) => field(e, 'typed_config'))
    .filter((t) => anyType(t) === EARLY_HEADER_MUTATION_TYPE)
    .flatMap((t) => removedNames(field(t, 'mutations')));
}

/** envoy.type.v3.HttpStatus as Envoy reads it: the enum name or its number. */
function httpStatusCode(status: unknown): number | undefined {
  const code = field(status, 'code');
  if (typeof code === 'number') return code;
  return code === 'ServiceUnavailable' ? 503 : undefined;
}

/**
 * ext_proc / ext_authz `status_on_error` must be 503: Trino clients retry it, not ext_proc's
 * default 500 nor ext_authz's 403. Exported for the other deployments' checks.
 */
export function checkStatusOnError(config: Record<string, unknown>, path: readonly PathSegment[], report: Report): void {
  if (httpStatusCode(field(config, 'status_on_error')) !== 503) {
    report([...path, 'status_on_error'], 'set status_on_error: { code: ServiceUnavailable } (503): Trino clients retry a 503, not the default 500 / 403');
  }
}

/**
 * A cluster's circuit breakers: one DEFAULT-priority threshold set equal to the router's xDS
 * clusters' (Envoy's 1024 defaults overflow at the concurrency the router is built for).
 */
export function checkCircuitBreakers(cluster: unknown, path: readonly PathSegment[], name: string, report: Report): void {
  const thresholds = list(field(field(cluster, 'circuit_breakers'), 'thresholds'));
  const expected = DEFAULT_XDS_CIRCUIT_BREAKERS;
  const wanted = `circuit_breakers.thresholds [{max_connections: ${expected.maxConnections}, max_pending_requests: ${expected.maxPendingRequests}, max_requests: ${expected.maxRequests}, max_retries: ${expected.maxRetries}}]`;
  const t = thresholds.find((x) => (field(x, 'priority') ?? 'DEFAULT') === 'DEFAULT');
  if (t === undefined) {
    report([...path, 'circuit_breakers'], `cluster ${name} needs ${wanted}: Envoy's defaults (1024) overflow (503 UO, or status_on_error for the router)`);
    return;
  }
  const uint = (v: unknown): unknown => (isRecord(v) ? v['value'] : v);
  for (const [key, want] of [['max_connections', expected.maxConnections], ['max_pending_requests', expected.maxPendingRequests], ['max_requests', expected.maxRequests], ['max_retries', expected.maxRetries]] as const) {
    if (Number(uint(field(t, key))) !== want) report([...path, 'circuit_breakers', 'thresholds', thresholds.indexOf(t), key], `must be ${want}, the value the router's xDS clusters carry (xds.circuitBreakers)`);
  }
}

/** A gRPC cluster's HTTP/2 pings: a silently dead router is found in seconds, not after TCP gives up. */
export function checkConnectionKeepalive(cluster: unknown, path: readonly PathSegment[], name: string, report: Report): void {
  const options = field(cluster, 'typed_extension_protocol_options');
  const http2 = isRecord(options)
    ? Object.values(options).map((o) => field(field(o, 'explicit_http_config'), 'http2_protocol_options')).find((o) => o !== undefined)
    : field(cluster, 'http2_protocol_options');
  const keepalive = field(http2, 'connection_keepalive');
  const interval = field(keepalive, 'interval');
  const timeout = field(keepalive, 'timeout');
  if (typeof interval !== 'string' || typeof timeout !== 'string' || (durationSeconds(interval) ?? 0) <= 0 || (durationSeconds(timeout) ?? 0) <= 0) {
    report([...path, 'typed_extension_protocol_options'], `gRPC cluster ${name} needs http2_protocol_options.connection_keepalive with an interval and a timeout (HTTP/2 pings are off by default)`);
  }
}

export function checkHcmContract(hcm: HcmFacts, report: Report): void {
  const filters = hcm.filters;
  const last = filters[filters.length - 1];
  if (last === undefined || last.type !== ROUTER_TYPE) report([...hcm.path, 'http_filters'], 'the last HTTP filter must be envoy.filters.http.router');
  filters.forEach((f, i) => {
    if (f.type === ROUTER_TYPE && i !== filters.length - 1) report(f.path, 'the router filter must be last');
  });
  const headerKb = field(hcm.config, 'max_request_headers_kb');
  if (typeof headerKb !== 'number' || headerKb <= 60) {
    report([...hcm.path, 'max_request_headers_kb'], 'raise max_request_headers_kb above the 60 KB default: Trino requests carry large OAuth2/JWT headers');
  }
  const routingHeaders = new Set(hcm.routes.map((r) => field(r.action, 'cluster_header')).filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase()));
  for (const route of hcm.routes) {
    const header = field(route.action, 'cluster_header');
    if (typeof header !== 'string') continue;
    const timeout = field(route.action, 'timeout');
    if (timeout !== '0s') report([...route.path, 'timeout'], 'a cluster_header route needs timeout: 0s (Envoy\'s 15 s default cuts long Trino requests)');
    const removed = list(field(route.route, 'request_headers_to_remove')).map((h) => String(h).toLowerCase());
    if (!removed.includes(header.toLowerCase())) {
      report([...route.routePath, 'request_headers_to_remove'], `remove ${header} before the request goes upstream (request_headers_to_remove: [${header}], applied after the cluster is chosen): Trino answers 400 to X-Presto-* clients that also send X-Trino-* headers`);
    }
  }
  filters.forEach((f) => {
    if (f.type !== EXT_PROC_TYPE && f.type !== EXT_AUTHZ_TYPE) return;
    if (f.type === EXT_PROC_TYPE) checkExtProcContract(f.config, [...f.path, 'typed_config'], report);
    else checkExtAuthzContract(f.config, [...f.path, 'typed_config'], report);
    checkStatusOnError(f.config, [...f.path, 'typed_config'], report);
  });
  // Envoy picks the route (and the cluster_header cluster) when the request headers arrive,
  // before any HTTP filter: only an early header mutation keeps a client from choosing it.
  const early = new Set(earlyRemovedHeaders(hcm.config));
  for (const header of routingHeaders) {
    if (!early.has(header)) {
      report([...hcm.path, 'early_header_mutation_extensions'], `a client-sent ${header} must be removed in early_header_mutation_extensions (${EARLY_HEADER_MUTATION_TYPE}): the route and its cluster are picked before any HTTP filter runs`);
    }
  }
  for (const f of filters) {
    const late = removedRequestHeaders(f).filter((h) => routingHeaders.has(h));
    if (late.length > 0) report(f.path, `removing ${late.join(', ')} in an HTTP filter comes after the route is picked and protects nothing: remove it in early_header_mutation_extensions only`);
  }
}

export interface EnvoyFileCheck {
  readonly issues: Issue[];
  readonly deprecated: string[];
  readonly facts: BootstrapFacts | undefined;
  readonly doc: Record<string, unknown> | undefined;
}

/** Decodes one Envoy bootstrap file strictly and checks it against the router contract. */
export function checkEnvoyBootstrapFile(files: RepoFiles, path: string, protos: EnvoyProtos): EnvoyFileCheck {
  const issues: Issue[] = [];
  const report = (p: readonly PathSegment[] | string, message: string): void => {
    issues.push({ file: path, path: typeof p === 'string' ? p : formatPath(p), message });
  };
  const docs = parseAllDocuments(files.read(path));
  if (docs.length !== 1 || docs[0] === undefined) {
    report('', `expected one YAML document, found ${docs.length}`);
    return { issues, deprecated: [], facts: undefined, doc: undefined };
  }
  const first = docs[0];
  if (first.errors.length > 0) {
    for (const e of first.errors) report('', `YAML: ${e.message}`);
    return { issues, deprecated: [], facts: undefined, doc: undefined };
  }
  const doc: unknown = first.toJS();
  if (!isRecord(doc)) {
    report('', 'expected a YAML mapping (an Envoy bootstrap)');
    return { issues, deprecated: [], facts: undefined, doc: undefined };
  }
  const decoded = checkProtoJson(protos, BOOTSTRAP, doc);
  for (const i of decoded.issues) report(i.path, i.message);

  const facts = bootstrapFacts(doc);
  const seen = new Set<string>();
  list(field(field(doc, 'static_resources'), 'clusters')).forEach((cluster, i) => {
    const name = field(cluster, 'name');
    if (typeof name !== 'string') return;
    if (seen.has(name)) report(['static_resources', 'clusters', i, 'name'], `duplicate cluster name ${name}`);
    seen.add(name);
    const la = field(field(cluster, 'load_assignment'), 'cluster_name');
    if (la !== undefined && la !== name) report(['static_resources', 'clusters', i, 'load_assignment', 'cluster_name'], `load_assignment.cluster_name ${String(la)} differs from the cluster name ${name}`);
  });
  for (const ref of facts.grpcClusterRefs) {
    const cluster = facts.clusters.get(ref.name);
    if (cluster === undefined) {
      // A subscription's own cluster is judged by checkXdsSubscriptions (it must be static).
      if (!facts.dynamicClusters && ref.path[0] !== 'dynamic_resources') report(ref.path, `no cluster named ${ref.name}`);
    } else if (!cluster.http2) {
      report([...cluster.path], `cluster ${ref.name} serves gRPC and needs HTTP/2 (typed_extension_protocol_options ${HTTP_PROTOCOL_OPTIONS_TYPE} explicit_http_config.http2_protocol_options)`);
    }
  }
  const grpcClusters = new Set(facts.grpcClusterRefs.map((r) => r.name));
  list(field(field(doc, 'static_resources'), 'clusters')).forEach((cluster, i) => {
    const name = field(cluster, 'name');
    if (typeof name !== 'string') return;
    const clusterPath = ['static_resources', 'clusters', i];
    checkCircuitBreakers(cluster, clusterPath, name, report);
    if (grpcClusters.has(name)) checkConnectionKeepalive(cluster, clusterPath, name, report);
  });
  for (const hcm of facts.hcms) {
    for (const route of hcm.routes) {
      const cluster = field(route.action, 'cluster');
      if (typeof cluster === 'string' && !facts.clusters.has(cluster) && !facts.dynamicClusters) report([...route.path, 'cluster'], `no cluster named ${cluster}`);
    }
    checkHcmContract(hcm, report);
  }
  if (facts.hcms.length === 0 && !facts.dynamicListeners) report('static_resources.listeners', 'no HTTP connection manager: nothing reaches the router');
  if (facts.hcms.some((h) => h.filters.some((f) => f.type === EXT_PROC_TYPE))) checkGracefulClose(doc, report);
  checkXdsSubscriptions(doc, facts, report);
  return { issues, deprecated: decoded.deprecated, facts, doc };
}

/**
 * Without the runtime flag Envoy resets every ext_proc stream when its request is done, and
 * the router's HTTP/2 server (nghttp2's rapid-reset guard) answers about a thousand resets on
 * one connection with GOAWAY: requests in flight then fail.
 */
function checkGracefulClose(doc: Record<string, unknown>, report: Report): void {
  const layers = field(field(doc, 'layered_runtime'), 'layers');
  if (!toRuntimeSettings(Array.isArray(layers) ? layers : []).extProcGracefulClose) {
    report(['layered_runtime'], `set ${EXT_PROC_GRACEFUL_CLOSE_KEY}: true in a static layer: without it Envoy resets every ext_proc stream, and past about 1,000 resets on one connection the router's HTTP/2 server answers GOAWAY (requests in flight fail)`);
  }
}

/** Field names whose value is a ConfigSource / an ApiConfigSource (snake_case; camelCase is read too). */
const CONFIG_SOURCE_FIELDS = new Set(['lds_config', 'cds_config', 'eds_config', 'config_source', 'rtds_config']);
const API_CONFIG_SOURCE_FIELDS = new Set(['ads_config', 'api_config_source']);

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Every ConfigSource and ApiConfigSource in the file, typed_configs included. */
export function findConfigSources(value: unknown, path: readonly PathSegment[] = []): { kind: 'source' | 'api'; path: readonly PathSegment[]; value: Record<string, unknown> }[] {
  const out: { kind: 'source' | 'api'; path: readonly PathSegment[]; value: Record<string, unknown> }[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => out.push(...findConfigSources(v, [...path, i])));
    return out;
  }
  if (!isRecord(value)) return out;
  for (const [key, child] of Object.entries(value)) {
    const name = snakeCase(key);
    if (isRecord(child) && CONFIG_SOURCE_FIELDS.has(name)) out.push({ kind: 'source', path: [...path, key], value: child });
    if (isRecord(child) && API_CONFIG_SOURCE_FIELDS.has(name)) out.push({ kind: 'api', path: [...path, key], value: child });
    out.push(...findConfigSources(child, [...path, key]));
  }
  return out;
}

/**
 * What Envoy refuses at start in a bootstrap that subscribes to xDS (the router's ADS, issue
 * 11), beyond what the protos say: every ApiConfigSource with transport_api_version V3 (AUTO and
 * V2 are rejected), every ConfigSource served over gRPC with resource_api_version V3, `ads: {}`
 * only with dynamic_resources.ads_config, the xDS server's cluster defined statically (it cannot
 * arrive over the stream it serves), and node.id plus node.cluster set (an xDS client must name
 * itself; the shipped Compose and Kubernetes setups pass no --service-node/--service-cluster).
 */
function checkXdsSubscriptions(doc: Record<string, unknown>, facts: BootstrapFacts, report: Report): void {
  const sources = findConfigSources(doc);
  if (sources.length === 0) return;
  let usesAds = false;
  for (const s of sources) {
    if (s.kind === 'api') {
      if (field(s.value, 'transport_api_version') !== 'V3') report([...s.path, 'transport_api_version'], 'must be V3: Envoy refuses AUTO and V2 xDS transports at start');
      for (const [i, g] of list(field(s.value, 'grpc_services')).entries()) {
        const name = field(field(g, 'envoy_grpc'), 'cluster_name');
        if (typeof name === 'string' && !facts.clusters.has(name)) report([...s.path, 'grpc_services', i, 'envoy_grpc', 'cluster_name'], `no static cluster named ${name}: the xDS server's cluster must be in static_resources`);
      }
    } else {
      const grpc = field(s.value, 'ads') !== undefined || field(s.value, 'api_config_source') !== undefined;
      if (field(s.value, 'ads') !== undefined) usesAds = true;
      if (grpc && field(s.value, 'resource_api_version') !== 'V3') report([...s.path, 'resource_api_version'], 'must be V3: Envoy needs the resource API version set explicitly');
    }
  }
  if (usesAds && field(field(doc, 'dynamic_resources'), 'ads_config') === undefined) report(['dynamic_resources', 'ads_config'], 'a ConfigSource uses ads: {} but dynamic_resources.ads_config is not set');
  const subscribes = sources.some((s) => s.kind === 'api' || field(s.value, 'ads') !== undefined);
  if (subscribes) {
    const node = field(doc, 'node');
    for (const key of ['id', 'cluster']) {
      const v = field(node, key);
      if (typeof v !== 'string' || v === '') report(['node', key], `an xDS subscription needs node.${key} (Envoy: "node 'id' and 'cluster' are required")`);
    }
  }
}

/** Clusters a cluster_header route can reach: every static cluster no gRPC service uses. */
export function backendClusters(facts: BootstrapFacts): ClusterFacts[] {
  const grpc = new Set(facts.grpcClusterRefs.map((r) => r.name));
  return [...facts.clusters.values()].filter((c) => !grpc.has(c.name));
}

/** Does any route of the file pick its cluster from a request header? */
export function usesClusterHeader(facts: BootstrapFacts): boolean {
  return facts.hcms.some((h) => h.routes.some((r) => field(r.action, 'cluster_header') !== undefined));
}

/** The ext_proc (or ext_authz) filter configs of a bootstrap. */
export function routingFilters(facts: BootstrapFacts): HttpFilterFacts[] {
  return facts.hcms.flatMap((h) => h.filters.filter((f) => f.type === EXT_PROC_TYPE || f.type === EXT_AUTHZ_TYPE));
}

/** Envoy files shipped in envoy/: every *.yaml / *.yml there. */
export function envoyConfigFiles(files: RepoFiles): string[] {
  return files.list('envoy').filter((p) => /\.ya?ml$/.test(p));
}
