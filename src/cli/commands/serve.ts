/**
 * `serve`: run the router. SIGINT/SIGTERM shut it down gracefully.
 */
import type { Command } from 'commander';
import { startRouter } from '../../app.js';
import type { CliRuntime } from '../session.js';

export const DEFAULT_CONFIG = 'config/example.yaml';

export function registerServe(program: Command, runtime: CliRuntime & { serving: boolean }): void {
  program.command('serve', { isDefault: true })
    .description('run the router (the default command)')
    .option('--config <file>', 'router configuration (YAML)', DEFAULT_CONFIG)
    .action(async (options: { config: string }) => {
      const running = await startRouter({ configPath: options.config });
      runtime.serving = true;
      const stop = (signal: string): void => {
        runtime.output.err(`received ${signal}, shutting down`);
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
