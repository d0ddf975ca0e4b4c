/**
 * deploy/envoy-gateway: Envoy Gateway (v1.8, Gateway API v1) in front of Trino, with the
 * router as ext_proc (EnvoyExtensionPolicy) or ext_authz (SecurityPolicy).
 *
 * Checked: the shapes (k8s-schemas.ts); references between the objects (GatewayClass,
 * Gateway, HTTPRoute, HTTPRouteFilter, policy targets, backend Services); one rule per router
 * backend matching x-trino-cluster exactly, going to that backend's Service and port with no
 * request timeout, and a catch-all rule that fails closed (Envoy Gateway enables ext_proc and
 * ext_authz per route, so the first match must be a rule of the policy's route); the client's
 * x-trino-cluster removed early (ClientTrafficPolicy); the policies point at the router
 * Service ports. The EnvoyExtensionPolicy and SecurityPolicy are also translated to the Envoy
 * filter config Envoy Gateway generates (its translator sets every ext_proc mode to SKIP / NONE
 * unless the policy asks otherwise) and that config is decoded against Envoy's protos, held
 * to the router contract and, for ext_proc, compared with envoy/envoy.yaml. The cluster
 * settings Envoy Gateway generates from a BackendTrafficPolicy on the route and from the
 * policies' backendSettings are decoded as Envoy Clusters and must carry envoy/envoy.yaml's
 * circuit breakers (and, for the router, HTTP/2 pings); with ext_proc, the Gateway's EnvoyProxy
 * must merge the graceful-close runtime flag into the bootstrap. Envoy Gateway 1.8's ExtProc has
 * no status-on-error field, so the ext_proc filter keeps Envoy's default 500 (README says so).
 */
import { parse as parseYaml } from 'yaml';
import { EXT_PROC_GRACEFUL_CLOSE_KEY, toRuntimeSettings } from '../../standins/envoy/config.js';
import { isRecord, type Issue } from './issues.js';
import { checkObjects, find, getPath, loadFolder, metaName, metaNamespace, objectList, type K8sBuild, type K8sObject } from './kubernetes.js';
import { checkProtoJson, type EnvoyProtos } from './proto-json.js';
import {
  BOOTSTRAP,
  checkCircuitBreakers,
  checkConnectionKeepalive,
  checkExtAuthzContract,
  checkExtProcContract,
  EXT_AUTHZ_TYPE,
  EXT_PROC_TYPE,
  HTTP_PROTOCOL_OPTIONS_TYPE,
} from './envoy-config.js';
import type { RepoFiles } from './repo-files.js';
import { serviceHost, type RouterDeploymentFacts } from './k8s-router.js';
import { backendEndpoints } from './router-config.js';
import { compareExtProc, ROUTING_HEADER } from './reference.js';

/** envoy/envoy.yaml's max_request_headers_kb, which the Envoy Gateway listener must match. */
const TRINO_HEADER_KB = 256;
export const ENVOY_GATEWAY_DIRS = ['deploy/envoy-gateway/base', 'deploy/envoy-gateway/ext-proc', 'deploy/envoy-gateway/ext-authz'] as const;
export const EG_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';

type Obj = Record<string, unknown>;

