/**
 * Runs the CLI as operators do: a separate process (`node --import tsx src/main.ts ...`),
 * with its own environment, capturing stdout, stderr and the exit code.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    // Never let the developer's own settings leak into a test run.
    if (options.env?.TRINO_ROUTER_ADMIN_TOKEN === undefined) delete env.TRINO_ROUTER_ADMIN_TOKEN;
    if (options.env?.TRINO_ROUTER_ADMIN_SERVER === undefined) delete env.TRINO_ROUTER_ADMIN_SERVER;
    const child = execFile(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: REPO_ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
      if (code === undefined) fail(new Error(`CLI did not exit normally: ${error?.message ?? ''}\n${stderr}`));
      else done({ code, stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    else child.stdin?.end();
  });
}
