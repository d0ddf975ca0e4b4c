/**
 * deploy/istio: the Istio ingress gateway in front of Trino, with the router as ext_proc
 * (EnvoyFilter) or as an ext_authz extension provider (meshConfig + AuthorizationPolicy
 * CUSTOM).
 *
 * Checked: the shapes (k8s-schemas.ts); every EnvoyFilter patch value decoded against Envoy's
 * protos as the message its applyTo names (a MERGE value as a fragment); filters added
 * disabled are enabled on the Trino virtual host; the ext_proc filter obeys the router contract
 * and matches envoy/envoy.yaml's settings; its envoy_grpc cluster is Istio's name for the
 * router Service port (`outbound|<port>||<service>.<namespace>.svc.cluster.local`); the
 * client's x-trino-cluster is removed first in the chain; the VirtualService has one route per
 * router backend matching x-trino-cluster exactly and going to that backend's Service and
 * port, then a catch-all that fails closed; selectors, hosts and the provider name agree
 * across files; the extension provider points at the router Service's ext_authz port with
 * clearRouteCache; the ext_proc variant's graceful-close runtime flag in the istiod values
 * (ProxyConfig.runtimeValues); HTTP/2 pings on Istio's cluster for the router Service (a
 * CLUSTER MERGE patch); no DestinationRule or cluster patch lowering the circuit breakers below
 * the router's xDS clusters' (Istio's own defaults are 2^32-1).
 */
import { parse as parseYaml } from 'yaml';
import { isRecord, type Issue } from './issues.js';
import { checkObjects, getPath, loadFolder, metaName, metaNamespace, objectList, type K8sBuild, type K8sObject } from './kubernetes.js';
import { istiodExtProcValuesSchema, istiodValuesSchema, issuePath } from './k8s-schemas.js';
import { checkProtoJson, type EnvoyProtos } from './proto-json.js';
import { DEFAULT_XDS_CIRCUIT_BREAKERS } from '../../../src/config/schema.js';
import { EXT_PROC_GRACEFUL_CLOSE_KEY, toRuntimeSettings } from '../../standins/envoy/config.js';
import {
  anyType,
  BOOTSTRAP,
  checkCircuitBreakers,
  checkConnectionKeepalive,
  checkExtAuthzContract,
  checkExtProcContract,
  EARLY_HEADER_MUTATION_TYPE,
  EXT_PROC_TYPE,
  field,
  HEADER_MUTATION_TYPE,
} from './envoy-config.js';
import type { RepoFiles } from './repo-files.js';
import type { RouterDeploymentFacts } from './k8s-router.js';
import { backendEndpoints } from './router-config.js';
import { compareExtProc, ROUTING_HEADER } from './reference.js';

export const ISTIO_DIRS = ['deploy/istio/base', 'deploy/istio/ext-proc', 'deploy/istio/ext-authz'] as const;
export const ISTIOD_VALUES = 'deploy/istio/istiod-ext-authz-values.yaml';
export const ISTIOD_EXT_PROC_VALUES = 'deploy/istio/istiod-ext-proc-values.yaml';

/** The Envoy message an EnvoyFilter patch value is, by applyTo. */
const PATCH_TYPES: Readonly<Record<string, string>> = {
  LISTENER: 'envoy.config.listener.v3.Listener',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
};

const FILTER_CONFIG_TYPE = 'envoy.config.route.v3.FilterConfig';

export interface IstioCheck {
  readonly issues: Issue[];
  readonly files: Set<string>;
}

interface Patch {
  readonly source: K8sObject;
  readonly index: number;
  readonly applyTo: string;
  readonly operation: string;
  readonly match: Record<string, unknown>;
  readonly value: Record<string, unknown>;
}

