/**
 * The database may fail; routing may not. Two routers on one PostgreSQL server (their own
 * throwaway one, so it can be stopped) behind the Envoy stand-in, backends without prefix
 * routing. The server is stopped for 10 s while queries run, then started again.
 */
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { connect } from '../../src/cli/admin-client.js';
import type { EnvoyStandin } from '../standins/envoy/index.js';
import type { TrinoStandin } from '../standins/trino/index.js';
import { startFleetBackends, type FleetBackends } from '../support/fleet.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { collect, eventually } from '../support/statement-protocol.js';

const TOKEN = 'an-outage-admin-token-long-enough';

describe('PostgreSQL stopped for 10 s under two replicas', () => {
  let database: ThrowawayPostgres;
  let fleet: FleetBackends;
  let trinoA: TrinoStandin;
  let trinoB: TrinoStandin;
  let replicas: RunningRouter[];
  let envoy: EnvoyStandin;

  beforeAll(async () => {
    database = await startThrowawayPostgres();
    fleet = await startFleetBackends({ rowsPerPage: 10 });
    ({ trinoA, trinoB } = fleet);
    replicas = [];
    for (let i = 0; i < 2; i++) {
      const configPath = fleet.replicaConfig(i, { storeUrl: database.url, store: 'pollIntervalMs: 500, pool: { connectTimeoutMs: 1000 }', adminToken: TOKEN });
      replicas.push(await startRouter({ configPath }));
    }
    envoy = await fleet.envoyOver(replicas.map((r) => r.extProcPort));
  }, 60_000);
  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.close();
    await fleet?.close();
    await database?.destroy();
  });

  it('queries complete on their cluster, admin writes get UNAVAILABLE naming the store, and what was learned reaches the database after', async () => {
    const run = (user: string) => collect(
      Trino.create({ server: envoy.url, auth: new BasicAuth(user), source: 'outage' }),
      'SELECT * FROM t /* rows=40 duration=400 */',
    );
    const users = ['alice', 'etl_a', 'carol', 'etl_b'];
    const before = await Promise.all(users.map(run));
    for (const result of before) expect(result.error).toBeUndefined();

    await database.stop();
    const admin = connect({ server: `127.0.0.1:${replicas[0]!.adminPort}`, token: TOKEN, timeoutMs: 10_000 });
    let during: Awaited<ReturnType<typeof run>>[] = [];
    try {
      const refused = await admin.backends.disableBackend({ name: 'trino-a' }).then(() => undefined, (e: unknown) => e as grpc.ServiceError);
      expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
      expect(refused?.details).toMatch(/the PostgreSQL store postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres .*is unavailable/);
      // Queries submitted and polled across both replicas while the database is gone.
      const started = Date.now();
      while (Date.now() - started < 10_000) {
        const batch = await Promise.all(['alice', 'etl_c'].map((user) => run(`${user}_${during.length}`)));
        during = during.concat(batch);
      }
    } finally {
      admin.close();
      await database.start();
    }
    expect(during.length).toBeGreaterThanOrEqual(4);
    for (const result of during) {
      expect(result.error).toBeUndefined();
      expect(result.rows).toHaveLength(40);
      // 0 misrouted: every row of a query from the cluster its rule names.
      const cluster = result.rows[0]![1];
      expect(new Set(result.rows.map((r) => r[1]))).toEqual(new Set([cluster]));
    }
    const ids = [...trinoA.queries(), ...trinoB.queries()].filter((q) => /_\d+$/.test(q.user)).map((q) => q.id);
    expect(ids).toHaveLength(during.length);
    for (const q of [...trinoA.queries(), ...trinoB.queries()]) expect(q.state).toBe('FINISHED');

    // Everything learned during the outage is written once the database is back.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await eventually(async () => {
        const owners = await client.query('SELECT count(*)::int AS n FROM trino_router.query_owners WHERE query_id = ANY ($1)', [ids]);
        const history = await client.query('SELECT count(*)::int AS n FROM trino_router.query_history WHERE query_id = ANY ($1)', [ids]);
        return owners.rows[0].n === ids.length && history.rows[0].n === ids.length;
      }, 1500);
    } finally {
      await client.end();
    }
    // And admin writes work again, reaching both replicas.
    const again = connect({ server: `127.0.0.1:${replicas[1]!.adminPort}`, token: TOKEN, timeoutMs: 10_000 });
    try {
      const { revision } = await again.backends.drainBackend({ name: 'trino-a' });
      for (const replica of replicas) await eventually(() => replica.serving.snapshot().revision === revision, 1500);
    } finally {
      again.close();
    }
  }, 90_000);
});
