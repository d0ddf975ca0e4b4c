/**
 * The store: SQLite for one router, PostgreSQL for a fleet. Both serve the same ports (owned by
 * the code that uses them) and pass one contract suite; the config picks which is opened.
 */
import type { Logger } from 'pino';
import type { RouterConfig } from '../config/router-config.js';
import { openPostgresStore } from './postgres/open.js';
import { openSqliteStore } from './sqlite/open.js';
import type { Store } from './store.js';

export type { Store } from './store.js';
export { openSqliteStore, type StoreOptions } from './sqlite/open.js';
export { openPostgresStore, type PostgresStoreOptions } from './postgres/open.js';
export { seedFromConfig, type SeedMode, type SeedOutcome } from './seed.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './sqlite/migrations.js';
export { POSTGRES_LATEST_SCHEMA_VERSION, POSTGRES_MIGRATIONS } from './postgres/migrations.js';
export { StoreError, type StoreErrorKind } from './errors.js';

export interface OpenStoreOptions {
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export async function openStore(settings: RouterConfig['store'], options: OpenStoreOptions = {}): Promise<Store> {
  if (settings.postgres !== null) return openPostgresStore(settings.postgres, { ...options, audit: settings.audit });
  return openSqliteStore(settings.path, { ...options, audit: settings.audit });
}
