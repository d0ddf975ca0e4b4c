/**
 * `npm run demo`: the router on config/example.yaml, in front of the project's Envoy and Trino
 * STAND-INS (small Node servers from test/standins that speak Envoy's ext_proc and Trino's
 * client protocol well enough for trying the router out; they are not Envoy or Trino). It runs a
 * few queries with trino-client, says where each went and why, then stays up until Ctrl-C.
 * `--once` runs the queries and exits (the demo's test runs that).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Trino, type QueryResult } from 'trino-client';
import { startRouter, type RunningRouter } from '../src/app.js';
import { connect, type AdminClient } from '../src/cli/admin-client.js';
import { createLogger } from '../src/observability/logger.js';
import { startEnvoyStandin, type EnvoyStandin } from '../test/standins/envoy/index.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, type TrinoStandin } from '../test/standins/trino/index.js';
import { pino } from 'pino';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const EXAMPLE_CONFIG = join(REPO_ROOT, 'config/example.yaml');
const ENVOY_CONFIG = join(REPO_ROOT, 'envoy/envoy.yaml');

interface Demo {
  readonly envoy: EnvoyStandin;
  readonly router: RunningRouter;
  readonly trino: Readonly<Record<string, TrinoStandin>>;
  readonly admin: AdminClient;
  readonly adminAddress: string;
  readonly dataDir: string;
  readonly logFile: string;
  close(): Promise<void>;
}

/** config/example.yaml with the stand-ins' addresses, loopback ports picked by the system, a temporary store. */
function demoConfig(dataDir: string, trinoA: TrinoStandin, trinoB: TrinoStandin): string {
  return readFileSync(EXAMPLE_CONFIG, 'utf8')
    .replace(/"0\.0\.0\.0:9001"/g, '"127.0.0.1:0"')
    .replace('"127.0.0.1:9002"', '"127.0.0.1:0"')
    .replace('"0.0.0.0:9090"', '"127.0.0.1:0"')
    .replace(/^dataDir: .*$/m, `dataDir: ${JSON.stringify(dataDir)}`)
    .replace('http://127.0.0.1:8081', trinoA.url)
    .replace('http://127.0.0.1:8082', trinoB.url);
}

