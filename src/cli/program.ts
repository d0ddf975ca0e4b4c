/**
 * The command line: `trino-envoy-router <command>`. `serve` runs the router; every other
 * command talks to a running router's admin API.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/index.js';
import { registerBackends } from './commands/backends.js';
import { registerConfig } from './commands/config.js';
import { registerExplain } from './commands/explain.js';
import { registerGroups } from './commands/groups.js';
import { registerQueries } from './commands/queries.js';
import { registerQueues } from './commands/queues.js';
import { registerRules } from './commands/rules.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';
import { report } from './errors.js';
import { EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.js';
import { processOutput, type Output } from './output.js';
import { seconds } from './parse.js';
import type { CliRuntime } from './session.js';

export const DEFAULT_SERVER = '127.0.0.1:9002';
export const TOKEN_ENV = 'TRINO_ROUTER_ADMIN_TOKEN';
export const SERVER_ENV = 'TRINO_ROUTER_ADMIN_SERVER';

/** The process keeps running (serve), or ends with this code. */
export type CliOutcome = 'serving' | ExitCode;

export function buildProgram(runtime: CliRuntime & { serving: boolean }): Command {
  const program = new Command('trino-envoy-router')
    .description('Routing sidecar for Trino behind Envoy: run it (serve), or operate a running one over its admin API')
    .addOption(new Option('--server <host:port>', 'admin API address').env(SERVER_ENV).default(DEFAULT_SERVER))
    .addOption(new Option('--token <token>', 'admin API bearer token').env(TOKEN_ENV))
    .addOption(new Option('--tls-ca <file>', 'connect with TLS; PEM of the CA that signed the admin port\'s certificate').env('TRINO_ROUTER_ADMIN_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'client certificate (PEM) for mutual TLS; needs --tls-key').env('TRINO_ROUTER_ADMIN_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'private key (PEM) of --tls-cert').env('TRINO_ROUTER_ADMIN_TLS_KEY'))
    .option('--json', 'print the API response as JSON (for scripts)')
    .addOption(new Option('--timeout <seconds>', 'deadline of each admin call').argParser(seconds).default(10_000, '10'))
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({ writeOut: (text) => runtime.output.out(text), writeErr: (text) => runtime.output.err(text) })
    // Subcommands created below inherit this: usage errors come back as CommanderError (exit 2).
    .exitOverride();
  registerServe(program, runtime);
  registerBackends(program, runtime);
  registerGroups(program, runtime);
  registerRules(program, runtime);
  registerExplain(program, runtime);
  registerStatus(program, runtime);
  registerQueries(program, runtime);
  registerQueues(program, runtime);
  registerConfig(program, runtime);
  return program;
}

/** Runs the command line; `argv` as process.argv (node, script, args...). */
export async function runCli(argv: readonly string[], output: Output = processOutput, now: () => number = Date.now): Promise<CliOutcome> {
  const runtime = { output, now, server: DEFAULT_SERVER, serving: false };
  const program = buildProgram(runtime);
  try {
    await program.parseAsync([...argv]);
    return runtime.serving ? 'serving' : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the problem (or the help / version) already.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      output.err(error.message);
      return EXIT.failure;
    }
    const { exitCode, message } = report(error, runtime.server);
    output.err(`trino-envoy-router: ${message}`);
    return exitCode;
  }
}
