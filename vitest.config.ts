import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // One real PostgreSQL server for the run (test/support/throwaway-postgres.ts).
    globalSetup: ['test/support/postgres-global-setup.ts', 'test/support/console-assets-setup.ts'],
  },
});
