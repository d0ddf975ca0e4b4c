/**
 * The whole chain on loopback: trino-client -> Envoy stand-in (reading envoy/envoy.yaml, or
 * envoy/envoy-ext-authz.yaml for the ext_authz edge) -> router (ext_proc or ext_authz) -> two
 * Trino coordinator stand-ins.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, type TrinoStandin, type TrinoStandinOptions } from '../standins/trino/index.js';
import { BasicAuth, Trino } from 'trino-client';
import { startRouter, type RunningRouter } from '../../src/app.js';
import type { Logger } from '../../src/observability/logger.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const ENVOY_CONFIG = join(REPO_ROOT, 'envoy/envoy.yaml');
export const ENVOY_EXT_AUTHZ_CONFIG = join(REPO_ROOT, 'envoy/envoy-ext-authz.yaml');
export const ENVOY_SIDECAR_CONFIG = join(REPO_ROOT, 'envoy/envoy-sidecar.yaml');

/** The Trino version the chain's coordinators report unless a test asks for another. */
export const CURRENT_TRINO_VERSION = '482';

/**
 * Submits through the chain and fetches the first queued nextUri, which creates and dispatches
 * the query on Trino (until then Trino only registered it: a cancel by id does nothing).
 * Returns the query id.
 */
export async function dispatchQuery(chain: { readonly envoy: { readonly url: string } }, user: string, sql: string): Promise<string> {
  const headers = { 'X-Trino-User': user };
  const submitted = await fetch(`${chain.envoy.url}/v1/statement`, { method: 'POST', body: sql, headers });
  const body = await submitted.json() as { id: string; nextUri: string };
  const polled = await fetch(body.nextUri, { headers });
  await polled.body?.cancel();
  if (polled.status !== 200) throw new Error(`first poll of ${body.id} answered ${polled.status}`);
  return body.id;
}

/** How Envoy asks the router: the ext_proc filter (envoy.yaml) or the ext_authz filter (envoy-ext-authz.yaml). */
export type Edge = 'ext_proc' | 'ext_authz';
/** Both edges, for suites written once and run in each mode. */
export const EDGES: readonly Edge[] = ['ext_proc', 'ext_authz'];

export interface ChainOptions {
  /** Extra YAML appended to the generated router config (rules, groups). */
  readonly routing?: string;
  readonly prefixRouting?: boolean;
  /** Extra fields for both backends' YAML flow mappings, e.g. `enabled: false`. */
  readonly backendFields?: string;
  readonly trino?: TrinoStandinOptions;
  /** Default: the shipped config of the edge (envoy/envoy.yaml or envoy/envoy-ext-authz.yaml). */
  readonly envoyConfig?: string;
  /**
   * Which filter Envoy routes with. Default ext_proc. ext_authz also serves the router's
   * Authorization service (listen.extAuthz on the ext_proc server) and points Envoy's
   * trino_router cluster at it.
   */
  readonly edge?: Edge;
  /** Serve /metrics on a free loopback port (router.metricsPort). Default off. */
  readonly metrics?: boolean;
  /** The router's logger (e.g. one writing to a capture stream); default: the config's. */
  readonly logger?: Logger;
  /** Serve the admin API on a free loopback port (router.adminPort), with this token if given. Default off. */
  readonly admin?: { readonly token?: string; readonly readToken?: string };
  /** Serve the web console on a free loopback port (router.consolePort); needs `admin`. Default off. */
  readonly console?: boolean;
  /**
   * The router's `monitor` section as a YAML flow mapping, e.g. `{ intervalSeconds: 0.05 }`.
   * Default: no health monitor (`monitor: null`), so the stand-ins see only the tests' requests.
   */
  readonly monitor?: string;
  /**
   * Sidecar topology: the router listens on a Unix socket in the data dir and Envoy reaches it
   * through a `pipe` endpoint (default config envoy/envoy-sidecar.yaml). ext_proc only.
   */
  readonly sidecar?: boolean;
  /** The router's `store` section (YAML flow mapping), e.g. `{ seed: watch }`; default SQLite in the data dir. */
  readonly store?: string;
}

