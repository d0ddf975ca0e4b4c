/**
 * Opens the PostgreSQL store (a fleet of routers on one database): connects, migrates under
 * an advisory lock, and builds the ports. A database that cannot be reached at start is a
 * start failure with a message naming it (a router with no configuration cannot route); once
 * running, an outage costs retries, never the process.
 */
import type { Logger } from 'pino';
import type { PostgresStoreConfig } from '../../config/router-config.js';
import type { Store } from '../store.js';
import { randomUUID } from 'node:crypto';
import { PostgresConnection, poolConfig } from './connection.js';
import { migrate } from './migrations.js';
import { PostgresOwnershipStore } from './ownership.js';
import { PostgresQueueStore } from './queue.js';
import { PostgresQueryHistoryStore } from './query-history.js';
import { PostgresHealthLeadership } from './health-leadership.js';
import { PostgresChangeFeed } from './notifications.js';
import { PostgresRoutingStore } from './routing.js';
import { PostgresConfigHistoryStore } from './config-history.js';
import type { AuditRetention } from '../../config/router-config.js';
import { PostgresStateHistoryStore } from './state-history.js';

export interface PostgresStoreOptions {
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  /** How much config history to keep (store.audit); default 1000 revisions, 90 days. */
  readonly audit?: AuditRetention;
}

export interface PostgresStore extends Store {
  readonly connection: PostgresConnection;
}

export async function openPostgresStore(settings: PostgresStoreConfig, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const connection = new PostgresConnection(settings, options.logger);
  try {
    const schemaVersion = await migrate(connection, options.logger);
    const origin = randomUUID();
    const changes = new PostgresChangeFeed(poolConfig(settings), origin, options.logger);
    return {
      kind: 'postgres',
      location: `${connection.location} (schema ${settings.schema})`,
      schemaVersion,
      connection,
      routing: new PostgresRoutingStore(connection, Date.now, options.audit),
      configHistory: new PostgresConfigHistoryStore(connection),
      ownership: new PostgresOwnershipStore(connection, origin),
      history: new PostgresQueryHistoryStore(connection),
      backendStates: new PostgresStateHistoryStore(connection),
      queue: new PostgresQueueStore(connection),
      changes,
      fleetHealth: (intervalMs, logger) => new PostgresHealthLeadership(connection, poolConfig(settings), origin, intervalMs, logger ?? options.logger),
      close: async () => {
        await changes.close();
        await connection.close();
      },
    };
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
}
