/**
 * What a CLI command runs with: the global options, a connection to the admin API (opened
 * on first use, closed when the command ends) and the output, printing either the human
 * form or the API response as JSON.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { connect, type AdminClient, type ClientTls } from './admin-client.js';
import { UsageError } from './errors.js';
import { json, staleNote, type Output } from './output.js';

export interface GlobalOptions {
  readonly server: string;
  readonly token?: string | undefined;
  /** PEM files: the CA that signed the admin port's certificate, and the client's certificate and key. */
  readonly tlsCa?: string | undefined;
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  readonly json?: boolean | undefined;
  /** Milliseconds. */
  readonly timeout: number;
}

export interface Session {
  readonly client: AdminClient;
  readonly json: boolean;
  readonly output: Output;
  readonly now: () => number;
  /** Prints the response as JSON with --json, else what `human` renders (and a note when the read is stale). */
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
  const client = connect({ server: options.server, token, tls: clientTlsOf(options), timeoutMs: options.timeout });
  const asJson = options.json === true;
  try {
    await action({
      client,
      json: asJson,
      output: runtime.output,
      now: runtime.now,
      print: (response, human) => {
        runtime.output.out(asJson ? json(response) : human());
        // JSON carries `freshness` itself; people get the note (on stderr, never part of the result).
        const note = asJson ? undefined : staleNote(response, runtime.now());
        if (note !== undefined) runtime.output.err(note);
      },
    });
  } finally {
    client.close();
  }
}

/** TLS when any --tls-* option is given; a certificate needs its key and the other way round. */
function clientTlsOf(options: GlobalOptions): ClientTls | undefined {
  const { tlsCa, tlsCert, tlsKey } = options;
  if (tlsCa === undefined && tlsCert === undefined && tlsKey === undefined) return undefined;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together (the client certificate and its private key)');
  }
  return { ca: readPem('--tls-ca', tlsCa), cert: readPem('--tls-cert', tlsCert), key: readPem('--tls-key', tlsKey) };
}

function readPem(option: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${option} ${path}: ${(error as Error).message}`);
  }
}
