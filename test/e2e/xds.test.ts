/**
 * The recommended setup (envoy/envoy-xds.yaml): Envoy's backend clusters come from the router's
 * ADS. A backend created through the admin API reaches Envoy without any restart or reload and
 * serves a query from the official client, while queries already running on the other clusters
 * complete with every row; a backend deleted through the admin API leaves Envoy's clusters.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { connect, type AdminClient } from '../../src/cli/admin-client.js';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, type TrinoStandin } from '../standins/trino/index.js';
import { collect, eventually } from '../support/statement-protocol.js';
import { REPO_ROOT, routerConfigYaml } from './harness.js';

const ENVOY_XDS_CONFIG = join(REPO_ROOT, 'envoy/envoy-xds.yaml');

function client(envoy: EnvoyStandin, user: string): Trino {
  return Trino.create({ server: envoy.url, auth: new BasicAuth(user), source: 'xds-e2e' });
}

describe.each([
  { mode: 'prefix routing', prefixRouting: true },
  { mode: 'query-id routing', prefixRouting: false },
])('clusters from the router over xDS, with $mode', ({ prefixRouting }) => {
  let dir: string;
  let trinoA: TrinoStandin;
  let trinoB: TrinoStandin;
  let trinoC: TrinoStandin;
  let router: RunningRouter;
  let envoy: EnvoyStandin;
  let admin: AdminClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ter-xds-e2e-'));
    trinoA = await startTrinoStandin({ name: 'trino-a', rowsPerPage: 10, pollIntervalMs: FAST_POLL_HOLD_MS });
    trinoB = await startTrinoStandin({ name: 'trino-b', rowsPerPage: 10, pollIntervalMs: FAST_POLL_HOLD_MS });
    trinoC = await startTrinoStandin({ name: 'trino-c', rowsPerPage: 10, pollIntervalMs: FAST_POLL_HOLD_MS });
    const configPath = join(dir, 'router.yaml');
    // listen.xds is left out: the default serves ADS on the ext_proc server.
    writeFileSync(configPath, routerConfigYaml({ trinoA: trinoA.url, trinoB: trinoB.url, prefixRouting, dataDir: dir, adminAddress: '127.0.0.1:0' }));
    router = await startRouter({ configPath });
    expect(router.xdsPort).toBe(router.extProcPort);
    // The only address the test gives Envoy is the router's: every backend cluster comes over ADS.
    envoy = await startEnvoyStandin({
      configPath: ENVOY_XDS_CONFIG,
      clusters: { trino_router: [{ host: '127.0.0.1', port: router.extProcPort }] },
    });
    admin = connect({ server: `127.0.0.1:${router.adminPort}`, token: undefined, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    admin?.close();
    await envoy?.close();
    await router?.close();
    await Promise.all([trinoA?.close(), trinoB?.close(), trinoC?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with one cluster per backend, and routes through them', async () => {
    expect(envoy.cds()).toMatchObject({ clusters: ['trino-a', 'trino-b'], accepted: 1, rejected: [] });
    const run = await collect(client(envoy, 'alice'), 'SELECT * FROM t /* rows=5 */');
    expect(run.error).toBeUndefined();
    expect(new Set(run.rows.map((r) => r[1]))).toEqual(new Set(['trino-a']));
  });

  it('a backend added through the admin API serves a query without a restart while running queries complete', async () => {
    const before = envoy.cds();
    // Long queries on both clusters Envoy knew from the start (analysts -> trino-a, etl_ -> trino-b).
    const users = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? 'carol' : `etl_${i}`));
    const running = users.map((user) => collect(client(envoy, user), 'SELECT * FROM t /* rows=60 duration=800 */'));
    await eventually(() => trinoA.queries().length + trinoB.queries().length >= 6 + 1);

    await admin.backends.createBackend({ backend: { name: 'trino-c', url: trinoC.url, prefixRouting, schedules: [], draining: false } });
    // analysts (alice, carol) now go to the new cluster only.
    await admin.groups.updateGroup({ group: { name: 'analysts', strategy: '', members: [{ backend: 'trino-c' }], isDefault: false }, updateMask: ['members'] });
    await eventually(() => envoy.cds()?.clusters.includes('trino-c') === true);

    const fresh = await collect(client(envoy, 'alice'), 'SELECT * FROM t /* rows=25 */');
    expect(fresh.error).toBeUndefined();
    expect(fresh.rows.map((r) => r[0])).toEqual(Array.from({ length: 25 }, (_, n) => n));
    expect(new Set(fresh.rows.map((r) => r[1]))).toEqual(new Set(['trino-c']));
    expect(trinoC.queries().filter((q) => q.sql.includes('rows=25')).map((q) => q.state)).toEqual(['FINISHED']);

    const runs = await Promise.all(running);
    runs.forEach((run, i) => {
      expect(run.error).toBeUndefined();
      expect(run.rows.map((r) => r[0])).toEqual(Array.from({ length: 60 }, (_, n) => n));
      // Each on the cluster it started on (carol: trino-a, etl_: trino-b), none moved to trino-c.
      expect(new Set(run.rows.map((r) => r[1]))).toEqual(new Set([i % 2 === 0 ? 'trino-a' : 'trino-b']));
    });
    const after = envoy.cds();
    expect(after?.clusters).toEqual(['trino-a', 'trino-b', 'trino-c']);
    expect(after?.version).not.toBe(before?.version);
    expect(after?.rejected).toEqual([]);
    // Nothing restarted: no local replies (503 NC for an unknown cluster, connect failures).
    expect(envoy.stats().localReplies).toEqual({});
  });

  it('a backend deleted through the admin API leaves Envoy\'s clusters; the others keep serving', async () => {
    await admin.groups.updateGroup({ group: { name: 'analysts', strategy: '', members: [{ backend: 'trino-a' }], isDefault: false }, updateMask: ['members'] });
    await admin.backends.deleteBackend({ name: 'trino-c' });
    await eventually(() => envoy.cds()?.clusters.includes('trino-c') === false);
    expect(envoy.cds()?.clusters).toEqual(['trino-a', 'trino-b']);
    const run = await collect(client(envoy, 'alice'), 'SELECT * FROM t /* rows=5 */');
    expect(run.error).toBeUndefined();
    expect(new Set(run.rows.map((r) => r[1]))).toEqual(new Set(['trino-a']));
  });
});
