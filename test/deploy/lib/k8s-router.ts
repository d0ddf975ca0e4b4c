/**
 * The router's own Kubernetes deployment (deploy/kubernetes and its overlays) and the demo
 * Trino clusters (deploy/kubernetes/trino-demo): what the router reads in its pod and whether
 * the ports, probes, mounts and Services agree with it.
 */
import { isUnixSocket, type RouterConfig } from '../../../src/config/index.js';
import { isRecord, type Issue } from './issues.js';
import {
  buildKustomization,
  checkObjects,
  containers,
  find,
  getPath,
  labelsMatch,
  metaName,
  metaNamespace,
  mountedConfigMapFile,
  objectList,
  type ExternalSecrets,
  type K8sBuild,
  type K8sObject,
} from './kubernetes.js';
import type { RepoFiles } from './repo-files.js';
import { checkSidecarSocket } from './k8s-sidecar.js';
import { backendEndpoints, envVariablesRead, parseRouterConfig, secretStandIn } from './router-config.js';
import { catalogConnector, coordinatorConfigProblems, nodeProperties, PREFIX_ROUTING_MIN_TRINO, trinoImageVersion } from './trino.js';

export const ROUTER_IMAGE = 'trino-envoy-router';
/** The Dockerfile's CMD: `serve --config` this file. */
export const DEFAULT_CONFIG_PATH = '/etc/trino-envoy-router/config.yaml';

/**
 * The Secret the README tells operators to create, and its keys. Shipping it with values
 * would commit secrets; the check makes sure the manifests ask for nothing else.
 */
export const OPERATOR_SECRETS: ExternalSecrets = { 'trino-envoy-router': ['prefix-key', 'admin-token', 'postgres-password', 'store-url'] };

export interface RouterDeploymentFacts {
  readonly config: RouterConfig;
  readonly namespace: string;
  readonly serviceName: string;
  /** Service port (number) that reaches the router's ext_proc listener, and its name. */
  readonly extProcServicePort: { readonly port: number; readonly name: string; readonly appProtocol: string | undefined };
  /** Service port reaching listen.extAuthz, when ext_authz is on. */
  readonly extAuthzServicePort: number | undefined;
}

export interface RouterDeploymentCheck {
  readonly issues: Issue[];
  readonly facts: RouterDeploymentFacts | undefined;
  readonly build: K8sBuild;
}

/** Builds `dir` (a kustomization) and checks the router Deployment in it. */
export function checkRouterKustomization(files: RepoFiles, dir: string): RouterDeploymentCheck {
  const build = buildKustomization(files, dir);
  const issues = checkObjects(build, OPERATOR_SECRETS);
  const routers = build.objects.filter((o) => o.obj.kind === 'Deployment' && containers(o).some(isRouterContainer));
  if (routers.length !== 1) {
    issues.push({ file: `${dir}/kustomization.yaml`, path: '', message: `expected one router Deployment, found ${routers.length}` });
    return { issues, facts: undefined, build };
  }
  const facts = checkRouterPod(files, build, routers[0] as K8sObject, issues);
  return { issues, facts, build };
}

function isRouterContainer(c: Record<string, unknown>): boolean {
  return typeof c.image === 'string' && (c.image === ROUTER_IMAGE || c.image.startsWith(`${ROUTER_IMAGE}:`) || c.image.includes(`/${ROUTER_IMAGE}:`));
}