export function checkIstio(files: RepoFiles, protos: EnvoyProtos, router: RouterDeploymentFacts | undefined, referenceExtProc: Record<string, unknown> | undefined): IstioCheck {
  const builds: K8sBuild[] = ISTIO_DIRS.map((dir) => loadFolder(files, dir));
  const issues: Issue[] = builds.flatMap((b) => checkObjects(b));
  const read = new Set(builds.flatMap((b) => [...b.files]));
  const objects = builds.flatMap((b) => b.objects);
  const report = (o: K8sObject, path: string, message: string): void => {
    issues.push({ file: o.source, path: `${String(o.obj.kind)} ${metaName(o.obj)}${path === '' ? '' : ` ${path}`}`, message });
  };

  // ---- Gateway and VirtualService ----
  const gateways = objects.filter((o) => o.obj.apiVersion === 'networking.istio.io/v1' && o.obj.kind === 'Gateway');
  if (gateways.length !== 1) issues.push({ file: 'deploy/istio/base', path: '', message: `expected one Istio Gateway, found ${gateways.length}` });
  const gateway = gateways[0];
  const gatewaySelector = gateway === undefined ? {} : (getPath(gateway.obj, 'spec', 'selector') as Record<string, unknown>);
  const gatewayHosts = gateway === undefined ? [] : objectList(getPath(gateway.obj, 'spec', 'servers')).flatMap((s) => (Array.isArray(s.hosts) ? s.hosts.map(String) : []));
  const trinoHosts = new Set<string>();
  for (const vs of objects.filter((o) => o.obj.kind === 'VirtualService')) {
    const hosts = (getPath(vs.obj, 'spec', 'hosts') as unknown[] | undefined ?? []).map(String);
    hosts.forEach((h) => trinoHosts.add(h));
    for (const h of hosts) if (!gatewayHosts.includes(h)) report(vs, 'spec.hosts', `${h} is not a host of the Gateway`);
    const refs = (getPath(vs.obj, 'spec', 'gateways') as unknown[] | undefined ?? []).map(String);
    for (const ref of refs) {
      const [ns, name] = ref.includes('/') ? ref.split('/') : [metaNamespace(vs.obj), ref];
      if (gateway === undefined || metaName(gateway.obj) !== name || metaNamespace(gateway.obj) !== ns) report(vs, 'spec.gateways', `${ref} is not the Gateway ${gateway === undefined ? '' : `${metaNamespace(gateway.obj)}/${metaName(gateway.obj)}`}`);
    }
    if (refs.length === 0) report(vs, 'spec.gateways', 'bind the VirtualService to the ingress Gateway');
    if (router !== undefined) issues.push(...checkHeaderRoutes(vs, router));
  }

  // ---- EnvoyFilters ----
  const patches: Patch[] = [];
  for (const ef of objects.filter((o) => o.obj.kind === 'EnvoyFilter')) {
    const selector = getPath(ef.obj, 'spec', 'workloadSelector', 'labels');
    if (JSON.stringify(selector) !== JSON.stringify(gatewaySelector)) report(ef, 'spec.workloadSelector.labels', `must select the ingress gateway (${JSON.stringify(gatewaySelector)})`);
    if (metaNamespace(ef.obj) !== 'istio-system') report(ef, 'metadata.namespace', 'an EnvoyFilter with a workloadSelector applies to its own namespace only: put it where the gateway runs (istio-system)');
    objectList(getPath(ef.obj, 'spec', 'configPatches')).forEach((p, index) => {
      patches.push({
        source: ef,
        index,
        applyTo: String(p.applyTo),
        operation: String(getPath(p, 'patch', 'operation')),
        match: isRecord(p.match) ? p.match : {},
        value: isRecord(getPath(p, 'patch', 'value')) ? (getPath(p, 'patch', 'value') as Record<string, unknown>) : {},
      });
    });
  }
  for (const p of patches) {
    const at = `spec.configPatches[${p.index}]`;
    if (p.match.context !== 'GATEWAY') report(p.source, `${at}.match.context`, 'must be GATEWAY (the ingress gateway)');
    const typeName = PATCH_TYPES[p.applyTo];
    if (typeName === undefined) {
      report(p.source, `${at}.applyTo`, `no Envoy type known for ${p.applyTo}`);
      continue;
    }
    const decoded = checkProtoJson(protos, typeName, p.value, { partial: p.operation === 'MERGE' });
    for (const i of decoded.issues) report(p.source, `${at}.patch.value${i.path === '' ? '' : `.${i.path}`}`, i.message);
    if (p.applyTo === 'HTTP_FILTER' && (p.operation === 'INSERT_BEFORE' || p.operation === 'INSERT_AFTER') && getPath(p.match, 'listener', 'filterChain', 'filter', 'subFilter', 'name') === undefined) {
      report(p.source, `${at}.match.listener.filterChain.filter.subFilter`, `${p.operation} needs the filter to insert relative to`);
    }
    const vhost = getPath(p.match, 'routeConfiguration', 'vhost', 'domainName') ?? getPath(p.match, 'routeConfiguration', 'vhost', 'name');
    if (p.applyTo === 'VIRTUAL_HOST' && !(typeof vhost === 'string' && [...trinoHosts].some((h) => vhost === h || vhost.startsWith(`${h}:`)))) {
      report(p.source, `${at}.match.routeConfiguration.vhost`, `must select the Trino virtual host (${[...trinoHosts].join(', ')})`);
    }
  }
  const httpFilters = patches.filter((p) => p.applyTo === 'HTTP_FILTER' && p.operation.startsWith('INSERT'));
  const enabled = new Set(patches.filter((p) => p.applyTo === 'VIRTUAL_HOST').flatMap((p) => {
    const configs = field(p.value, 'typed_per_filter_config');
    if (!isRecord(configs)) return [];
    return Object.entries(configs).filter(([, c]) => anyType(c) === FILTER_CONFIG_TYPE && field(c, 'disabled') !== true && isRecord(field(c, 'config'))).map(([name]) => `${metaName(p.source.obj)}\u0000${name}`);
  }));
  const enabledAnywhere = new Set([...enabled].map((e) => e.split('\u0000')[1]));
  for (const p of httpFilters) {
    const name = String(p.value.name);
    if (p.value.disabled === true && !enabledAnywhere.has(name)) report(p.source, `spec.configPatches[${p.index}].patch.value`, `filter ${name} is added disabled and no VIRTUAL_HOST patch enables it (typed_per_filter_config ${name}: FilterConfig{config: {}})`);
    const typed = p.value.typed_config;
    if (anyType(typed) === EXT_PROC_TYPE && isRecord(typed)) {
      const where = `spec.configPatches[${p.index}].patch.value.typed_config`;
      checkExtProcContract(typed, [], (path, message) => report(p.source, `${where}${path.length === 0 ? '' : `.${path.join('.')}`}`, message));
      if (referenceExtProc !== undefined) for (const m of compareExtProc(typed, referenceExtProc)) report(p.source, where, m);
      // Trino clients retry 503, not Envoy's default 500: the same status_on_error as the tested file.
      if (referenceExtProc !== undefined && JSON.stringify(field(typed, 'status_on_error')) !== JSON.stringify(field(referenceExtProc, 'status_on_error'))) {
        report(p.source, `${where}.status_on_error`, `must be ${JSON.stringify(field(referenceExtProc, 'status_on_error'))} as in envoy/envoy.yaml (Trino clients retry 503, not Envoy's default 500)`);
      }
      if (router !== undefined) {
        const expected = `outbound|${router.extProcServicePort.port}||${router.serviceName}.${router.namespace}.svc.cluster.local`;
        const cluster = getPath(typed, 'grpc_service', 'envoy_grpc', 'cluster_name');
        if (cluster !== expected) report(p.source, `${where}.grpc_service.envoy_grpc.cluster_name`, `must be Istio's cluster for the router Service: ${expected}`);
      }
    }
    if (anyType(typed) === HEADER_MUTATION_TYPE) {
      const removes = objectList(getPath(typed, 'mutations', 'request_mutations')).map((m) => m.remove);
      // Envoy picks the route (and its cluster) before any HTTP filter runs: a filter strip, even first, is too late.
      if (removes.includes(ROUTING_HEADER)) report(p.source, `spec.configPatches[${p.index}]`, `an HTTP filter removing a client's ${ROUTING_HEADER} runs after the route is picked: remove it in the HCM's early_header_mutation_extensions (NETWORK_FILTER MERGE)`);
    }
  }
  // The protection that holds on a real Envoy: an HCM patch whose early header mutation removes the header.
  const stripsEarly = patches.some((p) => p.applyTo === 'NETWORK_FILTER' && p.operation === 'MERGE'
    && objectList(getPath(p.value, 'typed_config', 'early_header_mutation_extensions')).some((e) => anyType(e.typed_config) === EARLY_HEADER_MUTATION_TYPE
      && objectList(getPath(e.typed_config, 'mutations')).some((m) => m.remove === ROUTING_HEADER)));
  if (!stripsEarly) issues.push({ file: 'deploy/istio/base', path: '', message: `no EnvoyFilter removes a client-sent ${ROUTING_HEADER} in the gateway HCM's early_header_mutation_extensions (NETWORK_FILTER MERGE), before the route is picked` });
  for (const p of patches.filter((x) => x.applyTo === 'NETWORK_FILTER' && x.operation === 'MERGE')) {
    if (getPath(p.value, 'typed_config', 'max_request_headers_kb') !== undefined && getPath(p.match, 'listener', 'portNumber') === undefined) {
      report(p.source, `spec.configPatches[${p.index}].match.listener.portNumber`, 'an HCM patch without a listener port changes every listener of the gateway: match the Trino listener\'s port');
    }
  }
  issues.push(...checkRouterClusterPatches(patches, router, report));
  for (const dr of objects.filter((o) => o.obj.kind === 'DestinationRule')) issues.push(...checkDestinationRuleBreakers(dr));

  const extProcDir = builds[1] as K8sBuild;
  if (!extProcDir.objects.some((o) => o.obj.kind === 'EnvoyFilter' && objectList(getPath(o.obj, 'spec', 'configPatches')).some((p) => anyType(getPath(p, 'patch', 'value', 'typed_config')) === EXT_PROC_TYPE))) {
    issues.push({ file: 'deploy/istio/ext-proc', path: '', message: 'no EnvoyFilter inserts ext_proc' });
  }

  read.add(ISTIOD_EXT_PROC_VALUES);
  issues.push(...checkGracefulCloseValues(files, protos));

  // ---- ext_authz: extension provider + AuthorizationPolicy CUSTOM ----
  read.add(ISTIOD_VALUES);
  const providers = checkIstiodValues(files, protos, router, issues);
  const policies = objects.filter((o) => o.obj.kind === 'AuthorizationPolicy');
  if (policies.length === 0) issues.push({ file: 'deploy/istio/ext-authz', path: '', message: 'no AuthorizationPolicy' });
  for (const policy of policies) {
    if (policy.obj.kind !== 'AuthorizationPolicy') continue;
    if (getPath(policy.obj, 'spec', 'action') !== 'CUSTOM') report(policy, 'spec.action', 'must be CUSTOM (delegates to the router)');
    const provider = getPath(policy.obj, 'spec', 'provider', 'name');
    if (typeof provider !== 'string' || !providers.has(provider)) report(policy, 'spec.provider.name', `${String(provider)} is not an extension provider of ${ISTIOD_VALUES} (${[...providers].join(', ')})`);
    if (JSON.stringify(getPath(policy.obj, 'spec', 'selector', 'matchLabels')) !== JSON.stringify(gatewaySelector)) report(policy, 'spec.selector', `must select the ingress gateway (${JSON.stringify(gatewaySelector)})`);
    if (metaNamespace(policy.obj) !== 'istio-system') report(policy, 'metadata.namespace', 'a selector policy applies in its own namespace: put it where the gateway runs (istio-system)');
    const hosts = objectList(getPath(policy.obj, 'spec', 'rules')).flatMap((r) => objectList(r.to)).flatMap((t) => (getPath(t, 'operation', 'hosts') as unknown[] | undefined ?? []).map(String));
    for (const h of trinoHosts) if (!hosts.includes(h)) report(policy, 'spec.rules', `must cover host ${h}`);
  }
  return { issues, files: read };
}

