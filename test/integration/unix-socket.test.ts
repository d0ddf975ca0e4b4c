/**
 * The router's gRPC listeners on a Unix domain socket (sidecar topology): file mode, a stale
 * socket file at start, a live or foreign file refused, the file removed at shutdown.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRouter } from '../../src/app.js';
import { UNIX_SOCKET_MODE } from '../../src/runtime/grpc-server.js';
import { routerConfigYaml } from '../e2e/harness.js';

let dir: string;
let socketPath: string;
let configPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ter-uds-'));
  socketPath = join(dir, 'sock');
  configPath = join(dir, 'router.yaml');
  writeFileSync(configPath, routerConfigYaml({
    trinoA: 'http://127.0.0.1:1', trinoB: 'http://127.0.0.1:2', prefixRouting: true, dataDir: dir,
    extProcAddress: `unix:${socketPath}`, extAuthzAddress: `unix:${socketPath}`,
  }));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function bindPlainSocket(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

describe('listen.extProc on a Unix socket', () => {
  it('makes the socket file mode 0660 (owner and group), serves both edges on it, and removes it at shutdown', async () => {
    const router = await startRouter({ configPath });
    try {
      const stats = statSync(socketPath);
      expect(stats.isSocket()).toBe(true);
      expect(stats.mode & 0o777).toBe(UNIX_SOCKET_MODE);
      expect(UNIX_SOCKET_MODE).toBe(0o660);
      expect(router.extAuthzPort).toBe(router.extProcPort);
    } finally {
      await router.close();
    }
    expect(existsSync(socketPath)).toBe(false);
  });

  it('replaces a socket file that a dead process left behind', async () => {
    // A process killed while listening leaves its socket file (a clean close would unlink it).
    const killed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(killed.signal).toBe('SIGKILL');
    expect(statSync(socketPath).isSocket()).toBe(true);
    const router = await startRouter({ configPath });
    expect(statSync(socketPath).mode & 0o777).toBe(UNIX_SOCKET_MODE);
    await router.close();
  });

  it('refuses a socket another process is listening on, and a path that is not a socket', async () => {
    const live = await bindPlainSocket(socketPath);
    try {
      await expect(startRouter({ configPath })).rejects.toThrow(/unix:.*\(listen\.extProc\): another process is listening on this socket/);
    } finally {
      await new Promise<void>((resolve) => live.close(() => resolve()));
    }
    writeFileSync(socketPath, 'not a socket');
    await expect(startRouter({ configPath })).rejects.toThrow(/the path exists and is not a socket/);
    expect(existsSync(socketPath)).toBe(true);
  });
});
