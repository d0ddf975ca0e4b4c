/**
 * `serve` as operators run it: every line it writes is JSON on stdout with a level name, the
 * shutdown lines included; stderr stays empty.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { RUNNING_MESSAGE } from '../../src/cli/commands/serve.js';
import { exampleConfigOnEphemeralPorts } from '../support/example-config.js';
import { REPO_ROOT } from './run-cli.js';

vi.setConfig({ testTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'ter-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serve logs', () => {
  it('writes JSON lines with level names on stdout, up to the shutdown after SIGTERM', async () => {
    const config = exampleConfigOnEphemeralPorts(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', config], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stopped && stdout.includes(RUNNING_MESSAGE)) stopped = child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const records = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { level: unknown; msg: string; signal?: string });
    expect(records.every((r) => typeof r.level === 'string')).toBe(true);
    expect(records.find((r) => r.msg === 'shutting down')).toMatchObject({ level: 'info', signal: 'SIGTERM' });
    expect(records.at(-1)).toMatchObject({ level: 'info', msg: 'stopped' });
  });
});