/** One route per backend on x-trino-cluster, to the backend's own Service, then a closed catch-all. */
function checkHeaderRoutes(vs: K8sObject, router: RouterDeploymentFacts): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ file: vs.source, path: `VirtualService ${metaName(vs.obj)} ${path}`, message });
  };
  const routes = objectList(getPath(vs.obj, 'spec', 'http'));
  const backends = backendEndpoints(router.config);
  const covered = new Set<string>();
  routes.forEach((r, i) => {
    const matches = objectList(r.match);
    if (matches.length === 0) {
      if (i !== routes.length - 1) add(`spec.http[${i}]`, 'a route without match catches everything: it must be last');
      const status = getPath(r, 'directResponse', 'status');
      if (typeof status !== 'number' || status < 500) add(`spec.http[${i}]`, 'the catch-all must fail closed (directResponse 5xx), never pick a cluster');
      return;
    }
    for (const m of matches) {
      const header = getPath(m, 'headers', ROUTING_HEADER, 'exact');
      const others = Object.keys(isRecord(m.headers) ? m.headers : {}).filter((h) => h !== ROUTING_HEADER);
      if (typeof header !== 'string' || others.length > 0 || m.uri !== undefined) {
        add(`spec.http[${i}].match`, `match exactly on ${ROUTING_HEADER} only (the router decides)`);
        continue;
      }
      const backend = backends.get(header);
      if (backend === undefined) {
        add(`spec.http[${i}].match`, `${header} is not a backend of the router config`);
        continue;
      }
      covered.add(header);
      const dest = objectList(r.route);
      const host = getPath(dest[0], 'destination', 'host');
      const port = getPath(dest[0], 'destination', 'port', 'number');
      if (dest.length !== 1 || host !== backend.host || port !== backend.port) {
        add(`spec.http[${i}].route`, `must go to backend ${header}'s ${backend.host}:${backend.port} (the router probes and health-checks that address)`);
      }
      // Trino answers 400 to X-Presto-* clients that also send an X-Trino-* header.
      const removed = getPath(r, 'headers', 'request', 'remove');
      if (!Array.isArray(removed) || !removed.includes(ROUTING_HEADER)) add(`spec.http[${i}].headers.request.remove`, `remove ${ROUTING_HEADER} before the request goes upstream`);
    }
  });
  for (const name of backends.keys()) if (!covered.has(name)) add('spec.http', `no route for backend ${name} (x-trino-cluster: ${name})`);
  const last = routes[routes.length - 1];
  if (last === undefined || objectList(last.match).length > 0) add('spec.http', 'end with a catch-all that fails closed (directResponse 503)');
  return issues;
}

