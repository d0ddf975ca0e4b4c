/**
 * `serve`: run the router. SIGINT/SIGTERM shut it down gracefully.
 */
import type { Command } from 'commander';
import { startRouter } from '../../app.js';
import { didYouMean } from '../../did-you-mean.js';
import { UsageError } from '../errors.js';
import type { CliRuntime } from '../session.js';

export const DEFAULT_CONFIG = 'config/example.yaml';
/** Logged once the router serves and SIGINT/SIGTERM stop it. */
export const RUNNING_MESSAGE = 'router running (SIGINT or SIGTERM stops it)';

export function registerServe(program: Command, runtime: CliRuntime & { serving: boolean }): void {
  program.command('serve', { isDefault: true })
    .description('run the router (the default command)')
    .option('--config <file>', 'router configuration (YAML)', DEFAULT_CONFIG)
    // As the default command, serve receives what is not a command name: say so instead of
    // commander's "too many arguments for 'serve'".
    .allowExcessArguments(true)
    .action(async (options: { config: string }, command: Command) => {
      const [unknown] = command.args;
      if (unknown !== undefined && program.args[0] === 'serve') throw new UsageError(`serve takes no arguments, got ${JSON.stringify(unknown)}`);
      if (unknown !== undefined) {
        const names = program.commands.map((c) => c.name());
        throw new UsageError(`unknown command ${JSON.stringify(unknown)}${didYouMean(unknown, names)}; the commands are ${names.join(', ')}`);
      }
      const running = await startRouter({ configPath: options.config });
      runtime.serving = true;
      const stop = (signal: string): void => {
        // Logged like every other line (JSON on stdout), and flushed before the process ends.
        running.logger.info({ signal }, 'shutting down');
        void running.close().then(() => {
          running.logger.info('stopped');
          running.logger.flush(() => process.exit(0));
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      running.logger.info({ config: options.config }, RUNNING_MESSAGE);
    });
}
