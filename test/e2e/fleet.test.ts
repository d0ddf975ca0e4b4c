/**
 * A fleet: three routers on one PostgreSQL database (a real server), behind one Envoy that
 * spreads ext_proc streams over them, backends without prefix routing. Polling is set to a
 * minute, so whatever reaches a replica within the test came through the change feed.
 */
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { connect } from '../../src/cli/admin-client.js';
import type { RequestContext } from '../../src/routing/request-router.js';
import type { EnvoyStandin } from '../standins/envoy/index.js';
import { startFleetBackends, type FleetBackends } from '../support/fleet.js';
import { freshDatabase } from '../support/postgres-databases.js';
import { collect, eventually, submit } from '../support/statement-protocol.js';
import { routeFully } from '../support/route-fully.js';

const TOKEN = 'a-fleet-admin-token-long-enough';

describe('three replicas on one PostgreSQL store', () => {
  let drop: () => Promise<void>;
  let fleet: FleetBackends;
  let replicas: RunningRouter[];
  let envoy: EnvoyStandin;
  /** An Envoy whose router cluster is replica 1 alone: a submission meets that replica. */
  let toFirst: EnvoyStandin;

  beforeAll(async () => {
    const database = await freshDatabase();
    drop = database.drop;
    fleet = await startFleetBackends({ rowsPerPage: 20 });
    replicas = [];
    for (let i = 0; i < 3; i++) {
      const configPath = fleet.replicaConfig(i, { storeUrl: database.url, store: 'pollIntervalMs: 60000', adminToken: TOKEN });
      replicas.push(await startRouter({ configPath }));
    }
    envoy = await fleet.envoyOver(replicas.map((r) => r.extProcPort));
    toFirst = await fleet.envoyOver([replicas[0]!.extProcPort]);
  });
  afterAll(async () => {
    for (const replica of replicas ?? []) await replica.close();
    await fleet?.close();
    await drop?.();
  });

  it('a change through replica 1\'s admin API is in replicas 2 and 3 at once', async () => {
    const admin = connect({ server: `127.0.0.1:${replicas[0]!.adminPort}`, token: TOKEN, timeoutMs: 10_000 });
    try {
      const { revision } = await admin.backends.disableBackend({ name: 'trino-a' });
      for (const replica of replicas) {
        await eventually(() => replica.serving.snapshot().revision === revision);
        expect(replica.serving.snapshot().backends.get('trino-a')?.enabled).toBe(false);
      }
      const back = await admin.backends.enableBackend({ name: 'trino-a' });
      for (const replica of replicas) await eventually(() => replica.serving.snapshot().revision === back.revision);
    } finally {
      admin.close();
    }
  });

  it('a query learned by replica 1 has its polls and its cancel routed by query id on replicas 2 and 3', async () => {
    const first = await submit(toFirst.url, 'SELECT * FROM t /* rows=5 duration=60000 */', { 'X-Trino-User': 'etl_fleet' });
    expect(first.status).toBe(200);
    const id = first.body.id as string;
    const path = new URL(first.body.nextUri as string).pathname;
    for (const replica of replicas.slice(1)) {
      await eventually(() => replica.serving.ownership.queryOwner(id) !== undefined);
      const poll = await route(replica, 'GET', path);
      expect(poll.instruction).toMatchObject({ kind: 'forward', backend: 'trino-b', mechanism: 'query_id' });
      const cancel = await route(replica, 'DELETE', `/v1/query/${id}`);
      expect(cancel.instruction).toMatchObject({ kind: 'forward', backend: 'trino-b', mechanism: 'query_id' });
    }
  });

  it('queries through Envoy complete on their cluster while consecutive requests meet different replicas', async () => {
    const users = ['alice', 'etl_one', 'carol', 'etl_two'];
    const runs = await Promise.all(users.map((user) => collect(
      Trino.create({ server: envoy.url, auth: new BasicAuth(user), source: 'fleet' }),
      'SELECT * FROM t /* rows=100 */',
    )));
    runs.forEach((run, i) => {
      expect(run.error).toBeUndefined();
      expect(run.rows).toHaveLength(100);
      expect(new Set(run.rows.map((r) => r[1]))).toEqual(new Set([users[i]!.startsWith('etl_') ? 'trino-b' : 'trino-a']));
    });
    // One history for the whole fleet: every replica lists every query, whoever routed it.
    const listed = async () => (await replicas[1]!.store.history.list({ source: 'fleet' })).map((r) => r.user).sort().join();
    await eventually(async () => (await listed()) === [...users].sort().join());
  });
});

function route(replica: RunningRouter, method: string, path: string): RequestContext | Promise<RequestContext> {
  return routeFully(replica.router, {
    headers: [[':method', method], [':path', path], [':authority', 'envoy'], ['x-trino-user', 'etl_fleet']],
    listenerPort: 8080,
  });
}
