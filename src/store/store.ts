/**
 * One opened store, whichever backend: the ports the router's parts use, and how to close it.
 */
import type { SharedHealth } from '../health/shared-health.js';
import type { Logger } from 'pino';
import type { StateHistoryStore } from '../health/state-history.js';
import type { QueryHistoryStore } from '../history/query-history.js';
import type { ConfigHistoryStore } from '../routing/config-history.js';
import type { RoutingStore } from '../routing/routing-store.js';
import type { OwnershipChange } from '../stickiness/ownership.js';
import type { OwnershipStore } from '../stickiness/ownership-store.js';
import type { QueueStore } from '../queue/queue-store.js';

/** What a store announces as other replicas commit (PostgreSQL LISTEN/NOTIFY). */
export interface StoreChangeListener {
  routingChanged(revision: number): void;
  /** Ownership another replica learned and persisted. */
  ownershipChanged(changes: readonly OwnershipChange[]): void;
  /** The feed was cut and is back: nothing committed meanwhile was announced; read it. */
  resumed(): void;
}

/** The fleet's health leadership, started and closed by the composition root. */
export interface FleetHealth extends SharedHealth {
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ChangeFeed {
  start(listener: StoreChangeListener): Promise<void>;
  /** False while the feed is cut (polling alone keeps the replica in step). */
  connected(): boolean;
  close(): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is, safe to log: the file, or the URL without its password. */
  readonly location: string;
  readonly schemaVersion: number;
  readonly routing: RoutingStore;
  /** Every committed routing change (written by `routing` in the change's transaction). */
  readonly configHistory: ConfigHistoryStore;
  readonly ownership: OwnershipStore;
  /** Routed queries, written behind by the history writer (src/history). */
  readonly history: QueryHistoryStore;
  /** Backend state changes the health monitor saw (src/health). */
  readonly backendStates: StateHistoryStore;
  /** The gateway queue: held submissions shared by the fleet (src/queue). */
  readonly queue: QueueStore;
  /** Announcements of other replicas' commits; undefined where the store has none (SQLite polls). */
  readonly changes: ChangeFeed | undefined;
  /** One judge of health for a fleet; undefined where the store has none (every replica checks). */
  readonly fleetHealth: ((intervalMs: number, logger?: Pick<Logger, 'info' | 'warn'>) => FleetHealth) | undefined;
  close(): Promise<void>;
}
