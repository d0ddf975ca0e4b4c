/**
 * docker-compose.yml: its shape (the Compose keys it uses, strictly), variables
 * (`${VAR:-default}`), pinned official images, build context, bind mounts that exist, named
 * volumes, depends_on targets that have health checks, and the cross-references that make
 * `docker compose up` work end to end:
 *
 * - Envoy reads a file from envoy/ (every file there may be mounted through ENVOY_CONFIG):
 *   each of its endpoints is a compose service on a port that service listens on (the
 *   router's listen.extProc / extAuthz port, a Trino coordinator's http-server.http.port) and
 *   its listener port is published;
 * - the router reads the mounted config (validated by the router's own loader with the
 *   service's environment); its backend names are the Envoy backend clusters and its backend
 *   URLs are the Trino services; its store is on a volume;
 * - each Trino service mounts a coordinator config with http-server.process-forwarded=true,
 *   the tpch catalog the README's first query uses, a node.id equal to its backend name (the
 *   README's "which cluster" query), and runs a Trino recent enough for prefix routing.
 *
 * The profile `fleet` (checkFleetProfile) is checked as strictly: a pinned postgres image with a
 * pg_isready health check and its data on a named volume; two or more router replicas of the
 * built image, each loading its mounted config with the router's own loader (store.kind postgres,
 * the URL from `store.urlEnv`, pointing at the postgres service with its user, password and
 * database) and waiting for postgres to be healthy; an Envoy of its own whose router cluster
 * resolves, on the networks it shares, to exactly the replicas (Compose DNS: service names and
 * network aliases), never to the SQLite router. Services outside a profile must not depend on
 * one inside it, or a plain `docker compose up` fails.
 */
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { issuePath } from './k8s-schemas.js';
import { isRecord, type Issue } from './issues.js';
import { normalize, type RepoFiles } from './repo-files.js';
import { backendClusters, bootstrapFacts, envoyConfigFiles, usesClusterHeader } from './envoy-config.js';
import { backendEndpoints, loadRouterConfig } from './router-config.js';
import { catalogConnector, coordinatorConfigProblems, nodeProperties, PREFIX_ROUTING_MIN_TRINO, trinoImageVersion } from './trino.js';
import type { DockerfileFacts } from './dockerfile.js';
import type { ListenAddress, RouterConfig } from '../../../src/config/index.js';
import { isLoopbackHost } from '../../../src/admin/auth.js';

export const COMPOSE_FILE = 'docker-compose.yml';

const duration = z.string().regex(/^(\d+(ms|s|m|h))+$/);

const composeName = z.string().regex(/^[a-zA-Z0-9._-]+$/);

const serviceSchema = z.strictObject({
  profiles: z.array(composeName).min(1).optional(),
  image: z.string().optional(),
  build: z.strictObject({ context: z.string(), dockerfile: z.string().optional() }).optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  volumes: z.array(z.string()).optional(),
  ports: z.array(z.string().regex(/^(\d+(\.\d+){3}:)?\d+:\d+(\/(tcp|udp))?$/, 'expected "host:container"')).optional(),
  depends_on: z.record(z.string(), z.strictObject({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) })).optional(),
  healthcheck: z.strictObject({
    test: z.array(z.string()).min(1),
    interval: duration.optional(),
    timeout: duration.optional(),
    retries: z.number().int().positive().optional(),
    start_period: duration.optional(),
  }).optional(),
  restart: z.enum(['no', 'always', 'on-failure', 'unless-stopped']).optional(),
  mem_limit: z.string().regex(/^\d+[kmg]?$/i).optional(),
  networks: z.union([
    z.array(composeName),
    z.record(composeName, z.union([z.strictObject({ aliases: z.array(composeName).optional() }), z.null()])),
  ]).optional(),
});

const composeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).optional(),
  services: z.record(composeName, serviceSchema),
  networks: z.record(composeName, z.union([z.strictObject({}), z.null()])).optional(),
  volumes: z.record(z.string(), z.union([z.strictObject({}), z.null()])).optional(),
});

type Compose = z.output<typeof composeSchema>;

type Service = z.output<typeof serviceSchema>;

