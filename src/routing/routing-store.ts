/**
 * What the routing snapshot and the admin API need of the routing configuration's source of
 * truth (the store: SQLite for one router, PostgreSQL for a fleet). Asynchronous, so a store
 * across the network is the same port as one on disk.
 */
import type { ChangeOrigin } from './config-history.js';
import type { RoutingConfig } from './model.js';

export interface VersionedRoutingConfig {
  readonly config: RoutingConfig;
  /** Increases with every committed change (never reset); labels the snapshot built from it. */
  readonly revision: number;
}

export interface RoutingStore {
  /** Config and revision read together, so a snapshot shows exactly the revision it names. */
  read(): Promise<VersionedRoutingConfig>;
  revision(): Promise<number>;
  /**
   * Runs one change all or nothing: `work` reads the current config under the store's write
   * lock (other writers, other replicas wait), writes the next one, and the revision moves
   * once. Throwing from `work` rolls everything back and rethrows.
   */
  transaction<T>(work: (tx: RoutingTransaction) => Promise<T>): Promise<T>;
}

export interface RoutingTransaction {
  /** The config as of the lock; `empty` while nothing routing-related was ever stored. */
  read(): Promise<VersionedRoutingConfig & { readonly empty: boolean }>;
  /**
   * Validates `next` (an empty defaultGroup is allowed only while none was ever set), writes
   * what differs from the current config and bumps the revision. Returns the revision after
   * the write (unchanged when `next` equals the current config). A change that bumps the
   * revision is recorded in the config history in the same transaction, under `origin`.
   */
  write(next: RoutingConfig, origin?: ChangeOrigin): Promise<number>;
}
