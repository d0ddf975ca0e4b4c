/**
 * deploy/docker/healthcheck.mjs, the image's HEALTHCHECK: run with Node against a real
 * grpc.health.v1 server (the same grpc-health-check implementation the admin server uses).
 * Exit 0 only for SERVING; a broken copy of the script (reading the status wrong) fails.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './lib/repo-files.js';

const SCRIPT = join(REPO_ROOT, 'deploy/docker/healthcheck.mjs');

let server: grpc.Server;
let health: HealthImplementation;
let port: number;
let scratch: string;

beforeAll(async () => {
  server = new grpc.Server();
  health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error === null ? resolve(p) : reject(error)));
  });
  scratch = mkdtempSync(join(tmpdir(), 'healthcheck-'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(scratch, 'node_modules'), 'dir');
});

afterAll(() => {
  server.forceShutdown();
  rmSync(scratch, { recursive: true, force: true });
});

function run(script: string, address: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script], { env: { ...process.env, TRINO_ROUTER_HEALTH_ADDRESS: address, TRINO_ROUTER_HEALTH_TIMEOUT_MS: '1500' }, timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

describe('the container health check', () => {
  it('exits 0 when the router is SERVING', async () => {
    health.setStatus('', 'SERVING');
    expect(await run(SCRIPT, `127.0.0.1:${port}`)).toEqual({ code: 0, output: expect.stringContaining('is SERVING') });
  });

  it('exits 1 when the router is NOT_SERVING (shutting down)', async () => {
    health.setStatus('', 'NOT_SERVING');
    expect(await run(SCRIPT, `127.0.0.1:${port}`)).toEqual({ code: 1, output: expect.stringContaining('is NOT_SERVING') });
    health.setStatus('', 'SERVING');
  });

  it('exits 1 when nothing answers', async () => {
    const closed = new grpc.Server();
    const free = await new Promise<number>((resolve, reject) => {
      closed.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error === null ? resolve(p) : reject(error)));
    });
    closed.forceShutdown();
    expect((await run(SCRIPT, `127.0.0.1:${free}`)).code).toBe(1);
  });

  it('a broken copy that misreads the status fails', async () => {
    const broken = join(scratch, 'healthcheck.mjs');
    const text = readFileSync(SCRIPT, 'utf8');
    expect(text).toContain('if (status !== 1)');
    writeFileSync(broken, text.replace('if (status !== 1)', 'if (status !== 2)'));
    health.setStatus('', 'SERVING');
    expect((await run(broken, `127.0.0.1:${port}`)).code).toBe(1);
  });
});
