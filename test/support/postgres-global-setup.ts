/**
 * Vitest global setup: one PostgreSQL server for the whole run (tests make databases of their
 * own on it). TER_TEST_PG_URL names an existing server instead (CI starts one before the run).
 */
import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres, type ThrowawayPostgres } from './throwaway-postgres.js';

let server: ThrowawayPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.TER_TEST_PG_URL;
  if (url === undefined || url === '') {
    server = await startThrowawayPostgres();
    url = server.url;
  }
  project.provide('postgresUrl', url);
}

export async function teardown(): Promise<void> {
  await server?.destroy();
}
