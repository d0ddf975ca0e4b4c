/**
 * Opens the SQLite store (one router, or replicas sharing one file): creates its folder, sets the pragmas a small always-on service wants
 * (WAL so readers never wait for the writer, a busy timeout, foreign keys, synchronous=NORMAL
 * which is durable across process crashes in WAL mode), migrates the schema and builds the
 * repositories. Any failure becomes a StoreError that says what the operator should do.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { SqliteStateHistoryStore } from './state-history.js';
import { StoreError } from '../errors.js';
import { migrate } from './migrations.js';
import { SqliteQueueStore } from './queue.js';
import { SqliteOwnershipStore } from './ownership.js';
import { SqliteQueryHistoryStore } from './query-history.js';
import { SqliteRoutingStore } from './routing.js';
import { SqliteConfigHistoryStore } from './config-history.js';
import type { AuditRetention } from '../../config/router-config.js';
import { primarySqliteCode, SqliteConnection } from './connection.js';
import type { Store } from '../store.js';

export interface StoreOptions {
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  /** How long opening (WAL switch, migrations) waits for another connection's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * How long a write waits for another connection's lock once the store is open. SQLite waits
   * synchronously, on the one thread that also answers Envoy, so this must stay far below
   * Envoy's ext_proc message timeout: a lock held elsewhere (a replica's write, an operator's
   * sqlite3 shell, a backup) then costs a failed write that is retried, not a frozen router.
   * Default 100 ms.
   */
  readonly servingBusyTimeoutMs?: number;
  /** How much config history to keep (store.audit); default 1000 revisions, 90 days. */
  readonly audit?: AuditRetention;
}

const IN_MEMORY = ':memory:';

export function openSqliteStore(path: string, options: StoreOptions = {}): Store {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  let db: Database.Database | undefined;
  try {
    if (path !== IN_MEMORY) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: busyTimeoutMs });
    // The first statement that reads the file: a file that is not a database fails here.
    const journalMode = db.pragma('journal_mode = WAL', { simple: true });
    if (journalMode !== 'wal' && path !== IN_MEMORY) {
      options.logger?.warn({ path, journalMode }, 'store could not switch to WAL (network file system?); writers will block readers');
    }
    if (path !== IN_MEMORY) {
      // A damaged file often opens, then fails only when a damaged page is read (routing tables
      // while seeding, ownership while restoring) with a bare SQLite error. quick_check reads
      // every page once (about 0.3 s for a million remembered query ids) and says so now.
      const check = db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`integrity check failed: ${String(check).replace(/\s*\n\s*/g, '; ')}`), { code: 'SQLITE_CORRUPT' });
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const schemaVersion = migrate(db, path, options.logger);
    // SQLite silently opens a file it may not write (file or folder permissions, the -wal and
    // -shm files it cannot create) read-only, and the first write would fail while serving.
    // A real write now (the header's schema version, unchanged) turns that into a start failure.
    if (path !== IN_MEMORY) db.pragma(`user_version = ${schemaVersion}`);
    const servingBusyTimeoutMs = Math.max(0, Math.floor(options.servingBusyTimeoutMs ?? 100));
    db.pragma(`busy_timeout = ${servingBusyTimeoutMs}`);
    return buildStore(db, path, schemaVersion, servingBusyTimeoutMs, options.audit);
  } catch (error) {
    db?.close();
    throw error instanceof StoreError ? error : explainOpenFailure(path, error);
  }
}

function buildStore(db: Database.Database, path: string, schemaVersion: number, busyTimeoutMs: number, audit: AuditRetention | undefined): Store {
  const connection = new SqliteConnection(db, path, busyTimeoutMs);
  return {
    kind: 'sqlite',
    location: path,
    schemaVersion,
    routing: new SqliteRoutingStore(connection, Date.now, audit),
    configHistory: new SqliteConfigHistoryStore(connection),
    ownership: new SqliteOwnershipStore(connection),
    history: new SqliteQueryHistoryStore(connection),
    backendStates: new SqliteStateHistoryStore(connection),
    queue: new SqliteQueueStore(connection),
    changes: undefined,
    fleetHealth: undefined,
    // Queued behind whatever store work is under way, so a pending flush is not cut off.
    close: () => connection.run('close', () => {
      if (db.open) db.close();
    }),
  };
}

/** Translates SQLite and file system errors into advice. */
function explainOpenFailure(path: string, error: unknown): StoreError {
  const code = (error as { code?: unknown }).code;
  const reason = error instanceof Error ? error.message : String(error);
  const context = { store: 'sqlite', path, code, reason };
  switch (primarySqliteCode(error) || (typeof code === 'string' ? code : '')) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return new StoreError('store_unavailable',
        `the store ${path} is not a SQLite database or is damaged (${reason}). Move the file aside ` +
        '(the router then creates a new one and seeds it from the config file) or set store.path to another file.',
        context, error);
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new StoreError('store_unavailable',
        `the store ${path} is locked by another process (${reason}). Stop the other process, ` +
        'or give this router its own store.path.',
        context, error);
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'ENOTDIR':
    case 'EEXIST':
    case 'EISDIR':
      return new StoreError('store_unavailable',
        `cannot open the store ${path} for writing (${reason}). Check that its folder exists or can be ` +
        "created, that the path is not a directory, and that the router's user may write the file, its " +
        `folder and, if they exist, ${path}-wal and ${path}-shm (SQLite creates them next to the file); ` +
        'or set dataDir / store.path to a writable location.',
        context, error);
    case 'SQLITE_FULL':
    case 'ENOSPC':
      return new StoreError('store_unavailable', `the disk holding ${path} is full (${reason}). Free some space.`, context, error);
    default:
      return new StoreError('store_unavailable', `cannot open the store ${path}: ${reason}`, context, error);
  }
}
