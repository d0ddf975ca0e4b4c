/**
 * The router under test, in its own process: the real composition root (startRouter) on the
 * bench config, so the request path is exactly production's (ext_proc edge, header codec,
 * request router, engine, ownership, metrics and log observers, write-behind to SQLite).
 * With `start({ postgres: true })` the store is a throwaway PostgreSQL server of its own (as
 * scenario 7 and the tests start one), so the same request path runs on the fleet store.
 * The orchestrator drives it over IPC: start, CPU/memory readings, and configuration churn
 * through the store + snapshot swap that the admin API's changes go through
 * (src/admin/apply.ts: one store transaction, then refreshRouting()).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../test/support/throwaway-postgres.js';
import type { RoutingRule } from '../../src/routing/model.js';
import { updateRule } from '../../src/routing/config-edits.js';
import { writeBenchConfig } from '../lib/bench-config.js';
import { serve } from '../lib/ipc.js';
import { startProfile, stopProfile } from '../lib/profiler.js';
import { usage } from '../lib/usage.js';

let running: RunningRouter | undefined;
/** A second router, on a Unix socket (the Unix-socket scenario); idle while the TCP one is measured. */
let runningUnix: RunningRouter | undefined;
let dataDir: string | undefined;
let database: ThrowawayPostgres | undefined;
let churnTimer: NodeJS.Timeout | undefined;
let changeMs: number[] = [];

function router(): RunningRouter {
  if (running === undefined) throw new Error('router not started');
  return running;
}

/** One admin-style change: a rule's priority moves (10 <-> 11), as UpdateRule would do it. */
async function changeOnce(rule: RoutingRule, flip: boolean): Promise<void> {
  const r = router();
  const started = process.hrtime.bigint();
  await r.store.routing.transaction(async (tx) => {
    const { config } = await tx.read();
    return tx.write(updateRule(config, { ...rule, priority: rule.priority + (flip ? 1 : 0) }));
  });
  if (!(await r.refreshRouting())) throw new Error('churn: the routing snapshot did not change');
  changeMs.push(Number(process.hrtime.bigint() - started) / 1e6);
}

serve({
  async start({ postgres }: { postgres?: boolean } = {}) {
    dataDir = mkdtempSync(join(tmpdir(), 'ter-bench-'));
    if (postgres === true) database = await startThrowawayPostgres();
    const store = database === undefined ? undefined : { kind: 'postgres', url: database.url, schema: 'bench_router', seed: 'overwrite' };
    const configPath = writeBenchConfig(dataDir, undefined, undefined, store);
    running = await startRouter({ configPath });
    return { port: running.extProcPort, metricsPort: running.metricsPort };
  },
  async startUnix() {
    if (dataDir === undefined) throw new Error('start the TCP router first');
    const socketPath = join(dataDir, 'ext-proc.sock');
    runningUnix = await startRouter({ configPath: writeBenchConfig(dataDir, `unix:${socketPath}`, 'router-unix.yaml') });
    return { socketPath };
  },
  usage,
  startProfile,
  stopProfile,
  gc() {
    globalThis.gc?.();
  },
  /** Starts (perSecond > 0) or stops configuration changes; returns the durations of the last run. */
  async churn({ perSecond }: { perSecond: number }) {
    if (churnTimer !== undefined) clearInterval(churnTimer);
    churnTimer = undefined;
    const done = changeMs;
    changeMs = [];
    if (perSecond > 0) {
      const rule = (await router().store.routing.read()).config.rules[0];
      if (rule === undefined) throw new Error('churn needs a rule in the config');
      let flip = false;
      churnTimer = setInterval(() => {
        flip = !flip;
        void changeOnce(rule, flip).catch((error: unknown) => console.error(error));
      }, 1000 / perSecond);
    }
    return { changes: done.length, changeMs: done };
  },
  async stop() {
    if (churnTimer !== undefined) clearInterval(churnTimer);
    await runningUnix?.close();
    await running?.close();
    await database?.destroy();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    return null;
  },
});
