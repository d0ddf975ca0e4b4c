/**
 * What a CLI command runs with: the global options, a connection to the admin API (opened
 * on first use, closed when the command ends) and the output, printing either the human
 * form or the API response as JSON.
 */
import type { Command } from 'commander';
import { connect, type AdminClient } from './admin-client.js';
import { json, type Output } from './output.js';

export interface GlobalOptions {
  readonly server: string;
  readonly token?: string | undefined;
  readonly json?: boolean | undefined;
  /** Milliseconds. */
  readonly timeout: number;
}

export interface Session {
  readonly client: AdminClient;
  readonly json: boolean;
  readonly output: Output;
  readonly now: () => number;
  /** Prints the response as JSON with --json, else what `human` renders. */
  print(response: unknown, human: () => string): void;
}

export interface CliRuntime {
  readonly output: Output;
  readonly now: () => number;
  /** The --server of the command being run, for error messages. */
  server: string;
}

/** Runs `action` with a session for `command`'s global options. */
export async function withSession(runtime: CliRuntime, command: Command, action: (session: Session) => Promise<void>): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>();
  runtime.server = options.server;
  const token = options.token === undefined || options.token === '' ? undefined : options.token;
  const client = connect({ server: options.server, token, timeoutMs: options.timeout });
  const asJson = options.json === true;
  try {
    await action({
      client,
      json: asJson,
      output: runtime.output,
      now: runtime.now,
      print: (response, human) => runtime.output.out(asJson ? json(response) : human()),
    });
  } finally {
    client.close();
  }
}