function checkRouterPod(files: RepoFiles, build: K8sBuild, deployment: K8sObject, issues: Issue[]): RouterDeploymentFacts | undefined {
  const container = containers(deployment).find(isRouterContainer) as Record<string, unknown>;
  const where = `Deployment ${metaName(deployment.obj)} router container`;
  const add = (path: string, message: string, file = deployment.source): void => {
    issues.push({ file, path: `${where}${path === '' ? '' : ` ${path}`}`, message });
  };
  const namespace = metaNamespace(deployment.obj) ?? '';

  // The command line: `serve --config <path>` (the image's CMD when args are absent).
  const args = Array.isArray(container.args) ? container.args.map(String) : ['serve', '--config', DEFAULT_CONFIG_PATH];
  if (container.command !== undefined) add('command', 'leave command to the image (ENTRYPOINT node dist/src/main.js)');
  if (args[0] !== 'serve') add('args', 'must start with serve');
  const flag = args.indexOf('--config');
  const configPath = flag >= 0 ? args[flag + 1] : DEFAULT_CONFIG_PATH;
  if (configPath === undefined) {
    add('args', '--config needs a file');
    return undefined;
  }
  const mounted = mountedConfigMapFile(build.objects, deployment, container, configPath);
  if ('error' in mounted) {
    add('volumeMounts', `the router reads ${configPath}: ${mounted.error}`);
    return undefined;
  }

  // The environment the router sees (secrets replaced by stand-ins).
  const env: Record<string, string> = {};
  for (const e of objectList(container.env)) {
    env[String(e.name)] = typeof e.value === 'string' ? e.value : secretStandIn(String(getPath(e, 'valueFrom', 'secretKeyRef', 'key') ?? ''));
  }
  for (const variable of envVariablesRead(mounted.text)) {
    if (!(variable in env)) add('env', `the config reads ${variable}, which the container does not set`, mounted.configMap.source);
  }
  const loaded = parseRouterConfig(mounted.text, `${mounted.configMap.source} (ConfigMap ${metaName(mounted.configMap.obj)}, key ${mounted.key})`, env, configPath);
  issues.push(...loaded.issues);
  const config = loaded.config;
  if (config === undefined) return undefined;
  const { extProc, extAuthz } = config.listen;
  if (extAuthz !== null && isUnixSocket(extAuthz)) add('', 'listen.extAuthz on a Unix socket: the shipped sidecar Envoy speaks ext_proc (envoy/envoy-sidecar.yaml)');
  const sidecar = isUnixSocket(extProc);
  if (sidecar) checkSidecarSocket(files, build, deployment, container, extProc.socketPath, add);

  // Ports, probes and the Service.
  const ports = objectList(container.ports);
  const portNamed = (port: number): Record<string, unknown> | undefined => ports.find((p) => p.containerPort === port);
  if (!sidecar && portNamed(extProc.port) === undefined) add('ports', `listen.extProc port ${extProc.port} is not a container port`);
  if (config.listen.metrics !== null && portNamed(config.listen.metrics.port) === undefined) add('ports', `listen.metrics port ${config.listen.metrics.port} is not a container port`);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const grpcPort = getPath(container, probe, 'grpc', 'port');
    if (grpcPort === undefined) {
      add(probe, 'probe the router over gRPC health (grpc.port = listen.admin port)');
      continue;
    }
    if (config.listen.admin === null) add(`${probe}.grpc.port`, 'listen.admin is null: grpc.health.v1 is not served');
    else {
      if (grpcPort !== config.listen.admin.port) add(`${probe}.grpc.port`, `${String(grpcPort)} is not listen.admin's port ${config.listen.admin.port} (where grpc.health.v1 is served)`);
      if (config.listen.admin.host === '127.0.0.1' || config.listen.admin.host === 'localhost' || config.listen.admin.host === '::1') {
        add(`${probe}.grpc.port`, `the kubelet probes the pod IP, but listen.admin is ${config.listen.admin.host}`);
      }
    }
  }

  // Writable paths: the SQLite store must be on a writable volume.
  const mounts = objectList(container.volumeMounts);
  const writableMount = (path: string): boolean => mounts.some((m) => m.readOnly !== true && (path === m.mountPath || path.startsWith(`${String(m.mountPath)}/`)));
  const storeDir = config.store.path.replace(/\/[^/]+$/, '');
  if (config.store.kind === 'sqlite' && !writableMount(storeDir)) add('volumeMounts', `the store (${config.store.path}) is not on a writable volume`);
  if (getPath(container, 'securityContext', 'readOnlyRootFilesystem') !== true) add('securityContext.readOnlyRootFilesystem', 'the router writes only to its volumes: set true');

  // A sidecar router has no Service of its own for ext_proc: its Envoy is in the pod.
  if (isUnixSocket(extProc)) return undefined;
  const services = build.objects.filter((o) => o.obj.kind === 'Service' && metaNamespace(o.obj) === namespace
    && labelsMatch(getPath(o.obj, 'spec', 'selector'), getPath(deployment.obj, 'spec', 'template', 'metadata', 'labels')));
  if (services.length !== 1) {
    add('', `expected one Service for the router pods, found ${services.length}`);
    return undefined;
  }
  const service = services[0] as K8sObject;
  const servicePortFor = (containerPort: number): Record<string, unknown> | undefined => {
    const cp = portNamed(containerPort);
    return objectList(getPath(service.obj, 'spec', 'ports')).find((p) => {
      const target = p.targetPort ?? p.port;
      return typeof target === 'string' ? cp?.name === target : target === containerPort;
    });
  };
  const extProcService = servicePortFor(extProc.port);
  if (extProcService === undefined) {
    issues.push({ file: service.source, path: `Service ${metaName(service.obj)} spec.ports`, message: `no port reaches listen.extProc (${extProc.port})` });
    return undefined;
  }
  const grpcProtocol = String(extProcService.name).startsWith('grpc') || extProcService.appProtocol === 'grpc' || extProcService.appProtocol === 'kubernetes.io/h2c';
  if (!grpcProtocol) issues.push({ file: service.source, path: `Service ${metaName(service.obj)} spec.ports`, message: 'name the ext_proc port grpc-* (or appProtocol grpc) so meshes use HTTP/2' });
  const extAuthzService = extAuthz === null || isUnixSocket(extAuthz) ? undefined : servicePortFor(extAuthz.port);
  if (extAuthz !== null && !isUnixSocket(extAuthz) && extAuthzService === undefined) {
    issues.push({ file: service.source, path: `Service ${metaName(service.obj)} spec.ports`, message: `no port reaches listen.extAuthz (${extAuthz.port})` });
  }
  return {
    config,
    namespace,
    serviceName: metaName(service.obj),
    extProcServicePort: { port: Number(extProcService.port), name: String(extProcService.name), appProtocol: typeof extProcService.appProtocol === 'string' ? extProcService.appProtocol : undefined },
    extAuthzServicePort: extAuthzService === undefined ? undefined : Number(extAuthzService.port),
  };
}

