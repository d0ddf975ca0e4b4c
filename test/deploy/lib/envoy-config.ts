/**
 * Envoy configuration the project ships: every file in envoy/ is decoded as a Bootstrap by
 * the strict proto checker, then checked against the contract with the router
 * (/work/shared/docs/envoy-contract.md) and for internal consistency:
 *
 * - cluster names are unique; every `envoy_grpc.cluster_name` and route `cluster` names a
 *   static cluster (unless clusters come from CDS/ADS); gRPC clusters speak HTTP/2;
 * - every HTTP connection manager ends with the router filter; ext_proc / ext_authz come
 *   before it; a route choosing its cluster by header (`cluster_header`) has an explicit
 *   `timeout: 0s`; a client-sent routing header is removed before ext_proc runs;
 *   `max_request_headers_kb` is raised above Envoy's 60 KB default;
 * - ext_proc: fail closed, request headers sent, response headers skipped, bodies off,
 *   `allow_mode_override: true`, an explicit `message_timeout` above the 200 ms default;
 *   ext_authz: fail closed, `clear_route_cache: true`, `transport_api_version: V3`; a client-sent
 *   routing header is removed before either runs;
 * - bootstraps that subscribe to xDS (the router as cluster source): V3 transport and resource
 *   versions, ADS set up where `ads: {}` is used, the xDS cluster static, node id and cluster.
 *
 * The same ext_proc / ext_authz checks are reused for the Envoy config embedded in Istio
 * EnvoyFilters.
 */
import { parseAllDocuments } from 'yaml';
import { durationSeconds, type EnvoyProtos, checkProtoJson } from './proto-json.js';
import { isRecord, type Issue, type PathSegment, formatPath } from './issues.js';
import type { RepoFiles } from './repo-files.js';

export const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const EXT_PROC_TYPE = 'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
export const EXT_AUTHZ_TYPE = 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
export const HEADER_MUTATION_TYPE = 'envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
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
  /** Routes of the inline route_config (none with RDS). */
  readonly routes: { readonly path: readonly PathSegment[]; readonly action: Record<string, unknown> }[];
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
      if (isRecord(action)) routes.push({ path: [...path, 'route_config', 'virtual_hosts', vi, 'routes', ri, 'route'], action });
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

/** The header names a header_mutation filter removes from requests. */
function removedRequestHeaders(filter: HttpFilterFacts): string[] {
  if (filter.type !== HEADER_MUTATION_TYPE) return [];
  return list(field(field(filter.config, 'mutations'), 'request_mutations'))
    .map((m) => field(m, 'remove'))
    .filter((h): h is string => typeof h === 'string')
    .map((h) => h.toLowerCase());
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
    if (field(route.action, 'cluster_header') === undefined) continue;
    const timeout = field(route.action, 'timeout');
    if (timeout !== '0s') report([...route.path, 'timeout'], 'a cluster_header route needs timeout: 0s (Envoy\'s 15 s default cuts long Trino requests)');
  }
  filters.forEach((f, i) => {
    if (f.type !== EXT_PROC_TYPE && f.type !== EXT_AUTHZ_TYPE) return;
    if (f.type === EXT_PROC_TYPE) checkExtProcContract(f.config, [...f.path, 'typed_config'], report);
    else checkExtAuthzContract(f.config, [...f.path, 'typed_config'], report);
    const removedBefore = new Set(filters.slice(0, i).flatMap(removedRequestHeaders));
    const filterName = f.type === EXT_PROC_TYPE ? 'ext_proc' : 'ext_authz';
    for (const header of routingHeaders) {
      if (!removedBefore.has(header)) report(f.path, `a client-sent ${header} must be removed (header_mutation) before ${filterName} runs`);
    }
  });
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
  for (const hcm of facts.hcms) {
    for (const route of hcm.routes) {
      const cluster = field(route.action, 'cluster');
      if (typeof cluster === 'string' && !facts.clusters.has(cluster) && !facts.dynamicClusters) report([...route.path, 'cluster'], `no cluster named ${cluster}`);
    }
    checkHcmContract(hcm, report);
  }
  if (facts.hcms.length === 0 && !facts.dynamicListeners) report('static_resources.listeners', 'no HTTP connection manager: nothing reaches the router');
  checkXdsSubscriptions(doc, facts, report);
  return { issues, deprecated: decoded.deprecated, facts, doc };
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
