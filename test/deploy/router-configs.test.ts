/**
 * The router configs the deployments ship, loaded by the router's own loader (src/config: the
 * code `serve --config` runs) with the environment each deployment gives the container:
 * deploy/compose/router.yaml through loadConfigFile from disk, and the config.yaml of each
 * Kubernetes kustomization as the ConfigMap the router Deployment mounts. What they load to is
 * checked against the rest of the deployment (Envoy cluster names, the store volume, the probe
 * port), and broken copies are refused by the same loader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig, type RouterConfig } from '../../src/config/index.js';
import { interpolate } from './lib/compose.js';
import { backendClusters, bootstrapFacts } from './lib/envoy-config.js';
import { KUBERNETES_BASE, KUBERNETES_OVERLAYS } from './lib/index.js';
import { DEFAULT_CONFIG_PATH } from './lib/k8s-router.js';
import { buildKustomization, containers, mountedConfigMapFile, objectList } from './lib/kubernetes.js';
import { REPO_ROOT, RepoFiles } from './lib/repo-files.js';
import { SECRET_STAND_IN, secretStandIn } from './lib/router-config.js';

const repo = RepoFiles.of();
const COMPOSE_ROUTER_CONFIG = 'deploy/compose/router.yaml';
const scratch = mkdtempSync(join(tmpdir(), 'router-configs-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The router service's environment in docker-compose.yml, with Compose's defaults applied. */
function composeRouterEnv(service = 'router'): Record<string, string> {
  const problems: string[] = [];
  const compose = parseYaml(interpolate(repo.read('docker-compose.yml'), {}, problems)) as { services: Record<string, { environment?: Record<string, unknown> }> };
  expect(problems).toEqual([]);
  return Object.fromEntries(Object.entries(compose.services[service]?.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

const COMPOSE_FLEET_CONFIG = 'deploy/compose/router-fleet.yaml';

function loadsAs(path: string, env: Record<string, string>): RouterConfig {
  return loadConfigFile(path, { env });
}

function refusal(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the loader accepted the config');
}

describe(`${COMPOSE_FLEET_CONFIG} (docker compose --profile fleet)`, () => {
  it.each(['router-fleet-1', 'router-fleet-2'])('loads with %s\'s environment: the compose PostgreSQL from ROUTER_STORE_URL, the SQLite file\'s routing', (service) => {
    const config = loadsAs(join(REPO_ROOT, COMPOSE_FLEET_CONFIG), composeRouterEnv(service));
    expect(config.store.kind).toBe('postgres');
    expect(config.store.postgres).toMatchObject({ urlEnv: 'ROUTER_STORE_URL', url: 'postgres://router:compose-development-password@postgres:5432/router', schema: 'trino_router' });
    const single = loadsAs(join(REPO_ROOT, COMPOSE_ROUTER_CONFIG), composeRouterEnv());
    expect(config.routing).toEqual(single.routing);
  });

  it('is refused without the URL docker-compose.yml provides', () => {
    const env = composeRouterEnv('router-fleet-1');
    delete env.ROUTER_STORE_URL;
    expect(refusal(() => loadsAs(join(REPO_ROOT, COMPOSE_FLEET_CONFIG), env))).toContain('ROUTER_STORE_URL');
  });
});

describe(`${COMPOSE_ROUTER_CONFIG} (docker compose)`, () => {
  it('loads with the router service\'s environment, and agrees with envoy/envoy.yaml and the volume', () => {
    const config = loadsAs(join(REPO_ROOT, COMPOSE_ROUTER_CONFIG), composeRouterEnv());
    const envoy = bootstrapFacts(parseYaml(repo.read('envoy/envoy.yaml')) as Record<string, unknown>);
    expect(config.routing.backends.map((b) => b.name).sort()).toEqual(backendClusters(envoy).map((c) => c.name).sort());
    expect(config.listen.extProc).toMatchObject({ port: 9001 });
    expect(config.listen.extAuthz).toMatchObject({ port: 9001 });
    // The image's HEALTHCHECK asks the admin port on loopback.
    expect(config.listen.admin).toMatchObject({ host: '127.0.0.1', port: 9002 });
    expect(config.store.path.startsWith('/data/')).toBe(true);
    expect(config.routing.backends.every((b) => b.prefixRouting)).toBe(true);
  });

  it('is refused without the prefix key docker-compose.yml provides', () => {
    const env = composeRouterEnv();
    delete env.ROUTER_PREFIX_KEY;
    expect(refusal(() => loadsAs(join(REPO_ROOT, COMPOSE_ROUTER_CONFIG), env))).toContain('ROUTER_PREFIX_KEY');
  });

  it('a broken copy (a group naming an unknown backend) is refused with its line', () => {
    const broken = repo.read(COMPOSE_ROUTER_CONFIG).replace('backends: [trino-b]', 'backends: [trino-c]');
    expect(broken).not.toBe(repo.read(COMPOSE_ROUTER_CONFIG));
    const file = join(scratch, 'router.yaml');
    writeFileSync(file, broken);
    expect(refusal(() => loadsAs(file, composeRouterEnv()))).toMatch(/router\.yaml:\d+: groups\[1\]\.backends\[0\]: unknown backend "trino-c"/);
  });
});

describe.each([KUBERNETES_BASE, ...KUBERNETES_OVERLAYS])('%s (the ConfigMap the router Deployment mounts)', (dir) => {
  /** The mounted config text and the container's environment (Secrets as stand-ins). */
  const mounted = (files: RepoFiles): { text: string; env: Record<string, string> } => {
    const build = buildKustomization(files, dir);
    expect(build.issues).toEqual([]);
    const deployment = build.objects.find((o) => o.obj.kind === 'Deployment');
    if (deployment === undefined) throw new Error(`${dir}: no Deployment`);
    const container = containers(deployment)[0] as Record<string, unknown>;
    const file = mountedConfigMapFile(build.objects, deployment, container, DEFAULT_CONFIG_PATH);
    if ('error' in file) throw new Error(file.error);
    const env = Object.fromEntries(objectList(container.env).map((e) => [String(e.name), typeof e.value === 'string' ? e.value : secretStandIn(String((e.valueFrom as { secretKeyRef?: { key?: unknown } } | undefined)?.secretKeyRef?.key ?? ''))]));
    return { text: file.text, env };
  };

  it('loads with the container\'s environment: admin (and gRPC health) reachable by the kubelet, with a token', () => {
    const { text, env } = mounted(repo);
    const config = parseConfig(text, `${dir} ConfigMap`, { env, baseDir: '/etc/trino-envoy-router' });
    expect(config.listen.admin).toMatchObject({ host: '0.0.0.0', port: 9002 });
    expect(config.admin.token).toBe(SECRET_STAND_IN);
    expect(config.routing.backends.map((b) => b.name).sort()).toEqual(['trino-a', 'trino-b']);
    // The fleet on PostgreSQL (URL from the Secret), or one router on SQLite on its volume.
    if (config.store.kind === 'postgres') expect(config.store.postgres).toMatchObject({ urlEnv: 'ROUTER_STORE_URL', url: secretStandIn('store-url') });
    else expect(config.store.path.startsWith('/data/')).toBe(true);
  });

  it('a broken copy of its config.yaml (an unknown key) is refused by the loader', () => {
    const path = `${dir}/config.yaml`;
    const broken = repo.with({ [path]: repo.read(path).replace(/^logging:/m, 'loging:') });
    const { text, env } = mounted(broken);
    expect(refusal(() => parseConfig(text, `${dir} ConfigMap`, { env, baseDir: '/etc/trino-envoy-router' }))).toContain('loging');
  });
});