export interface Chain {
  readonly edge: Edge;
  readonly envoy: EnvoyStandin;
  readonly router: RunningRouter;
  readonly trinoA: TrinoStandin;
  readonly trinoB: TrinoStandin;
  readonly dataDir: string;
  readonly configPath: string;
  close(): Promise<void>;
}

export function routerConfigYaml(options: {
  readonly trinoA: string;
  readonly trinoB: string;
  readonly prefixRouting: boolean;
  readonly dataDir: string;
  readonly routing?: string;
  readonly backendFields?: string;
  /** Default 127.0.0.1:0 (any free port). */
  readonly extProcAddress?: string;
  /** listen.extAuthz; default null (off). Equal to extProcAddress = served by the same server. */
  readonly extAuthzAddress?: string;
  /** Default warn. */
  readonly logLevel?: string;
  /** Default null (off). */
  readonly metricsAddress?: string;
  /** Default null (no admin API). */
  readonly adminAddress?: string;
  /** admin.token; default none. */
  readonly adminToken?: string;
  /** admin.readToken (with adminToken); default none. */
  readonly adminReadToken?: string;
  /** listen.console; default null (off). */
  readonly consoleAddress?: string;
  /** The `monitor` section (YAML flow mapping); default null (no health checks). */
  readonly monitor?: string;
  /** The `store` section (YAML flow mapping); default SQLite in dataDir. */
  readonly store?: string;
}): string {
  const extra = options.backendFields === undefined ? '' : `, ${options.backendFields}`;
  return `
listen:
  extProc: "${options.extProcAddress ?? '127.0.0.1:0'}"
  extAuthz: ${options.extAuthzAddress === undefined ? 'null' : `"${options.extAuthzAddress}"`}
  admin: ${options.adminAddress === undefined ? 'null' : `"${options.adminAddress}"`}
  metrics: ${options.metricsAddress === undefined ? 'null' : `"${options.metricsAddress}"`}${options.consoleAddress === undefined ? '' : `\n  console: "${options.consoleAddress}"`}
dataDir: ${JSON.stringify(options.dataDir)}${options.store === undefined ? '' : `\nstore: ${options.store}`}
logging: { level: ${options.logLevel ?? 'warn'} }${options.adminToken === undefined ? '' : `\nadmin: { token: ${JSON.stringify(options.adminToken)}${options.adminReadToken === undefined ? '' : `, readToken: ${JSON.stringify(options.adminReadToken)}`} }`}
monitor: ${options.monitor ?? 'null'}
routing:
  defaultGroup: adhoc
  prefix:
    keys: [{ id: test1, secret: "a-test-secret-that-is-long-enough" }]
backends:
  - { name: trino-a, url: "${options.trinoA}", prefixRouting: ${options.prefixRouting}${extra} }
  - { name: trino-b, url: "${options.trinoB}", prefixRouting: ${options.prefixRouting}${extra} }
${options.routing ?? `groups:
  - { name: adhoc, strategy: round_robin, backends: [trino-a, trino-b] }
  - { name: etl, strategy: round_robin, backends: [trino-b] }
  - { name: analysts, strategy: round_robin, backends: [trino-a] }
rules:
  - { name: etl-tags, priority: 10, group: etl, match: { clientTags: { containsAny: [etl] } } }
  - { name: etl-user, priority: 20, group: etl, match: { user: { regex: "^etl_" } } }
  - { name: analysts, priority: 30, group: analysts, match: { user: { anyOf: [alice, carol] } } }
`}`;
}

