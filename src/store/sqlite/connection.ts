/**
 * The router's one SQLite connection as the store ports need it: every call runs on a serial
 * queue (better-sqlite3 is synchronous; the queue keeps an open transaction to itself), and
 * SQLite's failures leave as the project's StoreError, never as driver errors.
 */
import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { SerialQueue } from './serial-queue.js';

export class SqliteConnection {
  private readonly queue = new SerialQueue();

  constructor(
    readonly db: Database.Database,
    readonly path: string,
    /** The busy timeout the connection serves with; restored after each BEGIN. */
    private readonly busyTimeoutMs: number,
  ) {}

  /** One call; better-sqlite3's own transaction() inside it is atomic. */
  run<T>(operation: string, work: (db: Database.Database) => T): Promise<T> {
    return this.queue.run(() => {
      try {
        return work(this.db);
      } catch (error) {
        throw this.translate(operation, error);
      }
    });
  }

  /**
   * BEGIN IMMEDIATE (the write lock, also against other processes), work, COMMIT; ROLLBACK on
   * any failure. While another connection holds the lock, BEGIN is retried on a timer rather
   * than in SQLite's busy wait, which would block the event loop (and a holder in this same
   * process could never finish).
   */
  transaction<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      await this.begin(operation);
      try {
        const result = await work();
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw this.translate(operation, error);
      }
    });
  }

  /** SQLite's errors become StoreError with the advice that fits; any other error passes as it is. */
  translate(operation: string, error: unknown): unknown {
    return error instanceof Database.SqliteError ? sqliteStoreError(this.path, operation, error) : error;
  }

  private async begin(operation: string): Promise<void> {
    const deadline = Date.now() + BEGIN_WAIT_MS;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      this.db.pragma('busy_timeout = 0');
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (primarySqliteCode(error) !== 'SQLITE_BUSY' || Date.now() >= deadline) throw this.translate(operation, error);
      } finally {
        this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** How long a change waits for another connection's write lock before it is refused as busy. */
const BEGIN_WAIT_MS = 2_000;

/** SQLite reports extended codes (SQLITE_BUSY_SNAPSHOT, ...): advice goes by the primary one. */
export function primarySqliteCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code.replace(/^(SQLITE_[A-Z]+)_[A-Z_]+$/, '$1') : '';
}

export function sqliteStoreError(path: string, operation: string, error: unknown): StoreError {
  const code = primarySqliteCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  const context = { store: 'sqlite', path, operation, code };
  switch (code) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new StoreError('store_busy', `the SQLite store ${path} is locked by another writer (${reason}); try again`, context, error);
    case 'SQLITE_CONSTRAINT':
      return new StoreError('store_constraint', `the SQLite store ${path} refused the write of ${operation}: ${reason}`, context, error);
    case 'SQLITE_FULL':
      return new StoreError('store_unavailable', `the disk holding the SQLite store ${path} is full (${reason}); free some space`, context, error);
    default:
      return new StoreError('store_unavailable', `the SQLite store ${path} failed during ${operation}: ${reason}`, context, error);
  }
}