async function startDemo(): Promise<Demo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ter-demo-'));
  const trinoA = await startTrinoStandin({ name: 'trino-a', pollIntervalMs: FAST_POLL_HOLD_MS, rowsPerPage: 10 });
  const trinoB = await startTrinoStandin({ name: 'trino-b', pollIntervalMs: FAST_POLL_HOLD_MS, rowsPerPage: 10 });
  const configPath = join(dataDir, 'router.yaml');
  writeFileSync(configPath, demoConfig(dataDir, trinoA, trinoB));
  // The router's own JSON log goes to a file, so the demo's output stays readable.
  const logFile = join(dataDir, 'router.log');
  const logger = createLogger('info', pino.destination({ dest: logFile, sync: true }));
  const router = await startRouter({ configPath, logger });
  const envoy = await startEnvoyStandin({
    configPath: ENVOY_CONFIG,
    clusters: {
      trino_router: [{ host: '127.0.0.1', port: router.extProcPort }],
      'trino-a': [{ host: '127.0.0.1', port: trinoA.port }],
      'trino-b': [{ host: '127.0.0.1', port: trinoB.port }],
    },
  });
  const adminAddress = `127.0.0.1:${String(router.adminPort)}`;
  const admin = connect({ server: adminAddress, token: undefined, timeoutMs: 10_000 });
  return {
    envoy, router, trino: { 'trino-a': trinoA, 'trino-b': trinoB }, admin, adminAddress, dataDir, logFile,
    async close() {
      admin.close();
      await envoy.close();
      await router.close();
      await trinoA.close();
      await trinoB.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Until the health monitor has seen both stand-ins answer (its first round). */
async function untilHealthy(demo: Demo): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const status = await demo.admin.status.getStatus({ backends: [], historyLimit: 0 });
    if (status.backends.every((b) => b.health === 'healthy')) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('the Trino stand-ins did not become healthy');
}

interface Ask {
  readonly title: string;
  readonly user: string;
  readonly source?: string;
  readonly clientTags?: string[];
}

async function runQuery(demo: Demo, ask: Ask, out: (line: string) => void): Promise<void> {
  const trino = Trino.create({
    server: demo.envoy.url,
    source: ask.source ?? 'trino-demo',
    extraHeaders: { 'X-Trino-User': ask.user, ...(ask.clientTags === undefined ? {} : { 'X-Trino-Client-Tags': ask.clientTags.join(',') }) },
  });
  const who = [`user ${ask.user}`, `source ${ask.source ?? 'trino-demo'}`, ...(ask.clientTags === undefined ? [] : [`client tags ${ask.clientTags.join(',')}`])].join(', ');
  out(`\n${ask.title}\n  sent:  SELECT * FROM t /* rows=25 */ as ${who}`);
  let queryId = '';
  let rows = 0;
  for await (const result of await trino.query('SELECT * FROM t /* rows=25 */') as AsyncIterable<QueryResult>) {
    queryId = result.id;
    if (result.error !== undefined) {
      out(`  REFUSED by the router: ${result.error.message}`);
      const [refusal] = await demo.router.history?.list({ limit: 1 }) ?? [];
      if (refusal !== undefined && refusal.outcome !== 'forwarded') {
        out(`  kept:  in the query history as ${refusal.outcome} (group ${refusal.group ?? '-'}, user ${refusal.user ?? '-'}): trino-envoy-router queries list --outcome ${refusal.outcome}`);
      }
      return;
    }
    rows += result.data?.length ?? 0;
  }
  const [record] = await demo.router.history?.list({ limit: 1 }) ?? [];
  if (record === undefined || record.queryId !== queryId) {
    out(`  query ${queryId}: ${rows} rows (not in the history yet)`);
    return;
  }
  const why = record.rule === null ? `no rule matched: the default group ${record.group ?? '?'}` : `rule ${record.rule} -> group ${record.group ?? '?'}`;
  const polls = (trino: TrinoStandin): number => trino.requestLog().filter((r) => r.method === 'GET' && r.path.includes(queryId)).length;
  const elsewhere = Object.values(demo.trino).filter((t) => t.name !== record.backend).reduce((n, t) => n + polls(t), 0);
  const here = record.backend === null ? undefined : demo.trino[record.backend];
  out(`  went:  ${record.backend} (${why})`);
  out(`  then:  ${here === undefined ? 0 : polls(here)} follow-up polls of ${queryId} for its ${rows} rows went to ${record.backend}, ${elsewhere} elsewhere (the router signs a route prefix into nextUri)`);
}

async function tour(demo: Demo, out: (line: string) => void): Promise<void> {
  out('== trino-envoy-router demo ==');
  out('The router runs on config/example.yaml. Envoy and both Trino coordinators are STAND-INS from');
  out('test/standins (small Node servers for trying the router out; not Envoy, not Trino).');
  out(`  Envoy stand-in:  ${demo.envoy.url}  (envoy/envoy.yaml)`);
  for (const trino of Object.values(demo.trino)) out(`  ${trino.name} stand-in: ${trino.url}`);
  await untilHealthy(demo);

  await runQuery(demo, { title: '1. A rule: source airflow goes to the etl group', user: 'etl_loader', source: 'airflow' }, out);
  await runQuery(demo, { title: '2. Round robin: no rule matches, the default group adhoc alternates', user: 'alice' }, out);
  await runQuery(demo, { title: '   ... and the next one goes to the other backend', user: 'alice' }, out);
  await runQuery(demo, { title: '3. A client tag: X-Trino-Client-Tags etl matches rule etl-tag', user: 'bob', clientTags: ['etl'] }, out);

  await demo.admin.backends.drainBackend({ name: 'trino-b' });
  await runQuery(demo, { title: '4. A refusal: trino-b, the only backend of group etl, is drained (backends drain trino-b); the query of 3 again', user: 'bob', clientTags: ['etl'] }, out);
  await demo.admin.backends.enableBackend({ name: 'trino-b' });
  out('  trino-b is enabled again (backends enable trino-b)');

  const explained = await demo.admin.explain.explain({ method: '', path: '', headers: [{ name: 'X-Trino-User', value: 'carol' }, { name: 'X-Trino-Source', value: 'airflow' }], listenerPort: undefined });
  out(`\n5. explain (a dry run, nothing sent): user carol, source airflow -> ${explained.outcome} to ${explained.backend ?? '-'} by rule ${explained.rule ?? '-'}, group ${explained.group ?? '-'}`);
}

function nextSteps(demo: Demo, out: (line: string) => void): void {
  const cli = `npx trino-envoy-router --server ${demo.adminAddress}`;
  out(`
== still running: try it ==
  ${cli} status
  ${cli} queries list
  ${cli} explain --user alice --client-tags etl
  ${cli} backends drain trino-a
  curl -s -X POST -H 'X-Trino-User: alice' --data 'SELECT 1' ${demo.envoy.url}/v1/statement
  node -e "import('trino-client').then(async ({Trino}) => { for await (const r of await Trino.create({server: '${demo.envoy.url}', extraHeaders: {'X-Trino-User': 'alice'}}).query('SELECT * FROM t')) console.log(r.id, r.data ?? r.stats?.state) })"
  metrics: http://127.0.0.1:${String(demo.router.metricsPort)}/metrics
  router log (JSON lines): ${demo.logFile}
Ctrl-C stops everything.`);
}

async function main(argv: readonly string[]): Promise<void> {
  const once = argv.includes('--once');
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const demo = await startDemo();
  let closing: Promise<void> | undefined;
  const stop = (): Promise<void> => (closing ??= demo.close());
  try {
    await tour(demo, out);
  } catch (error) {
    await stop();
    throw error;
  }
  if (once) {
    await stop();
    out('\ndemo done (--once)');
    return;
  }
  nextSteps(demo, out);
  await new Promise<void>((done) => {
    const onSignal = (): void => void stop().then(() => {
      out('stopped');
      done();
    });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
