/**
 * Draining a backend through the API and the CLI: the drain switch is persisted and takes
 * the backend out of rotation at once, progress comes from the health monitor (a fake here),
 * `drain --wait` follows it to the end or gives up, enable ends the drain.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackendStateChange, BackendStatus, HealthStatusSource } from '../../src/health/status.js';
import { runCli } from '../cli/run-cli.js';
import { failure, startStandaloneAdmin, type StandaloneAdmin } from './support.js';

vi.setConfig({ testTimeout: 60_000 });

/** A monitor that reports a drain of trino-b going down by one query per look. */
class DrainingHealth implements HealthStatusSource {
  remaining = 3;
  since = Date.now();
  constructor(private readonly drainingBackends: () => readonly string[]) {}
  status(): readonly BackendStatus[] {
    return ['trino-a', 'trino-b'].map((backend) => {
      const draining = this.drainingBackends().includes(backend);
      const remaining = draining ? this.remaining : 0;
      if (draining && this.remaining > 0) this.remaining--;
      return {
        backend, state: draining ? (remaining === 0 ? 'drained' : 'draining') : 'healthy', health: 'healthy', load: null,
        lastCheckAt: Date.now(), lastError: null, inSchedule: true,
        drain: draining ? { remaining, drained: remaining === 0, since: this.since } : null,
      };
    });
  }
  async history(): Promise<readonly BackendStateChange[]> {
    return [];
  }
}

let admin: StandaloneAdmin;
let health: DrainingHealth;

beforeAll(async () => {
  let routing: StandaloneAdmin['routing'] | undefined;
  // What the monitor sees: the serving snapshot, swapped after every change.
  health = new DrainingHealth(() => (routing === undefined ? [] : routing.current().config.backends
    .filter((b) => b.draining === true).map((b) => b.name)));
  admin = await startStandaloneAdmin({ health });
  routing = admin.routing;
});
afterAll(async () => {
  await admin?.close();
});

const cli = (...args: string[]) => runCli([...args, '--server', `127.0.0.1:${admin.server.port}`]);

describe('drain', () => {
  it('drains a backend, reports progress, and enable ends the drain', async () => {
    await failure(admin.client.backends.drainBackend({ name: 'nope' }), grpc.status.NOT_FOUND);
    const drained = await admin.client.backends.drainBackend({ name: 'trino-b' });
    expect(drained).toMatchObject({ changed: true, backend: { name: 'trino-b', draining: true, enabled: true } });
    expect(drained.progress).toMatchObject({ known: true, drained: false });
    expect(admin.routing.current().backends.get('trino-b')).toMatchObject({ draining: true });
    // Out of rotation for new queries at once; explain says why.
    const explained = await admin.client.explain.explain({ method: '', path: '', headers: [{ name: 'X-Trino-Source', value: 'airflow' }] });
    expect(explained).toMatchObject({ backend: 'trino-a', fellBackFrom: ['etl'] });
    expect(explained.groups[0]?.backends).toEqual([expect.objectContaining({ backend: 'trino-b', eligible: false, reason: 'draining' })]);
    const again = await admin.client.backends.drainBackend({ name: 'trino-b' });
    expect(again).toMatchObject({ changed: false, revision: drained.revision });
    const status = await admin.client.status.getStatus({ backends: ['trino-b'] });
    expect(status.backends[0]).toMatchObject({ draining: true, drain: { known: true } });
    const enabled = await admin.client.backends.enableBackend({ name: 'trino-b' });
    expect(enabled).toMatchObject({ changed: true, backend: { draining: false } });
  });

  it('the CLI waits for the drain to finish', async () => {
    health.remaining = 2;
    const run = await cli('backends', 'drain', 'trino-b', '--wait', '--interval', '0.1');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^draining backend trino-b \(revision \d+\)\nprogress: \d+ quer(y|ies) still running/);
    expect(run.stdout).toMatch(/backend trino-b is drained\n$/);
    await admin.client.backends.enableBackend({ name: 'trino-b' });
  });

  it('the CLI gives up waiting with exit 10', async () => {
    health.remaining = 1_000_000;
    const run = await cli('backends', 'drain', 'trino-b', '--wait', '--interval', '0.1', '--wait-timeout', '0.5');
    expect(run.code).toBe(10);
    expect(run.stderr).toMatch(/backend trino-b is still draining after \d+s/);
    await admin.client.backends.enableBackend({ name: 'trino-b' });
  });
});
