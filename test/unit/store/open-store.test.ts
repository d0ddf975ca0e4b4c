import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, StoreError, openSqliteStore } from '../../../src/store/index.js';
import { onCleanup, tempDir } from './temp-store.js';

function expectStoreError(open: () => unknown, code: string, advice: RegExp): StoreError {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(code);
    expect((error as StoreError).message).toMatch(advice);
    return error as StoreError;
  }
  throw new Error('expected openSqliteStore to fail');
}

describe('openSqliteStore', () => {
  it('creates the folder and the schema on a fresh file, with the expected pragmas', () => {
    const path = join(tempDir(), 'a', 'b', 'router.db');
    const logged: unknown[] = [];
    const store = openSqliteStore(path, { logger: { info: (o: unknown) => logged.push(o), warn: () => {} } as never });
    onCleanup(() => store.close());
    expect(existsSync(path)).toBe(true);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(logged).toHaveLength(MIGRATIONS.length);

    const db = new Database(path, { readonly: true });
    onCleanup(() => {
      db.close();
    });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
    expect(tables).toEqual(['backend_state_history', 'backends', 'config_history', 'coordinators', 'group_members', 'login_flows', 'query_history', 'query_owners', 'queue_entries', 'routing_groups', 'routing_rules', 'settings', 'transactions']);
    const indexes = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all().map((r) => r.name);
    expect(indexes).toContain('query_owners_by_created_at');
  });

  it('reopening is idempotent: no migration runs again and data survives', async () => {
    const path = join(tempDir(), 'router.db');
    const first = openSqliteStore(path);
    await first.ownership.applyChanges([{ kind: 'query', queryId: 'q1', backend: 'a', learnedBy: 'response', at: 1 }]);
    await first.close();
    const logged: unknown[] = [];
    const second = openSqliteStore(path, { logger: { info: (o: unknown) => logged.push(o), warn: () => {} } as never });
    onCleanup(() => second.close());
    expect(logged).toEqual([]);
    expect(second.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect((await second.ownership.findQueryOwner('q1'))?.backend).toBe('a');
  });

  it('migrations are numbered 1..n without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('turns foreign keys on', () => {
    const path = join(tempDir(), 'router.db');
    const store = openSqliteStore(path);
    onCleanup(() => store.close());
    const db = new Database(path);
    onCleanup(() => {
      db.close();
    });
    // The router's connection has them on; a member whose backend does not exist violates the
    // (deferred) foreign key at commit on any connection that turns them on the same way.
    db.pragma('foreign_keys = ON');
    expect(() => db.transaction(() => {
      db.prepare("INSERT INTO routing_groups (name, strategy, position, updated_at) VALUES ('g', 'random', 0, 0)").run();
      db.prepare("INSERT INTO group_members (group_name, backend, weight, position) VALUES ('g', 'ghost', 1, 0)").run();
    })()).toThrow(/FOREIGN KEY/);
  });

  it('refuses a database written by a newer router', async () => {
    const path = join(tempDir(), 'router.db');
    await openSqliteStore(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const error = expectStoreError(() => openSqliteStore(path), 'store_schema_too_new', /newer router.*store\.path/);
    expect(error.context).toMatchObject({ found: LATEST_SCHEMA_VERSION + 1, supported: LATEST_SCHEMA_VERSION });
  });

  it('a file that is not a database gives advice, not a raw SQLite error', () => {
    const path = join(tempDir(), 'router.db');
    writeFileSync(path, Buffer.from('this is not a sqlite file, just some garbage bytes '.repeat(40)));
    const error = expectStoreError(() => openSqliteStore(path), 'store_unavailable', /not a SQLite database.*Move the file aside.*store\.path/s);
    expect(error.context).toMatchObject({ path, code: 'SQLITE_NOTADB' });
    expect(error.cause).toBeDefined();
  });

  it('a path that cannot be written gives advice', () => {
    const dir = tempDir();
    // A directory where the file should be, and a file where a folder should be.
    mkdirSync(join(dir, 'router.db'));
    expectStoreError(() => openSqliteStore(join(dir, 'router.db')), 'store_unavailable', /cannot open the store .* for writing.*dataDir \/ store\.path/s);
    writeFileSync(join(dir, 'plain-file'), 'x');
    expectStoreError(() => openSqliteStore(join(dir, 'plain-file', 'router.db')), 'store_unavailable', /cannot open the store .* for writing/);
  });

  it('a database locked by another process gives advice', () => {
    const path = join(tempDir(), 'router.db');
    const holder = new Database(path);
    holder.exec('CREATE TABLE t (x INTEGER); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);');
    onCleanup(() => {
      holder.exec('ROLLBACK');
      holder.close();
    });
    expectStoreError(() => openSqliteStore(path, { busyTimeoutMs: 50 }), 'store_unavailable', /locked by another process.*own store\.path/s);
  });

  it('supports an in-memory store', async () => {
    const store = openSqliteStore(':memory:');
    onCleanup(() => store.close());
    expect(await store.routing.transaction((tx) => tx.read())).toMatchObject({ empty: true, revision: 0 });
  });
});
