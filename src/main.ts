#!/usr/bin/env node
/**
 * Command line entry: `trino-envoy-router serve --config <file>`. Exits non-zero with a
 * readable message on a bad config or a port in use; SIGINT/SIGTERM shut down gracefully.
 */
import { parseArgs } from 'node:util';
import { startRouter } from './app.js';
import { ConfigError } from './config/index.js';

const USAGE = `usage: trino-envoy-router serve [--config <file>]

  --config <file>   router configuration (YAML); default: config/example.yaml`;

async function serve(configPath: string): Promise<void> {
  const running = await startRouter({ configPath });
  const stop = (signal: string): void => {
    process.stderr.write(`received ${signal}, shutting down\n`);
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { config: { type: 'string', default: 'config/example.yaml' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help === true || command !== 'serve') {
    process.stderr.write(`${USAGE}\n`);
    return values.help === true ? 0 : 2;
  }
  await serve(values.config);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`trino-envoy-router: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