export async function startChain(options: ChainOptions = {}): Promise<Chain> {
  const edge = options.edge ?? 'ext_proc';
  const dataDir = mkdtempSync(join(tmpdir(), 'ter-e2e-'));
    // A current Trino by default: its /v1/info names its coordinator id (477+), the only thing
    // that tells a query's owner before the query's first poll when no response was seen.
  const trinoA = await startTrinoStandin({ name: 'trino-a', pollIntervalMs: FAST_POLL_HOLD_MS, version: CURRENT_TRINO_VERSION, ...options.trino });
  const trinoB = await startTrinoStandin({ name: 'trino-b', pollIntervalMs: FAST_POLL_HOLD_MS, version: CURRENT_TRINO_VERSION, ...options.trino });
  const configPath = join(dataDir, 'router.yaml');
  const routerSocket = options.sidecar === true ? join(dataDir, 'router.sock') : undefined;
  writeFileSync(configPath, routerConfigYaml({
    trinoA: trinoA.url,
    trinoB: trinoB.url,
    prefixRouting: options.prefixRouting ?? true,
    dataDir,
    ...(options.routing !== undefined ? { routing: options.routing } : {}),
    ...(options.backendFields !== undefined ? { backendFields: options.backendFields } : {}),
    ...(options.metrics === true ? { metricsAddress: '127.0.0.1:0' } : {}),
    ...(options.admin !== undefined ? { adminAddress: '127.0.0.1:0' } : {}),
    ...(options.admin?.token !== undefined ? { adminToken: options.admin.token } : {}),
    ...(options.admin?.readToken !== undefined ? { adminReadToken: options.admin.readToken } : {}),
    ...(options.console === true ? { consoleAddress: '127.0.0.1:0' } : {}),
    ...(options.monitor !== undefined ? { monitor: options.monitor } : {}),
    ...(options.store !== undefined ? { store: options.store } : {}),
    ...(routerSocket !== undefined ? { extProcAddress: `unix:${routerSocket}` } : {}),
    // The default ext_proc address, so one gRPC server serves both edges.
    ...(edge === 'ext_authz' ? { extAuthzAddress: '127.0.0.1:0' } : {}),
  }));
  const router = await startRouter({ configPath, ...(options.logger !== undefined ? { logger: options.logger } : {}) });
  const envoy = await startEnvoyStandin({
    configPath: options.envoyConfig ?? (routerSocket !== undefined ? ENVOY_SIDECAR_CONFIG : edge === 'ext_authz' ? ENVOY_EXT_AUTHZ_CONFIG : ENVOY_CONFIG),
    clusters: {
      trino_router: [routerSocket !== undefined ? { pipe: routerSocket } : { host: '127.0.0.1', port: routerPortFor(edge, router) }],
      'trino-a': [{ host: '127.0.0.1', port: trinoA.port }],
      'trino-b': [{ host: '127.0.0.1', port: trinoB.port }],
    },
  });
  return {
    edge, envoy, router, trinoA, trinoB, dataDir, configPath,
    async close() {
      await envoy.close();
      await router.close();
      await trinoA.close();
      await trinoB.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function routerPortFor(edge: Edge, router: RunningRouter): number {
  if (edge === 'ext_proc') return router.extProcPort;
  if (router.extAuthzPort === undefined) throw new Error('the router serves no ext_authz: listen.extAuthz is null');
  return router.extAuthzPort;
}

export function writeFile(path: string, text: string): void {
  writeFileSync(path, text);
}

export interface ClusterOfOptions {
  readonly source?: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly headers?: Record<string, string>;
}

/** Runs `sql` as alice through the chain's Envoy: the clusters that served its rows (the stand-in puts its name in column 2), or the error. */
export async function clusterOf(chain: Chain, sql: string, options: ClusterOfOptions = {}): Promise<string> {
  const trino = Trino.create({
    server: chain.envoy.url, auth: new BasicAuth('alice'), source: options.source ?? 'e2e',
    catalog: options.catalog, schema: options.schema, extraHeaders: options.headers,
  });
  const clusters = new Set<string>();
  for await (const result of await trino.query(sql)) {
    if (result.error) return `error: ${result.error.message}`;
    for (const row of (result.data ?? []) as unknown[][]) clusters.add(String(row[1]));
  }
  return [...clusters].join(',');
}
