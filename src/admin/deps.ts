/**
 * What the admin services read and change. The composition root (app.ts) supplies the
 * serving router's own parts, so what the API shows is what routes requests.
 */
import type { Logger } from 'pino';
import type { Environment, RouterConfig } from '../config/index.js';
import type { HealthStatusSource } from '../health/status.js';
import type { QueryHistorySource } from '../history/query-record.js';
import type { SyncState } from '../routing/freshness.js';
import type { RequestRouterDeps } from '../routing/request-router.js';
import type { RoutingStore } from '../routing/routing-store.js';
import type { ConfigHistoryStore } from '../routing/config-history.js';
import type { RoutingConfig } from '../routing/model.js';
import type { ConfigFileStatusSource } from '../config-watch/status.js';
import type { OwnershipStore } from '../stickiness/ownership-store.js';
import type { QueueStore } from '../queue/queue-store.js';

export interface AdminDeps {
  /** The routing configuration's source of truth; every change is one of its transactions. */
  readonly routingStore: RoutingStore;
  /** Every recorded routing change (ListConfigHistory, GetConfigRevision, Rollback). */
  readonly configHistory?: ConfigHistoryStore | undefined;
  /**
   * The config file the router started with: status reports it; under watch its routing
   * (watchedRouting) is the source of truth and routing changes are refused.
   */
  readonly configFile?: (ConfigFileStatusSource & { watchedRouting(): RoutingConfig | undefined }) | undefined;
  /** Ownership as stored (shared by replicas), for the query lookups. */
  readonly ownershipStore: Pick<OwnershipStore, 'findQueryOwner' | 'listCoordinators'>;
  /** The serving router's dependencies: explain runs them dry, status and owners read them. */
  readonly router: RequestRouterDeps;
  /**
   * Swaps the routing snapshot for the store's current one. Called after every successful
   * change, so the very next request is routed by it.
   */
  readonly refreshRouting: () => Promise<unknown>;
  /** When this replica last heard from the store and whether its change feed is live (reads report how stale they are). */
  readonly storeSync: () => SyncState;
  /** The configuration the router started with (export writes its non-routing sections). */
  readonly config: RouterConfig;
  /** Folder relative paths in an imported file resolve against (the config file's). */
  readonly configDir: string;
  /** Where an imported file's secretEnv / tokenEnv are read. */
  readonly env: Environment;
  /** The health monitor; without it every backend's health is "unknown". */
  readonly health?: HealthStatusSource | undefined;
  /** Query history; without it ListQueries answers UNIMPLEMENTED. */
  readonly history?: QueryHistorySource | undefined;
  /** The gateway queue as stored (the fleet's), with the clock; without it ListQueued answers UNIMPLEMENTED. */
  readonly queue?: { readonly store: Pick<QueueStore, 'list'>; readonly now: () => number } | undefined;
  readonly logger: Logger;
}
