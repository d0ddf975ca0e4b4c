/**
 * Databases for tests on the run's PostgreSQL server (started once by the global setup, or
 * named by TER_TEST_PG_URL): each test gets a database of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import type { PostgresStoreConfig } from '../../src/config/router-config.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export function postgresServerUrl(): string {
  return inject('postgresUrl');
}

/** Creates an empty database; resolves to its URL and a function that drops it. */
export async function freshDatabase(serverUrl = postgresServerUrl()): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `ter_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function postgresSettings(url: string, overrides: Partial<PostgresStoreConfig> = {}): PostgresStoreConfig {
  return {
    url,
    urlEnv: null,
    schema: 'trino_router',
    pool: { max: 5, connectTimeoutMs: 2000, statementTimeoutMs: 5000 },
    tls: null,
    ...overrides,
  };
}
