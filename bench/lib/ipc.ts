/**
 * Request/answer over the Node IPC channel between the orchestrator and its child processes
 * (router, floor, load generator, engine, memory). Nothing here runs during a measurement.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Envelope {
  readonly id: number;
  readonly cmd: string;
  readonly args: unknown;
}

type Reply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

export type Handlers = Record<string, (args: any) => unknown>;

/** In a child: answers the parent's commands. */
export function serve(handlers: Handlers): void {
  process.on('message', (message: Envelope) => {
    const answer = (reply: Reply): void => {
      process.send?.(reply);
    };
    const handler = handlers[message.cmd];
    if (handler === undefined) return answer({ id: message.id, ok: false, error: `unknown command ${message.cmd}` });
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => answer({ id: message.id, ok: true, result: result ?? null }),
        (error: unknown) => answer({ id: message.id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

export class Child {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: string | undefined;

  private constructor(readonly name: string, readonly process: ChildProcess) {
    process.on('message', (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      if (w === undefined) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.result);
      else w.reject(new Error(`${name}: ${reply.error}`));
    });
    process.on('exit', (code, signal) => {
      this.exited = `${name} exited (code ${code}, signal ${signal})`;
      for (const w of this.waiting.values()) w.reject(new Error(this.exited));
      this.waiting.clear();
    });
  }

  /**
   * Starts `module` (a sibling .ts or .js of the caller, same loader flags) as a child with its
   * own V8 heap. stdout/stderr go to `logFile` when given.
   */
  static start(name: string, moduleUrl: URL, options: { args?: string[]; execArgv?: string[]; logFile?: string; env?: NodeJS.ProcessEnv } = {}): Child {
    const fd = options.logFile === undefined ? 'inherit' : openSync(options.logFile, 'a');
    const child = fork(fileURLToPath(moduleUrl), options.args ?? [], {
      execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
      stdio: ['ignore', fd, fd, 'ipc'],
      env: options.env ?? process.env,
    });
    return new Child(name, child);
  }

  call<T>(cmd: string, args: unknown = {}): Promise<T> {
    if (this.exited !== undefined) return Promise.reject(new Error(this.exited));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ id, cmd, args } satisfies Envelope);
    });
  }

  /** Asks the child to exit (it does on disconnect) and waits for it. */
  async stop(): Promise<void> {
    if (this.exited !== undefined) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    if (this.process.connected) this.process.disconnect();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** URL of a sibling module of `base`, with the caller's own extension (.ts under tsx, .js compiled). */
export function sibling(base: string, relative: string): URL {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(relative + ext, base);
}
