/**
 * Scenario 7: the fleet store on a real PostgreSQL (a throwaway server, as the tests use).
 *
 * - propagation: three replicas' store sides in this process (store, change feed, routing
 *   snapshot each, on their own connections); an admin-style change committed through replica
 *   1, timed until all three snapshots carry its revision (p50/p99 over `changes` changes);
 * - 1,000,000 ownership rows written in journal batches, the warm-start read a restarting
 *   replica does, and pruning 10% of them past the row cap; the same on SQLite for scale.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as edits from '../../src/routing/config-edits.js';
import type { RoutingConfig } from '../../src/routing/model.js';
import { RoutingSource } from '../../src/routing/routing-source.js';
import type { OwnershipChange } from '../../src/stickiness/ownership.js';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/index.js';
import { startThrowawayPostgres } from '../../test/support/throwaway-postgres.js';
import { queryIds, coordinatorIds, seededRandom } from '../lib/ids.js';
import { serve } from '../lib/ipc.js';

export interface FleetResult {
  readonly changes: number;
  readonly propagationMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly ownership: Record<'postgres' | 'sqlite', { rows: number; writeMs: number; restoreMs: number; pruneMs: number; pruned: number }>;
}

const CONFIG: RoutingConfig = {
  backends: [
    { name: 'trino-a', url: 'http://trino-a:8080', enabled: true, prefixRouting: false, schedules: [] },
    { name: 'trino-b', url: 'http://trino-b:8080', enabled: true, prefixRouting: false, schedules: [] },
  ],
  groups: [{ name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'trino-a', weight: 1 }, { backend: 'trino-b', weight: 1 }] }],
  rules: [{ name: 'etl', priority: 10, group: 'adhoc', match: { source: { exact: 'airflow' } } }],
  defaultGroup: 'adhoc',
};

const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}

async function propagation(url: string, changes: number): Promise<FleetResult['propagationMs']> {
  const settings = { url, urlEnv: null, schema: 'bench', pool: { max: 4, connectTimeoutMs: 2000, statementTimeoutMs: 10_000 }, tls: null };
  const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore(settings)));
  const writer = stores[0]!;
  await writer.routing.transaction(async (tx) => tx.write(edits.replaceAll((await tx.read()).config, CONFIG)));
  const sources = await Promise.all(stores.map((s) => RoutingSource.open(s.routing, quiet)));
  const waiting = new Map<number, { left: number; done: () => void }>();
  sources.forEach((source, i) => {
    source.onChange((snapshot) => {
      const wait = waiting.get(snapshot.revision);
      if (wait !== undefined && --wait.left === 0) wait.done();
    });
    void stores[i]!.changes!.start({ routingChanged: () => void source.refresh(), ownershipChanged: () => {}, resumed: () => void source.refresh() });
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const samples: number[] = [];
  for (let i = 0; i < changes; i++) {
    const started = process.hrtime.bigint();
    let revision = 0;
    const arrived = new Promise<void>((done) => {
      revision = -1;
      void writer.routing.transaction(async (tx) => {
        const { config } = await tx.read();
        const rule = config.rules[0]!;
        const next = await tx.write(edits.updateRule(config, { ...rule, priority: rule.priority === 10 ? 11 : 10 }));
        waiting.set(next, { left: sources.length, done });
        revision = next;
        return next;
      });
    });
    await arrived;
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    waiting.delete(revision);
  }
  await Promise.all(stores.map((s) => s.close()));
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

async function ownershipRows(store: Store, rows: number): Promise<FleetResult['ownership']['sqlite']> {
  const random = seededRandom(7);
  const coordinators = coordinatorIds(16, random);
  const start = Date.now() - 20 * 3600_000;
  const batch = 10_000;
  let t = process.hrtime.bigint();
  for (let from = 0; from < rows; from += batch) {
    const ids = queryIds(Math.min(batch, rows - from), coordinators, start + from * 50);
    const changes: OwnershipChange[] = ids.map((queryId, i) => ({ kind: 'query', queryId, backend: i % 2 === 0 ? 'trino-a' : 'trino-b', learnedBy: 'response', at: start + (from + i) * 50 }));
    await store.ownership.applyChanges(changes);
  }
  const writeMs = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  const restored = await store.ownership.loadRecentQueryOwners(0, rows);
  const restoreMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (restored.length !== rows) throw new Error(`restored ${restored.length} of ${rows} rows`);
  t = process.hrtime.bigint();
  const pruned = await store.ownership.prune({ olderThan: 0, maxRows: Math.floor(rows * 0.9) });
  const pruneMs = Number(process.hrtime.bigint() - t) / 1e6;
  return { rows, writeMs, restoreMs, pruneMs, pruned: pruned.queryOwners };
}

serve({
  async run({ changes, rows }: { changes: number; rows: number }): Promise<FleetResult> {
    const server = await startThrowawayPostgres();
    const dir = mkdtempSync(join(tmpdir(), 'ter-bench-fleet-'));
    try {
      const propagationMs = await propagation(server.url, changes);
      const postgres = await openPostgresStore({ url: server.url, urlEnv: null, schema: 'bench_rows', pool: { max: 4, connectTimeoutMs: 2000, statementTimeoutMs: 120_000 }, tls: null });
      const pg = await ownershipRows(postgres, rows);
      await postgres.close();
      const sqlite = openSqliteStore(join(dir, 'router.db'));
      const lite = await ownershipRows(sqlite, rows);
      await sqlite.close();
      return { changes, propagationMs, ownership: { postgres: pg, sqlite: lite } };
    } finally {
      await server.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