const ENVOY_IMAGE = /^(docker\.io\/)?envoyproxy\/envoy:/;
const PINNED_ENVOY_IMAGE = /^(docker\.io\/)?envoyproxy\/envoy:v\d+\.\d+\.\d+$/;
const POSTGRES_IMAGE = /^(docker\.io\/)?postgres:/;
export const FLEET_PROFILE = 'fleet';

/** A service's networks and its aliases on each (no networks: the project's `default`). */
function networksOf(service: Service): Map<string, string[]> {
  const networks = service.networks;
  if (networks === undefined) return new Map([['default', []]]);
  if (Array.isArray(networks)) return new Map(networks.map((n) => [n, []]));
  return new Map(Object.entries(networks).map(([n, spec]) => [n, spec?.aliases ?? []]));
}

/** The services a container of `from` reaches under `host`: its name or an alias, on a network both are on. */
function resolveHost(services: Compose['services'], from: string, host: string): string[] {
  const source = services[from];
  if (source === undefined) return [];
  const fromNetworks = networksOf(source);
  return Object.entries(services).filter(([name, target]) => [...networksOf(target)].some(([network, aliases]) => fromNetworks.has(network) && (name === host || aliases.includes(host)))).map(([name]) => name);
}

/** Official images known to define a HEALTHCHECK (so `condition: service_healthy` works). */
const IMAGES_WITH_HEALTHCHECK = [/^(docker\.io\/)?trinodb\/trino:/];

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}` as Compose interpolates them. */
export function interpolate(text: string, env: Readonly<Record<string, string>>, problems: string[]): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (_all, name: string, op: string | undefined, fallback: string | undefined) => {
    const value = env[name];
    if (op === ':-') return value === undefined || value === '' ? fallback ?? '' : value;
    if (op === '-') return value ?? fallback ?? '';
    if (value === undefined) problems.push(`\${${name}} has no default and is not set`);
    return value ?? '';
  });
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly bind: boolean;
}

function parseVolume(spec: string): Mount | undefined {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) return undefined;
  const [source, target, mode] = parts as [string, string, string | undefined];
  return { source, target, readOnly: mode === 'ro', bind: source.startsWith('.') || source.startsWith('/') };
}

/** The file a service sees at `path`: a bind-mounted file, or a file inside a bind-mounted folder. */
function mountedFile(mounts: readonly Mount[], path: string): { repoPath: string } | { error: string } {
  for (const m of mounts) {
    if (!m.bind) continue;
    const source = normalize(m.source);
    if (path === m.target) return { repoPath: source };
    if (path.startsWith(`${m.target}/`)) return { repoPath: normalize(posix.join(source, path.slice(m.target.length + 1))) };
  }
  return { error: `nothing is mounted at ${path}` };
}

export interface ComposeCheck {
  readonly issues: Issue[];
  readonly files: Set<string>;
}

/**
 * Checks docker-compose.yml with the given environment (unset variables take their defaults),
 * against every Envoy file in envoy/ that routes by header (any of them may be mounted).
 */
export function checkCompose(files: RepoFiles, dockerfile: DockerfileFacts | undefined, env: Readonly<Record<string, string>> = {}): ComposeCheck {
  const issues: Issue[] = [];
  const read = new Set<string>([COMPOSE_FILE]);
  const add = (path: string, message: string, file = COMPOSE_FILE): void => {
    issues.push({ file, path, message });
  };
  const interpolationProblems: string[] = [];
  const raw: unknown = parseYaml(interpolate(files.read(COMPOSE_FILE), env, interpolationProblems));
  for (const p of interpolationProblems) add('', p);
  const parsed = composeSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) add(issuePath(i.path), i.message);
    return { issues, files: read };
  }
  const compose = parsed.data;
  const services = compose.services;
  const mountsOf = (name: string): Mount[] => (services[name]?.volumes ?? []).map((v) => parseVolume(v)).filter((m): m is Mount => m !== undefined);

  // ---- generic: images, build, mounts, volumes, depends_on ----
  // Images this file builds (a service with build: and image: tags what it built).
  const builtImages = new Set(Object.values(services).filter((s) => s.build !== undefined && s.image !== undefined).map((s) => s.image as string));
  for (const [name, service] of Object.entries(services)) {
    const at = `services.${name}`;
    if (service.image === undefined && service.build === undefined) add(at, 'needs image or build');
    if (service.build !== undefined) {
      const context = normalize(service.build.context);
      const dockerfilePath = normalize(posix.join(context, service.build.dockerfile ?? 'Dockerfile'));
      if (!files.isDir(context)) add(`${at}.build.context`, `${service.build.context} is not a folder`);
      if (!files.isFile(dockerfilePath)) add(`${at}.build.dockerfile`, `${dockerfilePath} not found`);
    } else if (service.image !== undefined) {
      const tag = /:([^/@]+)$/.exec(service.image)?.[1];
      if (tag === undefined || tag === 'latest' || /-latest$/.test(tag) || tag === 'dev') add(`${at}.image`, `pin ${service.image} to a release tag`);
    }
    (service.volumes ?? []).forEach((spec, i) => {
      const m = parseVolume(spec);
      if (m === undefined) {
        add(`${at}.volumes[${i}]`, `cannot read ${spec} (source:target[:ro])`);
        return;
      }
      if (!m.target.startsWith('/')) add(`${at}.volumes[${i}]`, `target ${m.target} must be absolute`);
      if (m.bind) {
        const source = normalize(m.source);
        read.add(source);
        if (!files.exists(source)) add(`${at}.volumes[${i}]`, `${m.source} does not exist`);
        for (const f of files.isDir(source) ? files.walk(source) : []) read.add(f);
      } else if (!(m.source in (compose.volumes ?? {}))) {
        add(`${at}.volumes[${i}]`, `named volume ${m.source} is not declared under volumes:`);
      }
    });
    for (const network of networksOf(service).keys()) {
      if (network !== 'default' && !(network in (compose.networks ?? {}))) add(`${at}.networks`, `network ${network} is not declared under networks:`);
    }
    for (const [dep, spec] of Object.entries(service.depends_on ?? {})) {
      const target = services[dep];
      if (target === undefined) {
        add(`${at}.depends_on.${dep}`, `no service ${dep}`);
        continue;
      }
      const missing = (target.profiles ?? []).filter((p) => !(service.profiles ?? []).includes(p));
      if (missing.length > 0 && (service.profiles ?? []).length === 0) add(`${at}.depends_on.${dep}`, `${dep} runs only in profile ${missing.join(', ')}: a plain docker compose up would fail`);
      if (spec.condition === 'service_healthy') {
        const healthy = target.healthcheck !== undefined
          || ((target.build !== undefined || builtImages.has(target.image ?? '')) && dockerfile?.hasHealthcheck === true)
          || (target.image !== undefined && IMAGES_WITH_HEALTHCHECK.some((re) => re.test(target.image as string)));
        if (!healthy) add(`${at}.depends_on.${dep}`, `${dep} has no health check, so service_healthy never holds`);
      }
    }
  }

  // ---- the router ----
  const routerName = Object.keys(services).find((n) => services[n]?.build !== undefined);
  if (routerName !== undefined && services[routerName]?.profiles !== undefined) add(`services.${routerName}.profiles`, 'the service that builds the router must run without a profile');
  const router = routerName === undefined ? undefined : services[routerName];
  if (routerName === undefined || router === undefined) {
    add('services', 'no service builds the router image (build: .)');
    return { issues, files: read };
  }
  const command = router.command ?? dockerfile?.cmd ?? [];
  const flag = command.indexOf('--config');
  const configPath = flag >= 0 ? command[flag + 1] : undefined;
  if (command[0] !== 'serve' || configPath === undefined) {
    add(`services.${routerName}.command`, 'must be serve --config <file>');
    return { issues, files: read };
  }
  if (dockerfile !== undefined && JSON.stringify(dockerfile.cmd) !== JSON.stringify(command)) {
    add(`services.${routerName}.command`, `differs from the image's CMD (${dockerfile.cmd.join(' ')}): keep one config path`);
  }
  const configFile = mountedFile(mountsOf(routerName), configPath);
  if ('error' in configFile) {
    add(`services.${routerName}.volumes`, `the router reads ${configPath}: ${configFile.error}`);
    return { issues, files: read };
  }
  const routerEnv: Record<string, string> = Object.fromEntries(Object.entries(router.environment ?? {}).map(([k, v]) => [k, String(v)]));
  const loaded = loadRouterConfig(files, configFile.repoPath, routerEnv, configPath);
  issues.push(...loaded.issues);
  const config = loaded.config;
  if (config === undefined) return { issues, files: read };
  const routerMounts = mountsOf(routerName);
  const storeDir = posix.dirname(config.store.path);
  if (!routerMounts.some((m) => !m.readOnly && (storeDir === m.target || storeDir.startsWith(`${m.target}/`)))) {
    add(`services.${routerName}.volumes`, `the store (${config.store.path}) is not on a volume: it would be lost with the container`);
  }
  // The gRPC services Envoy may call (ext_proc, ext_authz, and any gRPC listener added later
  // such as an xDS server), on an address other containers can reach: not the admin API, not
  // the metrics endpoint, nothing on loopback.
  const routerPorts = new Set<number>(Object.entries(config.listen as Readonly<Record<string, ListenAddress | null>>)
    .filter(([key, address]) => address !== null && key !== 'admin' && key !== 'metrics' && !isLoopbackHost(address.host))
    .map(([, address]) => (address as ListenAddress).port));

  // ---- Trino services: what each listens on ----
  const trinoPorts = new Map<string, number>();
  const trinoNodeIds = new Map<string, string | undefined>();
  for (const [name, service] of Object.entries(services)) {
    const version = service.image === undefined ? undefined : trinoImageVersion(service.image);
    if (version === undefined) continue;
    const at = `services.${name}`;
    const mounts = mountsOf(name);
    const cfg = mountedFile(mounts, '/etc/trino/config.properties');
    if ('error' in cfg || !files.isFile(cfg.repoPath)) {
      add(`${at}.volumes`, 'mount a coordinator config at /etc/trino/config.properties (with http-server.process-forwarded=true)');
    } else {
      const checked = coordinatorConfigProblems(files.read(cfg.repoPath));
      for (const p of checked.problems) add('', `${p} (service ${name})`, cfg.repoPath);
      trinoPorts.set(name, checked.httpPort);
    }
    const node = mountedFile(mounts, '/etc/trino/node.properties');
    if ('error' in node || !files.isFile(node.repoPath)) add(`${at}.volumes`, 'mount a node.properties whose node.id names the cluster');
    else {
      const parsedNode = nodeProperties(files.read(node.repoPath));
      for (const p of parsedNode.problems) add('', p, node.repoPath);
      trinoNodeIds.set(name, parsedNode.nodeId);
    }
    const tpch = mountedFile(mounts, '/etc/trino/catalog/tpch.properties');
    if ('error' in tpch || !files.isFile(tpch.repoPath)) add(`${at}.volumes`, 'mount the tpch catalog (the README\'s first query reads tpch.tiny.nation)');
    else if (catalogConnector(files.read(tpch.repoPath)) !== 'tpch') add('', 'connector.name must be tpch', tpch.repoPath);
    const backend = config.routing.backends.find((b) => new URL(b.url).hostname === name);
    if (backend?.prefixRouting === true && version < PREFIX_ROUTING_MIN_TRINO) {
      add(`${at}.image`, `backend ${backend.name} uses prefixRouting, which needs Trino ${PREFIX_ROUTING_MIN_TRINO}+ (image: ${version})`);
    }
  }
  const seenIds = new Map<string, string>();
  for (const [name, id] of trinoNodeIds) {
    if (id === undefined) continue;
    const other = seenIds.get(id);
    if (other !== undefined) add(`services.${name}`, `node.id ${id} is also ${other}'s: the README's query could not tell the clusters apart`);
    seenIds.set(id, name);
  }

  // ---- backends -> Trino services ----
  for (const [name, endpoint] of backendEndpoints(config)) {
    const port = trinoPorts.get(endpoint.host);
    if (port === undefined) add('', `backend ${name}: ${endpoint.host} is not a Trino service of ${COMPOSE_FILE}`, configFile.repoPath);
    else if (port !== endpoint.port) add('', `backend ${name}: ${endpoint.host} listens on ${port}, not ${endpoint.port}`, configFile.repoPath);
    const id = trinoNodeIds.get(endpoint.host);
    if (port !== undefined && id !== name) add('', `backend ${name}: its Trino's node.id is ${String(id)}; make it ${name} so the README's query names the cluster`, configFile.repoPath);
  }

  // ---- Envoy ----
  const envoyName = Object.keys(services).find((n) => services[n]?.profiles === undefined && ENVOY_IMAGE.test(services[n]?.image ?? ''));
  const envoy = envoyName === undefined ? undefined : services[envoyName];
  if (envoyName === undefined || envoy === undefined) {
    add('services', 'no service runs the official envoyproxy/envoy image');
    return { issues, files: read };
  }
  if (!PINNED_ENVOY_IMAGE.test(envoy.image ?? '')) add(`services.${envoyName}.image`, 'pin Envoy to a release (envoyproxy/envoy:vX.Y.Z)');
  const cmd = envoy.command ?? [];
  const cflag = cmd.findIndex((w) => w === '-c' || w === '--config-path');
  const envoyConfigPath = cflag >= 0 ? cmd[cflag + 1] : '/etc/envoy/envoy.yaml';
  const envoyConfig = envoyConfigPath === undefined ? { error: 'no config path' } : mountedFile(mountsOf(envoyName), envoyConfigPath);
  if ('error' in envoyConfig) {
    add(`services.${envoyName}.volumes`, `Envoy reads ${String(envoyConfigPath)}: ${envoyConfig.error}`);
    return { issues, files: read };
  }
  if (!envoyConfig.repoPath.startsWith('envoy/')) add(`services.${envoyName}.volumes`, 'mount a config from envoy/ (the tested files)');
  const published = (envoy.ports ?? []).map((p) => Number(p.split(':').pop()?.split('/')[0]));
  const candidates = new Set([envoyConfig.repoPath, ...envoyConfigFiles(files)]);
  for (const path of candidates) {
    if (!files.isFile(path)) {
      add(`services.${envoyName}.volumes`, `${path} does not exist`);
      continue;
    }
    issues.push(...checkEnvoyAgainstCompose(files, path, path === envoyConfig.repoPath, { services: Object.keys(services), routerName, routerPorts, trinoPorts, published, config, envoyName }));
  }
  issues.push(...checkFleetProfile(files, compose, { routerName, router, trinoPorts, published, read }));
  return { issues, files: read };
}

