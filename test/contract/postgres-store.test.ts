import { describe, expect, it } from 'vitest';
import { POSTGRES_LATEST_SCHEMA_VERSION as LATEST_SCHEMA_VERSION, POSTGRES_MIGRATIONS as MIGRATIONS, openPostgresStore, StoreError } from '../../src/store/index.js';
import { freshDatabase, postgresSettings } from '../support/postgres-databases.js';
import { storeContract } from './store-contract.js';

storeContract('PostgreSQL', async () => {
  const database = await freshDatabase();
  return {
    open: (options) => openPostgresStore(postgresSettings(database.url), options),
    destroy: () => database.drop(),
  };
});

describe('PostgreSQL store: schema', () => {
  it('replicas starting together on an empty database migrate it once', async () => {
    const database = await freshDatabase();
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(postgresSettings(database.url))));
      expect(stores.map((s) => s.schemaVersion)).toEqual(Array(4).fill(LATEST_SCHEMA_VERSION));
      const applied = await stores[0]!.connection.query<{ version: number }>('test', 'SELECT version FROM trino_router.schema_version ORDER BY version');
      expect(applied.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await database.drop();
    }
  });

  it('a database migrated by a newer router is refused with a message that says so', async () => {
    const database = await freshDatabase();
    try {
      const store = await openPostgresStore(postgresSettings(database.url));
      await store.connection.query('test', "INSERT INTO trino_router.schema_version (version, description) VALUES ($1, 'from the future')", [LATEST_SCHEMA_VERSION + 1]);
      await store.close();
      const refused = await openPostgresStore(postgresSettings(database.url)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(StoreError);
      expect((refused as StoreError).kind).toBe('store_schema_too_new');
      expect((refused as StoreError).message).toMatch(new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1}, but this router knows only up to ${LATEST_SCHEMA_VERSION}.*newer router`));
    } finally {
      await database.drop();
    }
  });

  it('a server that is not there is a StoreError naming the store, with the password hidden', async () => {
    const refused = await openPostgresStore(postgresSettings('postgres://router:s3cret@127.0.0.1:1/none')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).kind).toBe('store_unavailable');
    expect((refused as StoreError).message).toMatch(/the PostgreSQL store postgres:\/\/router:\*\*\*@127\.0\.0\.1:1\/none is unavailable/);
    expect((refused as StoreError).message).not.toMatch(/s3cret/);
  });
});

describe('PostgreSQL store: connections the server ends', () => {
  it('a transaction whose connection the server terminates between two statements fails with a StoreError; the process lives on', async () => {
    const database = await freshDatabase();
    const store = await openPostgresStore(postgresSettings(database.url));
    try {
      let terminated!: () => void;
      const gap = new Promise<void>((resolve) => (terminated = resolve));
      const outcome = store.connection
        .transaction('test', async (client) => {
          const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          // What a server restart does (57P01), while this transaction waits between statements.
          await store.connection.query('test', 'SELECT pg_terminate_backend($1)', [pid]);
          await new Promise((resolve) => setTimeout(resolve, 200));
          terminated();
          await client.query('SELECT 1');
        })
        .catch((error: unknown) => error);
      await gap;
      const error = await outcome;
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).kind).toBe('store_unavailable');
      // The pool serves the next call on a fresh connection.
      expect((await store.connection.query<{ one: number }>('test', 'SELECT 1 AS one')).rows[0]?.one).toBe(1);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
