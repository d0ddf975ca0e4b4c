/**
 * One judge of health: three router processes on one PostgreSQL database, monitor on. One of
 * them leads (checks and publishes); it is killed with SIGKILL while a backend goes down, and
 * another replica takes over and publishes the change, so the backend stops taking queries
 * on every replica left.
 */
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvoyStandin } from '../standins/envoy/index.js';
import type { TrinoStandin } from '../standins/trino/index.js';
import { startFleetBackends, type FleetBackends } from '../support/fleet.js';
import { freshDatabase } from '../support/postgres-databases.js';
import { freePort, spawnRouter, type RouterProcess } from '../support/router-process.js';
import { collect, eventually } from '../support/statement-protocol.js';

const LEADS = 'this replica now judges backend health for the fleet';

describe('the fleet health leader killed with SIGKILL', () => {
  let drop: () => Promise<void>;
  let fleet: FleetBackends;
  let trinoB: TrinoStandin;
  let replicas: RouterProcess[];
  let envoy: EnvoyStandin;
  let ports: number[];

  beforeAll(async () => {
    const database = await freshDatabase();
    drop = database.drop;
    fleet = await startFleetBackends();
    trinoB = fleet.trinoB;
    ports = await Promise.all([freePort(), freePort(), freePort()]);
    replicas = await Promise.all(ports.map((port, i) => spawnRouter(fleet.replicaConfig(i, {
      storeUrl: database.url,
      extProcAddress: `127.0.0.1:${port}`,
      logLevel: 'info',
      monitor: '{ intervalSeconds: 1, timeoutMs: 1500, failureThreshold: 1, successThreshold: 1 }',
    }))));
    envoy = await fleet.envoyOver(ports);
  }, 60_000);
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    await fleet?.close();
    await drop?.();
  });

  const leaders = (): number[] => replicas.flatMap((r, i) => (r.logs.some((l) => l.msg === LEADS) ? [i] : []));
  const adhoc = (user: string) => collect(Trino.create({ server: envoy.url, auth: new BasicAuth(user), source: 'leader' }), 'SELECT * FROM t /* rows=3 */');

  it('exactly one replica leads; after its SIGKILL another takes over and a backend that went down stops taking queries', async () => {
    await eventually(() => leaders().length === 1);
    const first = leaders()[0]!;
    // Followers apply the leader's reports: every replica has both backends healthy.
    const sawUp = (r: RouterProcess) => r.logs.some((l) => l.msg === 'backend state changed' && l.backend === 'trino-b' && l.to === 'healthy');
    await eventually(() => replicas.every(sawUp), 1000);

    await replicas[first]!.kill();
    // As Envoy's health check of the router cluster would: the dead replica leaves it.
    envoy.setClusterEndpoints('trino_router', ports.filter((_, i) => i !== first).map((port) => ({ host: '127.0.0.1', port })));
    await trinoB.close();
    await eventually(() => leaders().some((i) => i !== first), 1000);
    expect(leaders().filter((i) => i !== first)).toHaveLength(1);

    // Both replicas left apply the new leader's report: trino-b is unhealthy on each.
    const survivors = replicas.filter((_, i) => i !== first);
    const sawDown = (r: RouterProcess) => r.logs.some((l) => l.msg === 'backend state changed' && l.backend === 'trino-b' && l.to === 'unhealthy');
    await eventually(() => survivors.every(sawDown), 1000);
    // And the adhoc group now sends every query to trino-a, whichever replica routes it.
    const after = await Promise.all(Array.from({ length: 8 }, (_, i) => adhoc(`after${i}`))).catch((error: unknown) => {
      throw new Error(`${String(error)}; Envoy saw ${JSON.stringify(envoy.stats())}`);
    });
    for (const run of after) {
      expect(run.error).toBeUndefined();
      expect(run.rows[0]?.[1]).toBe('trino-a');
    }
  }, 90_000);
});