/** `<service>.<namespace>.svc.cluster.local` (or `<service>.<namespace>.svc`) -> its parts. */
export function serviceHost(host: string): { service: string; namespace: string } | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$/.exec(host);
  return m === null ? undefined : { service: m[1] as string, namespace: m[2] as string };
}

/**
 * The router's backends against Services of a build (the Trino clusters): each backend URL is
 * `<service>.<namespace>.svc.cluster.local:<port>` of a Service with that port, whose pods are
 * Trino coordinators set up for Envoy (process-forwarded, a recent enough version for prefix
 * routing, the tpch catalog, node.id = backend name).
 */
export function checkBackendsAgainstServices(config: RouterConfig, configFile: string, build: K8sBuild): Issue[] {
  const issues: Issue[] = [];
  for (const [name, endpoint] of backendEndpoints(config)) {
    const at = `backends[${name}].url`;
    const svc = serviceHost(endpoint.host);
    if (svc === undefined) {
      issues.push({ file: configFile, path: at, message: `${endpoint.host} is not a Kubernetes Service host (<service>.<namespace>.svc.cluster.local)` });
      continue;
    }
    const service = find(build.objects, 'Service', svc.service, svc.namespace);
    if (service === undefined) {
      issues.push({ file: configFile, path: at, message: `no Service ${svc.service} in namespace ${svc.namespace}` });
      continue;
    }
    const port = objectList(getPath(service.obj, 'spec', 'ports')).find((p) => p.port === endpoint.port);
    if (port === undefined) {
      issues.push({ file: configFile, path: at, message: `Service ${svc.service} has no port ${endpoint.port}` });
      continue;
    }
    const pods = build.objects.filter((o) => o.obj.kind === 'Deployment' && labelsMatch(getPath(service.obj, 'spec', 'selector'), getPath(o.obj, 'spec', 'template', 'metadata', 'labels')));
    for (const pod of pods) {
      for (const c of containers(pod)) {
        if (typeof c.image !== 'string' || trinoImageVersion(c.image) === undefined) continue;
        issues.push(...checkTrinoContainer(build, pod, c, name, endpoint.prefixRouting));
      }
    }
  }
  return issues;
}

function checkTrinoContainer(build: K8sBuild, pod: K8sObject, c: Record<string, unknown>, backend: string, prefixRouting: boolean): Issue[] {
  const issues: Issue[] = [];
  const add = (message: string): void => {
    issues.push({ file: pod.source, path: `Deployment ${metaName(pod.obj)} container ${String(c.name)}`, message });
  };
  const version = trinoImageVersion(String(c.image)) as number;
  if (prefixRouting && version < PREFIX_ROUTING_MIN_TRINO) add(`backend ${backend} has prefixRouting: true, which needs Trino ${PREFIX_ROUTING_MIN_TRINO}+ (image is ${version})`);
  const config = mountedConfigMapFile(build.objects, pod, c, '/etc/trino/config.properties');
  if ('error' in config) add(`/etc/trino/config.properties: ${config.error}`);
  else for (const p of coordinatorConfigProblems(config.text).problems) add(`config.properties: ${p}`);
  const node = mountedConfigMapFile(build.objects, pod, c, '/etc/trino/node.properties');
  if ('error' in node) add(`/etc/trino/node.properties: ${node.error}`);
  else {
    const parsed = nodeProperties(node.text);
    for (const p of parsed.problems) add(`node.properties: ${p}`);
    if (parsed.nodeId !== backend) add(`node.properties: node.id ${String(parsed.nodeId)} should be the backend name ${backend} (the README's query shows it)`);
  }
  const tpch = mountedConfigMapFile(build.objects, pod, c, '/etc/trino/catalog/tpch.properties');
  if ('error' in tpch) add(`/etc/trino/catalog/tpch.properties: ${tpch.error}`);
  else if (catalogConnector(tpch.text) !== 'tpch') add('catalog tpch must use connector.name=tpch');
  if (!isRecord(c.readinessProbe)) add('needs a readinessProbe (the router checks health too, but the Service should not send traffic to a starting coordinator)');
  return issues;
}