interface ComposeView {
  readonly services: readonly string[];
  readonly routerName: string;
  readonly routerPorts: ReadonlySet<number>;
  readonly trinoPorts: ReadonlyMap<string, number>;
  readonly published: readonly number[];
  readonly config: RouterConfig;
  readonly envoyName: string;
}

function checkEnvoyAgainstCompose(files: RepoFiles, path: string, mountedByDefault: boolean, view: ComposeView): Issue[] {
  const issues: Issue[] = [];
  const doc: unknown = parseYaml(files.read(path));
  if (!isRecord(doc)) return issues;
  const facts = bootstrapFacts(doc);
  if (!usesClusterHeader(facts) && !mountedByDefault) return issues; // not a variant docker compose can run
  const add = (message: string): void => {
    issues.push({ file: path, path: '', message: `${message} (as mounted by ${COMPOSE_FILE})` });
  };
  for (const listener of facts.listeners) {
    if (listener.port !== undefined && !view.published.includes(listener.port)) add(`listener ${listener.name} port ${listener.port} is not published by service ${view.envoyName}`);
  }
  for (const cluster of facts.clusters.values()) {
    for (const ep of cluster.endpoints) {
      if (!view.services.includes(ep.host)) {
        add(`cluster ${cluster.name}: ${ep.host} is not a service of ${COMPOSE_FILE}`);
        continue;
      }
      const ok = ep.host === view.routerName ? view.routerPorts.has(ep.port) : view.trinoPorts.get(ep.host) === ep.port;
      if (!ok) add(`cluster ${cluster.name}: service ${ep.host} does not listen on ${ep.port}`);
    }
  }
  // A bootstrap that takes its clusters from the router's ADS needs the router to serve it.
  const xdsClusters = facts.grpcClusterRefs.filter((r) => r.path[0] === 'dynamic_resources').map((r) => r.name);
  for (const name of new Set(xdsClusters)) {
    const cluster = facts.clusters.get(name);
    if (cluster === undefined || !cluster.endpoints.some((e) => e.host === view.routerName)) continue;
    const xds = (view.config.listen as Readonly<Record<string, ListenAddress | null | undefined>>).xds;
    if (xds === undefined || xds === null) add(`cluster ${name} is Envoy's xDS server (the router), but the router config does not serve xDS (listen.xds)`);
    else if (!cluster.endpoints.some((e) => e.host === view.routerName && e.port === xds.port)) add(`cluster ${name} is Envoy's xDS server, but the router serves xDS on ${xds.port}`);
  }
  if (!facts.dynamicClusters) {
    const clusters = new Set(backendClusters(facts).map((c) => c.name));
    const backends = new Set(view.config.routing.backends.map((b) => b.name));
    for (const b of backends) if (!clusters.has(b)) add(`no cluster named ${b}, a backend of the router config: Envoy would answer 503 NC`);
    for (const c of clusters) if (!backends.has(c)) add(`cluster ${c} is not a backend of the router config`);
    for (const backend of view.config.routing.backends) {
      const cluster = facts.clusters.get(backend.name);
      const url = new URL(backend.url);
      if (cluster !== undefined && !cluster.endpoints.some((e) => e.host === url.hostname && e.port === Number(url.port || 80))) {
        add(`cluster ${backend.name} does not point at ${url.host}, the backend's URL (the router probes and health-checks that address)`);
      }
    }
  }
  return issues;
}