/** Gateway API durations ("1s", "500ms", "1m30s") as proto JSON durations. */
export function gatewayDurationToProto(text: string): string | undefined {
  const parts = [...text.matchAll(/(\d+)(h|ms|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  const factor: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * (factor[p[2] as string] as number), 0);
  return `${Number(seconds.toFixed(9))}s`;
}

/** The ExternalProcessor Envoy Gateway generates for one extProc entry (its translator's rules). */
export function translateExtProc(extProc: Obj): Obj {
  const mode = getPath(extProc, 'processingMode');
  const request = getPath(mode, 'request');
  const response = getPath(mode, 'response');
  const body = (b: unknown): string => ({ Streamed: 'STREAMED', Buffered: 'BUFFERED', BufferedPartial: 'BUFFERED_PARTIAL', FullDuplexStreamed: 'FULL_DUPLEX_STREAMED' } as Record<string, string>)[String(b)] ?? 'NONE';
  const config: Obj = {
    '@type': `type.googleapis.com/${EXT_PROC_TYPE}`,
    grpc_service: { envoy_grpc: { cluster_name: 'envoyextensionpolicy/trino/trino-envoy-router/extproc/0' }, timeout: '10s' },
    processing_mode: {
      request_header_mode: request === undefined ? 'SKIP' : 'SEND',
      response_header_mode: response === undefined ? 'SKIP' : 'SEND',
      request_body_mode: body(getPath(request, 'body')),
      response_body_mode: body(getPath(response, 'body')),
      request_trailer_mode: getPath(request, 'body') === 'FullDuplexStreamed' ? 'SEND' : 'SKIP',
      response_trailer_mode: getPath(response, 'body') === 'FullDuplexStreamed' ? 'SEND' : 'SKIP',
    },
    allow_mode_override: getPath(mode, 'allowModeOverride') === true,
  };
  if (extProc.failOpen === true) config.failure_mode_allow = true;
  if (typeof extProc.messageTimeout === 'string') config.message_timeout = gatewayDurationToProto(extProc.messageTimeout) ?? extProc.messageTimeout;
  const attributes = getPath(request, 'attributes');
  if (Array.isArray(attributes)) config.request_attributes = attributes;
  return config;
}

/** The ExtAuthz Envoy Gateway generates for a SecurityPolicy's gRPC extAuth. */
export function translateExtAuth(extAuth: Obj): Obj {
  const config: Obj = {
    '@type': `type.googleapis.com/${EXT_AUTHZ_TYPE}`,
    grpc_service: { envoy_grpc: { cluster_name: 'securitypolicy/trino/trino-envoy-router/extauth/0' }, timeout: gatewayDurationToProto(String(extAuth.timeout ?? '10s')) ?? '10s' },
    transport_api_version: 'V3',
    failure_mode_allow: extAuth.failOpen === true,
    clear_route_cache: extAuth.recomputeRoute === true,
  };
  if (typeof extAuth.statusOnError === 'number') config.status_on_error = { code: extAuth.statusOnError };
  // internal/xds/translator/extauth.go: bodyToExtAuth becomes with_request_body, never partial.
  const body = getPath(extAuth, 'bodyToExtAuth', 'maxRequestBytes');
  if (typeof body === 'number') config.with_request_body = { max_request_bytes: body, allow_partial_message: false };
  return config;
}

const CLUSTER_TYPE = 'envoy.config.cluster.v3.Cluster';
/** The CRD's default for each field of a circuitBreaker left unset (circuitbreaker_types.go). */
const EG_BREAKER_DEFAULT = 1024;

/**
 * The cluster settings Envoy Gateway generates from a ClusterSettings (a policy's
 * backendSettings, or a BackendTrafficPolicy spec): its translator's buildXdsClusterCircuitBreaker
 * (max_retries 1024 unless set) and, for a gRPC cluster, buildHTTP2Settings (64 KiB / 1 MiB
 * windows, the keepalive pings).
 */
export function translateClusterSettings(settings: unknown, grpc: boolean): Obj {
  const breaker = getPath(settings, 'circuitBreaker');
  const threshold: Obj = { priority: 'DEFAULT', max_retries: EG_BREAKER_DEFAULT };
  if (breaker !== undefined) {
    const value = (key: string): unknown => getPath(breaker, key) ?? EG_BREAKER_DEFAULT;
    threshold.max_connections = value('maxConnections');
    threshold.max_pending_requests = value('maxPendingRequests');
    threshold.max_requests = value('maxParallelRequests');
    threshold.max_retries = value('maxParallelRetries');
  }
  const cluster: Obj = { circuit_breakers: { thresholds: [threshold] } };
  if (grpc) {
    const http2: Obj = { initial_stream_window_size: 65536, initial_connection_window_size: 1048576 };
    const keepalive = getPath(settings, 'http2', 'connectionKeepalive');
    if (isRecord(keepalive)) {
      const duration = (v: unknown): unknown => (typeof v === 'string' ? gatewayDurationToProto(v) ?? v : v);
      const out: Obj = {};
      if (keepalive.interval !== undefined) out.interval = duration(keepalive.interval);
      if (keepalive.timeout !== undefined) out.timeout = duration(keepalive.timeout);
      if (keepalive.intervalJitter !== undefined) out.interval_jitter = { value: keepalive.intervalJitter };
      if (keepalive.idleInterval !== undefined) out.connection_idle_interval = duration(keepalive.idleInterval);
      http2.connection_keepalive = out;
    }
    cluster.typed_extension_protocol_options = {
      [HTTP_PROTOCOL_OPTIONS_TYPE]: { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS_TYPE}`, explicit_http_config: { http2_protocol_options: http2 } },
    };
  }
  return cluster;
}

/** Decodes the generated cluster settings and holds them to envoy/envoy.yaml's breakers (and pings, for the router). */
function checkGeneratedCluster(
  protos: EnvoyProtos,
  settings: unknown,
  router: boolean,
  name: string,
  report: (path: string, message: string) => void,
): void {
  const cluster = translateClusterSettings(settings, router);
  for (const d of checkProtoJson(protos, CLUSTER_TYPE, cluster, { partial: true }).issues) report(` (as Envoy Cluster ${d.path})`, d.message);
  const at = (path: readonly (string | number)[]): string => ` (as Envoy ${path.join('.')})`;
  checkCircuitBreakers(cluster, [], name, (path, message) => report(at(path), message));
  if (router) checkConnectionKeepalive(cluster, [], name, (path, message) => report(at(path), message));
}

/**
 * The graceful ext_proc close flag, from the EnvoyProxy the Gateway names: a Merge bootstrap
 * fragment decoded as an Envoy Bootstrap, its layers appended after Envoy Gateway's own RTDS
 * layer runtime-0 (internal/xds/bootstrap/util.go mergeBootstrap appends lists), read the way
 * Envoy reads runtime.
 */
function checkGatewayBootstrap(gw: K8sObject, objects: readonly K8sObject[], protos: EnvoyProtos, report: (o: K8sObject, path: string, message: string) => void): void {
  const ref = getPath(gw.obj, 'spec', 'infrastructure', 'parametersRef');
  const missing = `name an EnvoyProxy whose bootstrap (type Merge) sets ${EXT_PROC_GRACEFUL_CLOSE_KEY}: true in a static layer: without it Envoy resets every ext_proc stream, and past about 1,000 resets on one connection the router's HTTP/2 server answers GOAWAY (requests in flight fail)`;
  if (!isRecord(ref) || ref.group !== 'gateway.envoyproxy.io' || ref.kind !== 'EnvoyProxy') {
    report(gw, 'spec.infrastructure.parametersRef', missing);
    return;
  }
  const proxy = find(objects, 'EnvoyProxy', String(ref.name), metaNamespace(gw.obj));
  if (proxy === undefined) {
    report(gw, 'spec.infrastructure.parametersRef', `no EnvoyProxy ${String(ref.name)} in namespace ${String(metaNamespace(gw.obj))}`);
    return;
  }
  const bootstrap = getPath(proxy.obj, 'spec', 'bootstrap');
  const type = getPath(bootstrap, 'type') ?? 'Replace';
  if (type !== 'Merge') {
    report(proxy, 'spec.bootstrap.type', `must be Merge: ${String(type)} ${type === 'Replace' ? "replaces Envoy Gateway's whole bootstrap, the xDS settings its proxies need included" : 'is not what this check decodes'}`);
    return;
  }
  let fragment: unknown;
  try {
    fragment = parseYaml(String(getPath(bootstrap, 'value') ?? ''));
  } catch (err) {
    report(proxy, 'spec.bootstrap.value', `not YAML: ${(err as Error).message}`);
    return;
  }
  if (!isRecord(fragment)) {
    report(proxy, 'spec.bootstrap.value', 'must be a YAML mapping (an Envoy Bootstrap fragment)');
    return;
  }
  for (const d of checkProtoJson(protos, BOOTSTRAP, fragment, { partial: true }).issues) report(proxy, `spec.bootstrap.value (as Envoy Bootstrap ${d.path})`, d.message);
  // internal/xds/bootstrap/validate.go: a merged bootstrap whose dynamic_resources differ is rejected.
  if (fragment.dynamic_resources !== undefined || fragment.dynamicResources !== undefined) report(proxy, 'spec.bootstrap.value.dynamic_resources', 'Envoy Gateway rejects a bootstrap that changes dynamic_resources');
  const own = getPath(fragment, 'layered_runtime', 'layers') ?? getPath(fragment, 'layeredRuntime', 'layers');
  const layers = [{ name: 'runtime-0', rtds_layer: { name: 'runtime-0' } }, ...(Array.isArray(own) ? own : [])];
  if (!toRuntimeSettings(layers).extProcGracefulClose) report(proxy, 'spec.bootstrap.value.layered_runtime', missing.replace('name an EnvoyProxy whose bootstrap (type Merge) sets', 'set'));
}

export interface EnvoyGatewayCheck {
  readonly issues: Issue[];
  readonly files: Set<string>;
}

export function checkEnvoyGateway(files: RepoFiles, protos: EnvoyProtos, router: RouterDeploymentFacts | undefined, referenceExtProc: Obj | undefined): EnvoyGatewayCheck {
  const builds: K8sBuild[] = ENVOY_GATEWAY_DIRS.map((dir) => loadFolder(files, dir));
  const issues: Issue[] = builds.flatMap((b) => checkObjects(b));
  const read = new Set(builds.flatMap((b) => [...b.files]));
  const objects = builds.flatMap((b) => b.objects);
  const report = (o: K8sObject, path: string, message: string): void => {
    issues.push({ file: o.source, path: `${String(o.obj.kind)} ${metaName(o.obj)}${path === '' ? '' : ` ${path}`}`, message });
  };

  // ---- GatewayClass, Gateway ----
  for (const gw of objects.filter((o) => o.obj.apiVersion === 'gateway.networking.k8s.io/v1' && o.obj.kind === 'Gateway')) {
    const className = String(getPath(gw.obj, 'spec', 'gatewayClassName'));
    const cls = find(objects, 'GatewayClass', className);
    if (cls === undefined) report(gw, 'spec.gatewayClassName', `no GatewayClass ${className}`);
    else if (getPath(cls.obj, 'spec', 'controllerName') !== EG_CONTROLLER) report(cls, 'spec.controllerName', `must be ${EG_CONTROLLER} (Envoy Gateway)`);
  }

  // ---- HTTPRoutes ----
  const routes = objects.filter((o) => o.obj.kind === 'HTTPRoute');
  if (routes.length !== 1) issues.push({ file: 'deploy/envoy-gateway/base', path: '', message: `expected one HTTPRoute, found ${routes.length}` });
  for (const route of routes) {
    const ns = metaNamespace(route.obj);
    const hostnames = (getPath(route.obj, 'spec', 'hostnames') as unknown[] | undefined ?? []).map(String);
    objectList(getPath(route.obj, 'spec', 'parentRefs')).forEach((ref, i) => {
      const gw = find(objects, 'Gateway', String(ref.name), typeof ref.namespace === 'string' ? ref.namespace : ns);
      if (gw === undefined || gw.obj.apiVersion !== 'gateway.networking.k8s.io/v1') {
        report(route, `spec.parentRefs[${i}]`, `no Gateway ${String(ref.name)}`);
        return;
      }
      const listenerHosts = objectList(getPath(gw.obj, 'spec', 'listeners')).map((l) => l.hostname).filter((h): h is string => typeof h === 'string');
      for (const h of hostnames) if (listenerHosts.length > 0 && !listenerHosts.includes(h)) report(route, 'spec.hostnames', `${h} is not a hostname of Gateway ${metaName(gw.obj)}`);
    });
    if (router !== undefined) issues.push(...checkRouteRules(route, objects, router));
  }

  // ---- policies: targets and backends ----
  const policies = objects.filter((o) => ['EnvoyExtensionPolicy', 'SecurityPolicy', 'ClientTrafficPolicy', 'BackendTrafficPolicy'].includes(String(o.obj.kind)));
  for (const policy of policies) {
    objectList(getPath(policy.obj, 'spec', 'targetRefs')).forEach((ref, i) => {
      const target = objects.find((o) => o.obj.kind === ref.kind && metaName(o.obj) === ref.name && metaNamespace(o.obj) === metaNamespace(policy.obj) && String(o.obj.apiVersion).startsWith(`${String(ref.group)}/`));
      if (target === undefined) report(policy, `spec.targetRefs[${i}]`, `no ${String(ref.kind)} ${String(ref.name)} (group ${String(ref.group)}) in namespace ${String(metaNamespace(policy.obj))}`);
    });
  }
  const ctp = objects.filter((o) => o.obj.kind === 'ClientTrafficPolicy');
  const strips = ctp.some((o) => (getPath(o.obj, 'spec', 'headers', 'earlyRequestHeaders', 'remove') as unknown[] | undefined ?? []).map((h) => String(h).toLowerCase()).includes(ROUTING_HEADER)
    && objectList(getPath(o.obj, 'spec', 'targetRefs')).some((r) => r.kind === 'Gateway'));
  if (!strips) issues.push({ file: 'deploy/envoy-gateway/base', path: '', message: `no ClientTrafficPolicy on the Gateway removes a client-sent ${ROUTING_HEADER} (earlyRequestHeaders.remove)` });

  // Envoy's 60 KiB header limit: raised by a JSON patch of the Gateway listener's HCM.
  const listenerNames = new Set(objects.filter((o) => o.obj.kind === 'Gateway' && String(o.obj.apiVersion).startsWith('gateway.networking.k8s.io/'))
    .flatMap((gw) => objectList(getPath(gw.obj, 'spec', 'listeners')).map((l) => `${String(metaNamespace(gw.obj))}/${metaName(gw.obj)}/${String(l.name)}`)));
  const raisesLimit = objects.filter((o) => o.obj.kind === 'EnvoyPatchPolicy').some((epp) => objectList(getPath(epp.obj, 'spec', 'jsonPatches')).some((p, i) => {
    const at = `spec.jsonPatches[${i}]`;
    if (p.type !== 'type.googleapis.com/envoy.config.listener.v3.Listener') return false;
    if (!listenerNames.has(String(p.name))) {
      report(epp, `${at}.name`, `${String(p.name)} is not a listener of the Gateway (<namespace>/<gateway>/<listener>: ${[...listenerNames].join(', ')})`);
      return false;
    }
    const path = getPath(p, 'operation', 'path');
    const value = getPath(p, 'operation', 'value');
    if (path !== '/default_filter_chain/filters/0/typed_config/max_request_headers_kb') return false;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 8192) {
      report(epp, `${at}.operation.value`, 'max_request_headers_kb takes an integer 1-8192');
      return false;
    }
    if (value < TRINO_HEADER_KB) report(epp, `${at}.operation.value`, `${value} KiB is below the ${TRINO_HEADER_KB} KiB envoy/envoy.yaml allows Trino's headers`);
    return value >= TRINO_HEADER_KB;
  }));
  if (!raisesLimit) issues.push({ file: 'deploy/envoy-gateway/base', path: '', message: `no EnvoyPatchPolicy raises the Gateway listener's max_request_headers_kb to ${TRINO_HEADER_KB} (Envoy's default 60 KiB answers 431 to large OAuth2/JWT headers)` });

  // ---- circuit breakers on the backend clusters (Envoy Gateway keeps Envoy's 1024) ----
  const btps = objects.filter((o) => o.obj.kind === 'BackendTrafficPolicy');
  for (const route of routes) {
    const covering = btps.filter((b) => metaNamespace(b.obj) === metaNamespace(route.obj)
      && objectList(getPath(b.obj, 'spec', 'targetRefs')).some((r) => r.kind === 'HTTPRoute' && r.name === metaName(route.obj)));
    if (covering.length === 0) {
      issues.push({ file: route.source, path: `HTTPRoute ${metaName(route.obj)}`, message: 'no BackendTrafficPolicy gives its backends circuit breakers: Envoy Gateway keeps Envoy\'s 1024 connections / pending / requests, past which requests fail with 503 UO' });
    }
    for (const b of covering) checkGeneratedCluster(protos, getPath(b.obj, 'spec'), false, `of HTTPRoute ${metaName(route.obj)}`, (path, message) => report(b, `spec${path}`, message));
  }

  // ---- ext_proc: the graceful-close runtime flag on the Gateway's proxies ----
  const eeps = objects.filter((o) => o.obj.kind === 'EnvoyExtensionPolicy');
  if (eeps.length > 0) {
    for (const gw of objects.filter((o) => o.obj.kind === 'Gateway' && String(o.obj.apiVersion).startsWith('gateway.networking.k8s.io/'))) checkGatewayBootstrap(gw, objects, protos, report);
  }
  if (eeps.length === 0) issues.push({ file: 'deploy/envoy-gateway/ext-proc', path: '', message: 'no EnvoyExtensionPolicy' });
  for (const eep of eeps) {
    objectList(getPath(eep.obj, 'spec', 'extProc')).forEach((extProc, i) => {
      const at = `spec.extProc[${i}]`;
      checkRouterBackendRef(eep, `${at}.backendRefs[0]`, objectList(extProc.backendRefs)[0], router, router?.extProcServicePort.port, report);
      if (getPath(extProc, 'processingMode', 'request') === undefined) report(eep, `${at}.processingMode.request`, 'must be set: Envoy Gateway skips request headers otherwise, and the router sees nothing');
      const envoy = translateExtProc(extProc);
      const asAny = checkProtoJson(protos, 'google.protobuf.Any', envoy);
      for (const d of asAny.issues) report(eep, `${at} (as Envoy ExternalProcessor ${d.path})`, d.message);
      checkExtProcContract(envoy, [], (path, message) => report(eep, `${at} (as Envoy ${path.join('.')})`, message));
      if (referenceExtProc !== undefined) for (const m of compareExtProc(envoy, referenceExtProc)) report(eep, `${at} (as Envoy)`, m);
      checkGeneratedCluster(protos, extProc.backendSettings, true, 'of the router (ext_proc)', (path, message) => report(eep, `${at}.backendSettings${path}`, message));
    });
  }

  const sps = objects.filter((o) => o.obj.kind === 'SecurityPolicy');
  if (sps.length === 0) issues.push({ file: 'deploy/envoy-gateway/ext-authz', path: '', message: 'no SecurityPolicy' });
  for (const sp of sps) {
    const extAuth = getPath(sp.obj, 'spec', 'extAuth');
    if (extAuth === undefined) continue;
    checkRouterBackendRef(sp, 'spec.extAuth.grpc.backendRefs[0]', objectList(getPath(extAuth, 'grpc', 'backendRefs'))[0], router, router?.extAuthzServicePort, report);
    if (router !== undefined && router.config.listen.extAuthz === null) report(sp, 'spec.extAuth', 'the router config does not serve ext_authz (listen.extAuthz is null)');
    const envoy = translateExtAuth(extAuth as Obj);
    const decoded = checkProtoJson(protos, 'google.protobuf.Any', envoy);
    for (const d of decoded.issues) report(sp, `spec.extAuth (as Envoy ExtAuthz ${d.path})`, d.message);
    checkExtAuthzContract(envoy, [], (path, message) => report(sp, `spec.extAuth (as Envoy ${path.join('.')})`, message));
    checkGeneratedCluster(protos, getPath(extAuth, 'grpc', 'backendSettings'), true, 'of the router (ext_authz)', (path, message) => report(sp, `spec.extAuth.grpc.backendSettings${path}`, message));
  }
  return { issues, files: read };
}

function checkRouterBackendRef(
  policy: K8sObject,
  at: string,
  ref: Obj | undefined,
  router: RouterDeploymentFacts | undefined,
  port: number | undefined,
  report: (o: K8sObject, path: string, message: string) => void,
): void {
  if (ref === undefined) {
    report(policy, at, 'needs a backendRef to the router Service');
    return;
  }
  if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') report(policy, at, 'must reference a core Service');
  if (router === undefined) return;
  const ns = typeof ref.namespace === 'string' ? ref.namespace : metaNamespace(policy.obj);
  if (ref.name !== router.serviceName || ns !== router.namespace) report(policy, at, `must be the router Service ${router.namespace}/${router.serviceName} (a Service in another namespace needs a ReferenceGrant)`);
  if (port === undefined) report(policy, `${at}.port`, 'the router Service has no port for this (ext_proc / ext_authz) listener');
  else if (ref.port !== port) report(policy, `${at}.port`, `must be ${port}, the router Service port reaching the router's listener`);
}

/** One rule per backend on x-trino-cluster (to its Service, no timeout), plus a closed catch-all. */
function checkRouteRules(route: K8sObject, objects: readonly K8sObject[], router: RouterDeploymentFacts): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ file: route.source, path: `HTTPRoute ${metaName(route.obj)} ${path}`, message });
  };
  const backends = backendEndpoints(router.config);
  const covered = new Set<string>();
  let catchAll = 0;
  objectList(getPath(route.obj, 'spec', 'rules')).forEach((rule, i) => {
    const headerMatches = objectList(rule.matches).flatMap((m) => objectList(m.headers));
    if (headerMatches.length === 0) {
      catchAll++;
      const filter = objectList(rule.filters).find((f) => f.type === 'ExtensionRef');
      const ref = getPath(filter, 'extensionRef');
      const target = ref === undefined ? undefined : find(objects, String(getPath(ref, 'kind')), String(getPath(ref, 'name')), metaNamespace(route.obj));
      const status = getPath(target?.obj, 'spec', 'directResponse', 'statusCode');
      if (objectList(rule.backendRefs).length > 0 || target === undefined || typeof status !== 'number' || status < 500) {
        add(`spec.rules[${i}]`, 'the rule without a header match (where ext_proc/ext_authz first runs) must answer 5xx through an HTTPRouteFilter directResponse, never forward');
      }
      return;
    }
    for (const h of headerMatches) {
      if (String(h.name).toLowerCase() !== ROUTING_HEADER || (h.type ?? 'Exact') !== 'Exact') {
        add(`spec.rules[${i}].matches`, `match exactly on ${ROUTING_HEADER} only (the router decides)`);
        continue;
      }
      const name = String(h.value);
      const backend = backends.get(name);
      if (backend === undefined) {
        add(`spec.rules[${i}].matches`, `${name} is not a backend of the router config`);
        continue;
      }
      covered.add(name);
      const svc = serviceHost(backend.host);
      const refs = objectList(rule.backendRefs);
      const ref = refs[0];
      const refNs = typeof ref?.namespace === 'string' ? ref.namespace : metaNamespace(route.obj);
      if (refs.length !== 1 || svc === undefined || ref?.name !== svc.service || refNs !== svc.namespace || ref.port !== backend.port || (ref.kind ?? 'Service') !== 'Service') {
        add(`spec.rules[${i}].backendRefs`, `must be backend ${name}'s Service ${backend.host}:${backend.port} (the address the router health-checks)`);
      }
      const removes = objectList(rule.filters).filter((f) => f.type === 'RequestHeaderModifier').flatMap((f) => (getPath(f, 'requestHeaderModifier', 'remove') as unknown[] | undefined ?? []).map((h) => String(h).toLowerCase()));
      if (!removes.includes(ROUTING_HEADER)) add(`spec.rules[${i}].filters`, `remove ${ROUTING_HEADER} before the request goes upstream (RequestHeaderModifier)`);
      if (getPath(rule, 'timeouts', 'request') !== '0s') add(`spec.rules[${i}].timeouts.request`, 'must be 0s: a long Trino request must not be cut (Envoy\'s default is 15 s)');
    }
  });
  for (const name of backends.keys()) if (!covered.has(name)) add('spec.rules', `no rule for backend ${name} (${ROUTING_HEADER}: ${name})`);
  if (catchAll !== 1) add('spec.rules', `expected exactly one rule without a header match (found ${catchAll})`);
  return issues;
}
