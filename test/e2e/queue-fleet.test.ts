/**
 * The gateway queue in a fleet (issue 22): two replicas on one PostgreSQL store behind Envoy.
 * A per-user limit holds across both replicas; queries queued by a replica that dies are
 * handed over by the other one, none lost.
 */
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import type { EnvoyStandin } from '../standins/envoy/index.js';
import { startFleetBackends, type FleetBackends } from '../support/fleet.js';
import { freshDatabase } from '../support/postgres-databases.js';
import { eventually, get, submit, type Answer } from '../support/statement-protocol.js';

const ROUTING = `groups:
  - { name: adhoc, strategy: round_robin, backends: [trino-a, trino-b] }
rules:
  - { name: etl, priority: 1, group: adhoc, maxRunningPerUser: 2, match: { user: { regex: "^etl_" } } }
queue: { pollHoldMs: 100, dispatchIntervalMs: 50, countGraceMs: 300, clientTimeoutSeconds: 30, leaseSeconds: 2 }
`;
const MONITOR = '{ intervalSeconds: 0.05, failureThreshold: 1, successThreshold: 1 }';

async function run(envoy: EnvoyStandin, sql: string, user: string): Promise<{ rows: number; error: string | undefined }> {
  const trino = Trino.create({ server: envoy.url, auth: new BasicAuth(user), source: 'fleet' });
  let rows = 0;
  for await (const result of await trino.query(sql)) {
    if (result.error) return { rows, error: result.error.message };
    rows += (result.data ?? []).length;
  }
  return { rows, error: undefined };
}

/** Follows a query to its end with every URI's `from` origin replaced by `to`; its rows. */
async function followVia(first: Answer, from: string, to: string, headers: Record<string, string>): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for (let last = first; last.body?.nextUri !== undefined;) {
    last = await get(String(last.body.nextUri).replace(from, to), headers);
    expect(last.status).toBe(200);
    expect(last.body.error).toBeUndefined();
    if (Array.isArray(last.body.data)) rows.push(...(last.body.data as unknown[][]));
  }
  return rows;
}

describe('the gateway queue on two replicas sharing PostgreSQL', () => {
  let drop: () => Promise<void>;
  let fleet: FleetBackends;
  let first: RunningRouter;
  let second: RunningRouter;
  let both: EnvoyStandin;
  let toFirst: EnvoyStandin;
  let toSecond: EnvoyStandin;

  beforeAll(async () => {
    const database = await freshDatabase();
    drop = database.drop;
    fleet = await startFleetBackends({ rowsPerPage: 20 });
    const config = (i: number) => fleet.replicaConfig(i, {
      storeUrl: database.url, store: 'pollIntervalMs: 500', routing: ROUTING, logLevel: process.env.QLOG ?? 'silent', backendFields: 'maxRunningQueries: 2', monitor: MONITOR,
    });
    first = await startRouter({ configPath: config(0) });
    second = await startRouter({ configPath: config(1) });
    both = await fleet.envoyOver([first.extProcPort, second.extProcPort]);
    toFirst = await fleet.envoyOver([first.extProcPort]);
    toSecond = await fleet.envoyOver([second.extProcPort]);
  }, 60_000);
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await fleet?.close();
    await drop?.();
  });

  it('a per-user limit holds across both replicas: never more than 2 of etl_bob\'s queries run at once', async () => {
    let most = 0;
    const sampler = setInterval(() => {
      const running = [...fleet.trinoA.queries(), ...fleet.trinoB.queries()].filter((q) => q.user === 'etl_bob' && q.state === 'RUNNING').length;
      most = Math.max(most, running);
    }, 10);
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => run(both, `/* rows=3 duration=700 */ SELECT ${i} FROM per_user`, 'etl_bob')));
      for (const result of results) expect(result).toEqual({ rows: 3, error: undefined });
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(2);
    // Both replicas took submissions (Envoy spreads the streams).
    const reached = [...fleet.trinoA.queries(), ...fleet.trinoB.queries()].filter((q) => q.sql.includes('per_user'));
    expect(reached).toHaveLength(8);
  }, 90_000);

  it('killing the replica that queued 10 queries loses none: the other replica hands them over', async () => {
    // Fill both backends (2 each) through the second replica, so the first can only queue.
    const blockers = Array.from({ length: 4 }, () => run(toSecond, '/* rows=1 duration=3000 */ SELECT 1 FROM kill_blocker', 'alice'));
    await eventually(() => [...fleet.trinoA.queries(), ...fleet.trinoB.queries()].filter((q) => q.sql.includes('kill_blocker')).length === 4, 3_000);
    const headers = { 'X-Trino-User': 'alice' };
    const queued: Answer[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await submit(toFirst.url, `/* rows=4 */ SELECT ${i} FROM survivors`, headers);
      expect(answer.body.stats.state).toBe('QUEUED');
      queued.push(answer);
    }
    await first.close();
    // The clients keep polling the same signed path (and, later, the cluster's URIs) through an
    // Envoy whose router is the surviving replica: the address in front of a fleet stays the same.
    const finished = await Promise.all(queued.map((a) => followVia(a, toFirst.url, toSecond.url, headers)));
    for (const rows of finished) expect(rows).toHaveLength(4);
    await Promise.all(blockers);
    const reached = [...fleet.trinoA.queries(), ...fleet.trinoB.queries()].filter((q) => q.sql.includes('survivors'));
    expect(reached).toHaveLength(10);
  }, 90_000);
});