interface FleetView {
  readonly routerName: string;
  readonly router: Service;
  readonly trinoPorts: ReadonlyMap<string, number>;
  /** Host ports the default services publish. */
  readonly published: readonly number[];
  readonly read: Set<string>;
}

/** The profile `fleet`: PostgreSQL, two or more router replicas on it, and their own Envoy. */
function checkFleetProfile(files: RepoFiles, compose: Compose, view: FleetView): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string, file = COMPOSE_FILE): void => {
    issues.push({ file, path, message });
  };
  const services = compose.services;
  const inFleet = Object.keys(services).filter((n) => services[n]?.profiles?.includes(FLEET_PROFILE) === true);
  if (inFleet.length === 0) {
    add('services', `no service in profile ${FLEET_PROFILE} (PostgreSQL and router replicas on it)`);
    return issues;
  }
  const stringEnv = (service: Service): Record<string, string> => Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
  const mountsOf = (service: Service): Mount[] => (service.volumes ?? []).map((v) => parseVolume(v)).filter((m): m is Mount => m !== undefined);

  // ---- PostgreSQL ----
  const pgNames = inFleet.filter((n) => POSTGRES_IMAGE.test(services[n]?.image ?? ''));
  if (pgNames.length !== 1) add('services', `profile ${FLEET_PROFILE} needs exactly one postgres service (the official postgres image), found ${pgNames.length}`);
  const pgName = pgNames[0];
  const pg = pgName === undefined ? undefined : services[pgName];
  const pgEnv = pg === undefined ? {} : stringEnv(pg);
  if (pgName !== undefined && pg !== undefined) {
    const at = `services.${pgName}`;
    if (!/^(docker\.io\/)?postgres:\d+\.\d+(-[a-z0-9]+)?$/.test(pg.image ?? '')) add(`${at}.image`, `pin ${String(pg.image)} to a minor release (postgres:MAJOR.MINOR)`);
    if (pg.healthcheck === undefined || !pg.healthcheck.test.includes('pg_isready')) add(`${at}.healthcheck`, 'needs a pg_isready health check (the replicas wait for service_healthy)');
    for (const key of ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB']) if (pgEnv[key] === undefined || pgEnv[key] === '') add(`${at}.environment`, `set ${key} (the replicas' ROUTER_STORE_URL names it)`);
    if (!mountsOf(pg).some((m) => !m.bind && !m.readOnly && m.target === '/var/lib/postgresql/data')) add(`${at}.volumes`, 'keep /var/lib/postgresql/data on a named volume: the fleet\'s state would be lost with the container');
  }

  // ---- router replicas ----
  const routerImage = view.router.image;
  const replicas = inFleet.filter((n) => routerImage !== undefined && services[n]?.image === routerImage);
  if (replicas.length < 2) add('services', `profile ${FLEET_PROFILE} needs two or more router replicas (image ${String(routerImage)}, built by service ${view.routerName}), found ${replicas.length}`);
  const configFiles = new Set<string>();
  let fleetConfig: RouterConfig | undefined;
  for (const name of replicas) {
    const replica = services[name] as Service;
    const at = `services.${name}`;
    if (replica.build !== undefined) add(`${at}.build`, `use the image service ${view.routerName} builds; a second build of it races`);
    const command = replica.command ?? [];
    const configPath = command[0] === 'serve' && command.indexOf('--config') >= 0 ? command[command.indexOf('--config') + 1] : undefined;
    if (configPath === undefined) {
      add(`${at}.command`, 'must be serve --config <file>');
      continue;
    }
    const mounted = mountedFile(mountsOf(replica), configPath);
    if ('error' in mounted) {
      add(`${at}.volumes`, `the router reads ${configPath}: ${mounted.error}`);
      continue;
    }
    view.read.add(mounted.repoPath);
    configFiles.add(mounted.repoPath);
    const env = stringEnv(replica);
    const loaded = loadRouterConfig(files, mounted.repoPath, env, configPath);
    issues.push(...loaded.issues);
    const config = loaded.config;
    if (config === undefined) continue;
    fleetConfig ??= config;
    const pgConfig = config.store.postgres;
    if (config.store.kind !== 'postgres' || pgConfig === null) {
      add(`${at}.volumes`, `${mounted.repoPath} keeps its store in ${config.store.kind}: the fleet replicas need store.kind postgres`);
      continue;
    }
    if (pgConfig.urlEnv === null) add('store', 'name the connection URL by urlEnv (the password stays out of the file, as in deploy/kubernetes)', mounted.repoPath);
    else if (env[pgConfig.urlEnv] === undefined) add(`${at}.environment`, `the config reads ${pgConfig.urlEnv}, which the service does not set`);
    let url: URL | undefined;
    try {
      url = new URL(pgConfig.url);
    } catch {
      add(`${at}.environment`, `${String(pgConfig.urlEnv)} is not a URL`);
    }
    if (url !== undefined && pgName !== undefined) {
      const where = `${at}.environment.${String(pgConfig.urlEnv)}`;
      const reached = resolveHost(services, name, url.hostname);
      if (!reached.includes(pgName) || reached.length !== 1) add(where, `${url.hostname} does not reach service ${pgName} from ${name} (on the networks they share)`);
      if ((url.port === '' ? 5432 : Number(url.port)) !== 5432) add(where, `port ${url.port} is not PostgreSQL's 5432`);
      if (decodeURIComponent(url.username) !== pgEnv.POSTGRES_USER) add(where, `user ${url.username} is not ${pgName}'s POSTGRES_USER (${String(pgEnv.POSTGRES_USER)})`);
      if (decodeURIComponent(url.password) !== pgEnv.POSTGRES_PASSWORD) add(where, `the password is not ${pgName}'s POSTGRES_PASSWORD`);
      if (url.pathname.replace(/^\//, '') !== pgEnv.POSTGRES_DB) add(where, `database ${url.pathname.replace(/^\//, '')} is not ${pgName}'s POSTGRES_DB (${String(pgEnv.POSTGRES_DB)})`);
    }
    if (pgName !== undefined && replica.depends_on?.[pgName]?.condition !== 'service_healthy') add(`${at}.depends_on`, `wait for ${pgName} with condition service_healthy (a replica that starts first cannot migrate)`);
    for (const [backend, endpoint] of backendEndpoints(config)) {
      const reached = resolveHost(services, name, endpoint.host);
      if (!reached.some((s) => view.trinoPorts.get(s) === endpoint.port)) add(`${at}.networks`, `backend ${backend}: ${endpoint.host}:${endpoint.port} is no Trino service ${name} reaches`);
    }
  }
  if (configFiles.size > 1) add('services', `the replicas load different configs (${[...configFiles].join(', ')}): one fleet, one seed`);

  // ---- the fleet's Envoy ----
  const envoyNames = inFleet.filter((n) => ENVOY_IMAGE.test(services[n]?.image ?? ''));
  const envoyName = envoyNames[0];
  const envoy = envoyName === undefined ? undefined : services[envoyName];
  if (envoyName === undefined || envoy === undefined) {
    add('services', `profile ${FLEET_PROFILE} needs an Envoy of its own in front of the replicas`);
    return issues;
  }
  const at = `services.${envoyName}`;
  if (!PINNED_ENVOY_IMAGE.test(envoy.image ?? '')) add(`${at}.image`, 'pin Envoy to a release (envoyproxy/envoy:vX.Y.Z)');
  const published = (envoy.ports ?? []).map((p) => Number(p.split(':').slice(-2)[0]));
  for (const port of published) if (view.published.includes(port)) add(`${at}.ports`, `host port ${port} is already published by the default services`);
  for (const name of replicas) if (envoy.depends_on?.[name]?.condition !== 'service_healthy') add(`${at}.depends_on`, `wait for ${name} with condition service_healthy`);
  const cmd = envoy.command ?? [];
  const cflag = cmd.findIndex((w) => w === '-c' || w === '--config-path');
  const envoyConfigPath = (cflag >= 0 ? cmd[cflag + 1] : undefined) ?? '/etc/envoy/envoy.yaml';
  const envoyFile = mountedFile(mountsOf(envoy), envoyConfigPath);
  if ('error' in envoyFile || !files.isFile(envoyFile.repoPath)) {
    add(`${at}.volumes`, `Envoy reads ${envoyConfigPath}: ${'error' in envoyFile ? envoyFile.error : `${envoyFile.repoPath} does not exist`}`);
    return issues;
  }
  if (fleetConfig === undefined) return issues;
  const doc: unknown = parseYaml(files.read(envoyFile.repoPath));
  if (!isRecord(doc)) return issues;
  const facts = bootstrapFacts(doc);
  const routerPorts = new Set(Object.values(fleetConfig.listen as Readonly<Record<string, ListenAddress | null>>).filter((a): a is ListenAddress => a !== null && !isLoopbackHost(a.host)).map((a) => a.port));
  const grpc = new Set(facts.grpcClusterRefs.map((r) => r.name));
  const fileNote = `(${envoyFile.repoPath} as mounted by ${envoyName})`;
  for (const cluster of facts.clusters.values()) {
    for (const ep of cluster.endpoints) {
      const reached = resolveHost(services, envoyName, ep.host);
      if (grpc.has(cluster.name)) {
        const sorted = [...reached].sort();
        if (JSON.stringify(sorted) !== JSON.stringify([...replicas].sort())) add(`${at}.networks`, `cluster ${cluster.name}: ${ep.host} resolves to [${sorted.join(', ')}], not the fleet replicas [${replicas.join(', ')}] ${fileNote}`);
        else if (!routerPorts.has(ep.port)) add(`${at}.networks`, `cluster ${cluster.name}: the replicas do not listen on ${ep.port} ${fileNote}`);
      } else if (!reached.some((s) => view.trinoPorts.get(s) === ep.port)) {
        add(`${at}.networks`, `cluster ${cluster.name}: ${ep.host}:${ep.port} is no Trino service ${envoyName} reaches ${fileNote}`);
      }
    }
  }
  const clusters = new Set(backendClusters(facts).map((c) => c.name));
  for (const b of fleetConfig.routing.backends) if (!clusters.has(b.name)) add(`${at}.volumes`, `no cluster named ${b.name}, a backend of the fleet's router config ${fileNote}`);
  return issues;
}