function checkIstiodValues(files: RepoFiles, protos: EnvoyProtos, router: RouterDeploymentFacts | undefined, issues: Issue[]): Set<string> {
  const providers = new Set<string>();
  if (!files.isFile(ISTIOD_VALUES)) {
    issues.push({ file: ISTIOD_VALUES, path: '', message: 'missing' });
    return providers;
  }
  const parsed = istiodValuesSchema.safeParse(parseYaml(files.read(ISTIOD_VALUES)));
  if (!parsed.success) {
    for (const i of parsed.error.issues) issues.push({ file: ISTIOD_VALUES, path: issuePath(i.path), message: i.message });
    return providers;
  }
  parsed.data.meshConfig.extensionProviders.forEach((p, i) => {
    providers.add(p.name);
    const at = `meshConfig.extensionProviders[${i}].envoyExtAuthzGrpc`;
    const add = (path: string, message: string): void => {
      issues.push({ file: ISTIOD_VALUES, path: `${at}${path}`, message });
    };
    const g = p.envoyExtAuthzGrpc;
    // Istio's generated ext_authz filter, in Envoy terms, obeys the same contract.
    const envoyEquivalent = {
      grpc_service: { envoy_grpc: { cluster_name: `outbound|${g.port}||${g.service}` }, ...(g.timeout === undefined ? {} : { timeout: normalizeDuration(g.timeout) }) },
      transport_api_version: 'V3',
      failure_mode_allow: g.failOpen ?? false,
      clear_route_cache: g.clearRouteCache ?? false,
      ...(g.statusOnError === undefined ? {} : { status_on_error: { code: Number(g.statusOnError) } }),
      ...(g.includeRequestBodyInCheck === undefined ? {} : {
        with_request_body: {
          max_request_bytes: g.includeRequestBodyInCheck.maxRequestBytes,
          allow_partial_message: g.includeRequestBodyInCheck.allowPartialMessage ?? false,
          pack_as_bytes: g.includeRequestBodyInCheck.packAsBytes ?? false,
        },
      }),
    };
    const decoded = checkProtoJson(protos, 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', envoyEquivalent);
    for (const d of decoded.issues) add(` (as Envoy ExtAuthz ${d.path})`, d.message);
    checkExtAuthzContract(envoyEquivalent, [], (path, message) => add(path.length === 0 ? '' : ` (Envoy ${path.join('.')})`, message));
    if (router !== undefined) {
      const host = `${router.serviceName}.${router.namespace}.svc.cluster.local`;
      if (g.service !== host) add('.service', `must be the router Service ${host}`);
      if (router.config.listen.extAuthz === null) add('', 'the router config does not serve ext_authz (listen.extAuthz is null)');
      else if (g.port !== router.extAuthzServicePort) add('.port', `must be the router Service port reaching listen.extAuthz (${String(router.extAuthzServicePort)})`);
    }
  });
  return providers;
}

/** Istio durations ("1s", "500ms") as proto JSON durations. */
function normalizeDuration(text: string): string {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (m === null) return text;
  const factor: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return `${Number(m[1]) * (factor[m[2] as string] as number)}s`;
}

/**
 * HTTP/2 pings on Istio's cluster for the router Service (one CLUSTER MERGE per router port the
 * gateway calls), and any circuit breakers such a patch sets equal to the router's xDS clusters'.
 */
function checkRouterClusterPatches(patches: readonly Patch[], router: RouterDeploymentFacts | undefined, report: (o: K8sObject, path: string, message: string) => void): Issue[] {
  const issues: Issue[] = [];
  const clusterPatches = patches.filter((p) => p.applyTo === 'CLUSTER');
  for (const p of clusterPatches) {
    if (field(p.value, 'circuit_breakers') === undefined) continue;
    checkCircuitBreakers(p.value, [], String(getPath(p.match, 'cluster', 'service')), (path, message) => report(p.source, `spec.configPatches[${p.index}].patch.value${path.length === 0 ? '' : `.${path.join('.')}`}`, message));
  }
  if (router === undefined) return issues;
  const host = `${router.serviceName}.${router.namespace}.svc.cluster.local`;
  const ports = new Set([router.extProcServicePort.port, ...(router.extAuthzServicePort === undefined ? [] : [router.extAuthzServicePort])]);
  for (const port of ports) {
    const name = `outbound|${port}||${host}`;
    const matching = clusterPatches.filter((p) => p.operation === 'MERGE' && getPath(p.match, 'cluster', 'service') === host && getPath(p.match, 'cluster', 'portNumber') === port);
    if (matching.length === 0) {
      issues.push({ file: 'deploy/istio/base', path: '', message: `no EnvoyFilter CLUSTER MERGE patch (match.cluster.service ${host}, portNumber ${port}) gives ${name} HTTP/2 connection_keepalive: a silently dead router stalls the gateway's connection until TCP gives up` });
      continue;
    }
    for (const p of matching) checkConnectionKeepalive(p.value, [], name, (path, message) => report(p.source, `spec.configPatches[${p.index}].patch.value${path.length === 0 ? '' : `.${path.join('.')}`}`, message));
  }
  return issues;
}

/**
 * Istio gives every cluster thresholds of 2^32-1 connections, pending and concurrent requests
 * and retries (pilot/pkg/networking/core/cluster_traffic_policy.go,
 * getDefaultCircuitBreakerThresholds), so the shipped files need no DestinationRule; one that
 * sets a connection pool lower than the router's xDS clusters' brings back overflow (503 UO).
 */
function checkDestinationRuleBreakers(dr: K8sObject): Issue[] {
  const pool = getPath(dr.obj, 'spec', 'trafficPolicy', 'connectionPool');
  const limits = [
    ['tcp.maxConnections', getPath(pool, 'tcp', 'maxConnections'), DEFAULT_XDS_CIRCUIT_BREAKERS.maxConnections],
    ['http.http1MaxPendingRequests', getPath(pool, 'http', 'http1MaxPendingRequests'), DEFAULT_XDS_CIRCUIT_BREAKERS.maxPendingRequests],
    ['http.http2MaxRequests', getPath(pool, 'http', 'http2MaxRequests'), DEFAULT_XDS_CIRCUIT_BREAKERS.maxRequests],
  ] as const;
  // Istio reads 0 as unset (the `> 0` guards of applyConnectionPool) and keeps its default.
  return limits.filter(([, value, floor]) => typeof value === 'number' && value > 0 && value < floor).map(([key, value, floor]) => ({
    file: dr.source,
    path: `DestinationRule ${metaName(dr.obj)} spec.trafficPolicy.connectionPool.${key}`,
    message: `${String(value)} is below ${floor}, the router's xDS circuit breakers (xds.circuitBreakers): past it requests fail with 503 UO (Istio's own default is 2^32-1)`,
  }));
}

/**
 * The ext_proc variant's runtime flag, set mesh-wide in ProxyConfig.runtimeValues. Istio writes
 * the map into a static layer of each proxy's bootstrap, "true"/"false" as booleans and "" as
 * "drop the key" (pkg/bootstrap/config.go extractRuntimeFlags); that layer is decoded as an
 * Envoy Bootstrap fragment and read the way Envoy reads runtime.
 */
function checkGracefulCloseValues(files: RepoFiles, protos: EnvoyProtos): Issue[] {
  const file = ISTIOD_EXT_PROC_VALUES;
  if (!files.isFile(file)) return [{ file, path: '', message: 'missing' }];
  const parsed = istiodExtProcValuesSchema.safeParse(parseYaml(files.read(file)));
  if (!parsed.success) return parsed.error.issues.map((i) => ({ file, path: issuePath(i.path), message: i.message }));
  const staticLayer: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed.data.meshConfig.defaultConfig.runtimeValues)) {
    if (value === '') continue;
    staticLayer[key] = value === 'true' ? true : value === 'false' ? false : value;
  }
  const layers = [{ name: 'global config', static_layer: staticLayer }];
  const issues: Issue[] = checkProtoJson(protos, BOOTSTRAP, { layered_runtime: { layers } }, { partial: true }).issues
    .map((i) => ({ file, path: `meshConfig.defaultConfig.runtimeValues (as Envoy Bootstrap ${i.path})`, message: i.message }));
  if (!toRuntimeSettings(layers).extProcGracefulClose) {
    issues.push({ file, path: 'meshConfig.defaultConfig.runtimeValues', message: `set ${EXT_PROC_GRACEFUL_CLOSE_KEY}: "true": without it Envoy resets every ext_proc stream, and past about 1,000 resets on one connection the router's HTTP/2 server answers GOAWAY (requests in flight fail)` });
  }
  return issues;
}
