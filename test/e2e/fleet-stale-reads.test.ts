/**
 * Admin reads say how stale they are. Two replicas on one PostgreSQL server (their own
 * throwaway one, so it can be stopped): while it is down, the reads of the routing state answer
 * from the replica's memory with the revision it routes by, when it last heard from the store
 * and why it cannot now; the CLI prints a warning saying so. Once the server is back, the reads
 * are current again.
 */
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { connect, type AdminClient } from '../../src/cli/admin-client.js';
import { runCli } from '../cli/run-cli.js';
import type { EnvoyStandin } from '../standins/envoy/index.js';
import { startFleetBackends, type FleetBackends } from '../support/fleet.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { collect, eventually } from '../support/statement-protocol.js';

const TOKEN = 'a-stale-reads-admin-token-long-enough';

describe('admin reads while PostgreSQL is stopped', () => {
  let database: ThrowawayPostgres;
  let fleet: FleetBackends;
  let replicas: RunningRouter[];
  let envoy: EnvoyStandin;
  let admin: AdminClient;

  beforeAll(async () => {
    database = await startThrowawayPostgres();
    fleet = await startFleetBackends({ rowsPerPage: 10 });
    replicas = [];
    for (let i = 0; i < 2; i++) {
      const configPath = fleet.replicaConfig(i, { storeUrl: database.url, store: 'pollIntervalMs: 200, pool: { connectTimeoutMs: 1000 }', adminToken: TOKEN });
      replicas.push(await startRouter({ configPath }));
    }
    envoy = await fleet.envoyOver(replicas.map((r) => r.extProcPort));
    admin = connect({ server: `127.0.0.1:${replicas[0]!.adminPort}`, token: TOKEN, timeoutMs: 10_000 });
  }, 60_000);
  afterAll(async () => {
    admin?.close();
    for (const replica of replicas ?? []) await replica.close();
    await fleet?.close();
    await database?.destroy();
  });

  it('answer from memory with the revision, the last time the store answered and why, and are current again once it is back', async () => {
    // A change on replica 2 before the outage: replica 1 shows it, fresh.
    const { revision } = await connect({ server: `127.0.0.1:${replicas[1]!.adminPort}`, token: TOKEN, timeoutMs: 10_000 }).backends.disableBackend({ name: 'trino-b' });
    await eventually(() => replicas[0]!.serving.snapshot().revision === revision, 1500);
    const fresh = await admin.backends.listBackends({});
    expect(fresh.revision).toBe(revision);
    expect(fresh.freshness?.staleForMs).toBe(0);
    expect(fresh.freshness?.staleReason).toBe('');
    const freshStatus = await admin.status.getStatus({ backends: [] });
    expect(freshStatus.freshness?.staleForMs).toBe(0);

    const stopping = Date.now();
    await database.stop();
    // The store may still answer a poll while it shuts down, never after.
    const stoppedAt = Date.now();
    try {
      // The next poll fails; from then on reads come from memory.
      await new Promise((r) => setTimeout(r, 700));
      const stale = await admin.backends.listBackends({});
      expect(stale.revision).toBe(revision);
      expect(stale.backends.find((b) => b.name === 'trino-b')?.enabled).toBe(false);
      const synced = stale.freshness?.storeSyncedAt?.getTime() ?? 0;
      expect(synced).toBeLessThanOrEqual(stoppedAt);
      expect(synced).toBeGreaterThan(stopping - 2_000);
      expect(stale.freshness?.staleForMs).toBeGreaterThanOrEqual(500);
      expect(stale.freshness?.staleReason).toMatch(/^the store cannot be read: the PostgreSQL store postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres .*is unavailable/);

      // Every read of the routing state says so, and the staleness grows with the outage.
      const replies = await Promise.all([
        admin.backends.getBackend({ name: 'trino-a' }),
        admin.groups.listGroups({}),
        admin.groups.getGroup({ name: 'adhoc' }),
        admin.rules.listRules({}),
        admin.config.exportConfig({ includeSecrets: false }),
        admin.status.getStatus({ backends: [] }),
      ]);
      for (const reply of replies) {
        expect(reply.revision).toBe(revision);
        expect(reply.freshness?.staleForMs).toBeGreaterThan(stale.freshness?.staleForMs ?? 0);
        expect(reply.freshness?.staleReason).toMatch(/^the store cannot be read: /);
      }
      const rules = (replies[3] as Awaited<ReturnType<AdminClient['rules']['listRules']>>).rules;
      const rule = rules[0];
      if (rule !== undefined) {
        const one = await admin.rules.getRule({ name: rule.name });
        expect(one.freshness?.staleForMs).toBeGreaterThan(0);
      }

      // Routing goes on meanwhile.
      const query = await collect(Trino.create({ server: envoy.url, auth: new BasicAuth('alice'), source: 'stale-reads' }), 'SELECT * FROM t /* rows=20 */');
      expect(query.error).toBeUndefined();
      expect(query.rows).toHaveLength(20);

      // The CLI prints the answer, and a warning on stderr.
      const cli = await runCli(['backends', 'list', '--server', `127.0.0.1:${replicas[0]!.adminPort}`, '--token', TOKEN]);
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain('trino-a');
      expect(cli.stderr).toMatch(new RegExp(`^warning: possibly stale by \\d+(\\.\\d)?s: this replica last heard from the store \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ \\(\\d+s ago\\); shown as of then at revision ${revision} \\(the store cannot be read: the PostgreSQL store `, 'm'));
      const asJson = await runCli(['backends', 'list', '--json', '--server', `127.0.0.1:${replicas[0]!.adminPort}`, '--token', TOKEN]);
      expect(asJson.stderr).toBe('');
      expect((JSON.parse(asJson.stdout) as { freshness: { staleForMs: number } }).freshness.staleForMs).toBeGreaterThan(0);
    } finally {
      await database.start();
    }
    const restartedAt = Date.now();

    // Back: reads come from the store again, and the snapshot is confirmed by the next poll.
    await eventually(async () => (await admin.backends.listBackends({})).freshness?.staleForMs === 0, 10_000);
    await eventually(async () => (await admin.status.getStatus({ backends: [] })).freshness?.staleForMs === 0, 10_000);
    const back = await admin.status.getStatus({ backends: [] });
    expect(back.freshness?.storeSyncedAt?.getTime()).toBeGreaterThanOrEqual(restartedAt - 50);
    const cli = await runCli(['backends', 'list', '--server', `127.0.0.1:${replicas[0]!.adminPort}`, '--token', TOKEN]);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toBe('');
  }, 90_000);
});
