#!/usr/bin/env node
/**
 * Command line entry: `trino-envoy-router <command>` (see src/cli/program.ts). `serve`, the
 * default, runs the router until SIGINT/SIGTERM; the other commands use the admin API and
 * exit with a code that says what happened (listed in --help).
 */
import { runCli } from './cli/program.js';

runCli(process.argv).then(
  (outcome) => {
    // Let pending output drain instead of process.exit(), which can cut a piped stdout short.
    if (outcome !== 'serving') process.exitCode = outcome;
  },
  (error: unknown) => {
    process.stderr.write(`trino-envoy-router: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
