/**
 * Admin API test fixtures: a router (startRouter) with the admin port on, or the admin server
 * alone over a real store with fake health and history sources; clients from the CLI's own
 * connection code; and status-code assertions.
 */
import type { PrefixKeyring } from '../../src/stickiness/route-prefix.js';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { expect } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/admin/index.js';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { connect, type AdminClient } from '../../src/cli/admin-client.js';
import { parseConfig, type RouterConfig } from '../../src/config/index.js';
import type { HealthStatusSource } from '../../src/health/status.js';
import type { QueryHistorySource } from '../../src/history/query-record.js';
import { createLogger } from '../../src/observability/logger.js';
import type { BackendConditions } from '../../src/routing/engine.js';
import { createStrategyState } from '../../src/routing/strategies.js';
import type { RequestRouterDeps } from '../../src/routing/request-router.js';
import { RoutingSource } from '../../src/routing/routing-source.js';
import { OwnershipIndex } from '../../src/stickiness/ownership.js';
import { findEntity } from '../../src/routing/config-edits.js';
import type { Backend, RoutingConfig, RoutingGroup, RoutingRule } from '../../src/routing/model.js';
import { openStore, seedFromConfig, type Store } from '../../src/store/index.js';

export const TOKEN = 'a-test-admin-token-long-enough';

/** Two backends, two groups (etl falls back to adhoc), two rules. */
export const ROUTING_YAML = `
routing: { defaultGroup: adhoc }
backends:
  - { name: trino-a, url: "http://127.0.0.1:18081" }
  - { name: trino-b, url: "http://127.0.0.1:18082" }
groups:
  - { name: adhoc, backends: [trino-a, trino-b] }
  - { name: etl, backends: [trino-b], fallback: adhoc }
rules:
  - { name: etl-tags, priority: 10, group: etl, match: { clientTags: { containsAny: [etl] } } }
  - { name: airflow, priority: 20, group: etl, match: { source: airflow } }
`;

export interface RouterWithAdmin {
  readonly router: RunningRouter;
  readonly dir: string;
  readonly configPath: string;
  readonly address: string;
  /** A client with the fixture's token (or the one given; null: none). */
  client(token?: string | null): AdminClient;
  close(): Promise<void>;
}

/**
 * A router with the admin API on a free loopback port. The backends are not real Trino
 * coordinators, so no health monitor runs (`monitor: null`): every backend counts as healthy.
 */
export async function startRouterWithAdmin(options: { token?: string | null; readToken?: string; routing?: string; extra?: string; logger?: Logger } = {}): Promise<RouterWithAdmin> {
  const dir = mkdtempSync(join(tmpdir(), 'ter-admin-'));
  const configPath = join(dir, 'router.yaml');
  const token = options.token === undefined ? TOKEN : options.token;
  const readToken = options.readToken === undefined ? '' : `, readToken: ${JSON.stringify(options.readToken)}`;
  writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:0", admin: "127.0.0.1:0", metrics: null }
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
monitor: null
${token === null ? '' : `admin: { token: ${JSON.stringify(token)}${readToken} }`}
${options.routing ?? ROUTING_YAML}
${options.extra ?? ''}
`);
  const router = await startRouter({ configPath, env: {}, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const address = `127.0.0.1:${router.adminPort}`;
  const clients: AdminClient[] = [];
  return {
    router,
    dir,
    configPath,
    address,
    client(given) {
      const used = given === undefined ? token : given;
      const client = connect({ server: address, token: used ?? undefined, timeoutMs: 10_000 });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await router.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface StandaloneAdmin {
  readonly server: AdminServer;
  readonly store: Store;
  readonly ownership: OwnershipIndex;
  readonly routing: RoutingSource;
  readonly config: RouterConfig;
  readonly client: AdminClient;
  /** Backend conditions the explain dry run sees (what a monitor would report). */
  conditions: BackendConditions;
  close(): Promise<void>;
}

/** The admin server alone, over a real store, with the given (fake) monitor and history. */
export async function startStandaloneAdmin(options: {
  health?: HealthStatusSource;
  history?: QueryHistorySource;
  routing?: string;
  onCall?: (method: string, code: grpc.status) => void;
  /** Prefix keys (route prefixes, UI session pins); default none. */
  keyring?: PrefixKeyring;
} = {}): Promise<StandaloneAdmin> {
  const dir = mkdtempSync(join(tmpdir(), 'ter-admin-alone-'));
  const logger = createLogger('silent');
  const config = parseConfig(`
listen: { extProc: "127.0.0.1:0", admin: "127.0.0.1:0", metrics: null }
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
${options.routing ?? ROUTING_YAML}
`, 'standalone.yaml', { env: {}, baseDir: dir });
  const store = await openStore(config.store);
  await seedFromConfig(store.routing, config.routing, 'overwrite');
  const routing = await RoutingSource.open(store.routing, logger);
  const ownership = new OwnershipIndex({ maxQueries: 1000, retentionMs: 3_600_000, transactionRetentionMs: 3_600_000 });
  const fixture = { conditions: new Map() as BackendConditions };
  const deps: RequestRouterDeps = {
    snapshot: routing.current,
    conditions: () => fixture.conditions,
    strategy: createStrategyState(),
    ownership,
    keyring: options.keyring,
    probe: undefined,
    headerOptions: {},
    unavailable: 'failed-query',
    now: Date.now,
  };
  const server = await startAdminServer({
    address: { host: '127.0.0.1', port: 0 },
    token: null,
    routingStore: store.routing,
    configHistory: store.configHistory,
    ownershipStore: store.ownership,
    router: deps,
    refreshRouting: () => routing.refresh(),
    storeSync: () => ({ ...routing.sync(), feedConnected: store.changes?.connected() }),
    config,
    configDir: dir,
    env: {},
    health: options.health,
    history: options.history,
    onCall: options.onCall,
    logger,
  });
  const client = connect({ server: `127.0.0.1:${server.port}`, token: undefined, timeoutMs: 10_000 });
  return Object.assign(fixture, {
    server,
    store,
    ownership,
    routing,
    config,
    client,
    async close() {
      client.close();
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** Awaits a call that must fail with `code`; returns the error's details. */
export async function failure(call: Promise<unknown>, code: grpc.status, details?: RegExp): Promise<string> {
  const error = await call.then(
    () => { throw new Error(`expected ${grpc.status[code]}, but the call succeeded`); },
    (e: unknown) => e as grpc.ServiceError,
  );
  expect(grpc.status[error.code]).toBe(grpc.status[code]);
  if (details !== undefined) expect(error.details).toMatch(details);
  return error.details;
}

/** The routing configuration as the store holds it now. */
export async function storedConfig(store: Store): Promise<RoutingConfig> {
  return (await store.routing.read()).config;
}

export async function storedBackend(store: Store, name: string): Promise<Backend> {
  return findEntity((await storedConfig(store)).backends, 'backend', name);
}

export async function storedGroup(store: Store, name: string): Promise<RoutingGroup> {
  return findEntity((await storedConfig(store)).groups, 'group', name);
}

export async function storedRule(store: Store, name: string): Promise<RoutingRule> {
  return findEntity((await storedConfig(store)).rules, 'rule', name);
}
