/** The SQLite store: open it, read and change routing, persist ownership, seed from the config. */
export { openStore, type Store, type StoreOptions } from './open-store.js';
export { RoutingRepository, type VersionedRoutingConfig } from './routing-repository.js';
export {
  OwnershipRepository,
  type CoordinatorRecord,
  type PruneCounts,
  type PruneOptions,
  type QueryOwnerRecord,
  type TransactionRecord,
} from './ownership-repository.js';
export { BackendStateRepository } from './backend-state-repository.js';
export { QueryHistoryRepository, type HistoryPruneCounts, type HistoryPruneOptions } from './query-history-repository.js';
export { seedFromConfig, type SeedMode, type SeedOutcome } from './seed.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';
export {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidRoutingError,
  NotFoundError,
  StoreError,
  type RoutingEntityKind,
} from './errors.js';
