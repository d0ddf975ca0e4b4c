/**
 * Observability of real traffic: trino-client -> Envoy stand-in -> router -> Trino stand-ins,
 * with /metrics served and the router's logger writing into memory. Metrics are read back
 * from the /metrics text, log lines from the captured JSON, history from the router's source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino, type QueryResult } from 'trino-client';
import { startChain, type Chain } from '../../e2e/harness.js';
import { METRIC_NAMES } from '../../../src/observability/metrics.js';
import { QUERY_SUBMITTED_MESSAGE } from '../../../src/observability/query-log.js';
import { captureLogs, type CapturedLogs } from '../../unit/observability/log-capture.js';
import { parseSamples, sumOf, valueOf, type Sample } from '../../unit/observability/prometheus-text.js';

const PASSWORD = 'Tr0ub4dor&3-observability-password';
const BEARER = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.b2JzZXJ2YWJpbGl0eS1zaWduYXR1cmU';
const EXTRA_CREDENTIAL = 'warehouse_key=AKIA0BSERVABILITY0SECRET';

async function run(trino: Trino, sql: string): Promise<{ queryId: string; rows: number }> {
  const results: QueryResult[] = [];
  for await (const result of await trino.query(sql)) {
    if (result.error) throw new Error(`query failed: ${result.error.message}`);
    results.push(result);
  }
  return { queryId: results[0]!.id, rows: results.reduce((n, r) => n + (r.data?.length ?? 0), 0) };
}

describe('metrics, logs and history through the real chain', () => {
  let chain: Chain;
  let logs: CapturedLogs;

  const scrape = async (): Promise<Sample[]> => {
    const response = await fetch(`http://127.0.0.1:${chain.router.metricsPort}/metrics`);
    expect(response.status).toBe(200);
    return parseSamples(await response.text());
  };

  const alice = (): Trino => Trino.create({
    server: chain.envoy.url,
    auth: new BasicAuth('alice', PASSWORD),
    source: 'e2e-observability',
    extraHeaders: { 'X-Trino-Client-Tags': 'nightly,reports', 'X-Trino-Extra-Credential': EXTRA_CREDENTIAL },
  });

  beforeAll(async () => {
    logs = captureLogs('debug');
    // The health monitor checks each stand-in once at start (and not again during the test).
    chain = await startChain({ metrics: true, logger: logs.logger, // The clients send Basic passwords: a coordinator with a password authenticator (https).
      trino: { rowsPerPage: 10, acceptPasswords: true }, monitor: '{ intervalSeconds: 3600 }' });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('serves /metrics on the configured port', () => {
    expect(chain.router.metricsPort).toBeGreaterThan(0);
  });

  it('routing decisions, decision latency and streams move as a query flows', async () => {
    const before = await scrape();
    const { rows } = await run(alice(), 'SELECT * FROM t /* rows=30 */');
    expect(rows).toBe(30);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>): number => sumOf(after, name, labels) - sumOf(before, name, labels);

    // The submission went through the rules (alice -> analysts -> trino-a) ...
    expect(delta(METRIC_NAMES.routingDecisions, { edge: 'ext_proc', group: 'analysts', backend: 'trino-a', mechanism: 'rules', outcome: 'forwarded' })).toBe(1);
    // ... and its page polls followed the signed prefix to the same backend.
    const polls = delta(METRIC_NAMES.routingDecisions, { edge: 'ext_proc', backend: 'trino-a', mechanism: 'prefix', outcome: 'forwarded' });
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(delta(METRIC_NAMES.routingDecisions, { backend: 'trino-b' })).toBe(0);
    expect(delta(`${METRIC_NAMES.decisionDuration}_count`, { edge: 'ext_proc', mechanism: 'rules' })).toBe(1);
    expect(delta(`${METRIC_NAMES.decisionDuration}_count`, { edge: 'ext_proc', mechanism: 'prefix' })).toBe(polls);
    expect(delta(`${METRIC_NAMES.decisionDuration}_bucket`, { edge: 'ext_proc', mechanism: 'rules', le: '+Inf' })).toBe(1);
    expect(delta(METRIC_NAMES.streamsTotal, { edge: 'ext_proc' })).toBe(1 + polls);
    expect(delta(METRIC_NAMES.queriesSubmitted, { backend: 'trino-a', group: 'analysts', rule: 'analysts' })).toBe(1);
    expect(valueOf(after, METRIC_NAMES.ownershipEntries, { map: 'query_id' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, METRIC_NAMES.ownershipEntries, { map: 'coordinator_id' })).toBeGreaterThanOrEqual(1);

    // Streams close once Envoy ends them; written-behind ownership reaches the store.
    await expect.poll(async () => valueOf(await scrape(), METRIC_NAMES.streamsActive, { edge: 'ext_proc' })).toBe(0);
    await expect.poll(async () => sumOf(await scrape(), METRIC_NAMES.writeBehindWritten, { journal: 'ownership' })).toBeGreaterThan(0);
  });

  it('backend state and load come from the health monitor at scrape time', async () => {
    const samples = await scrape();
    for (const backend of ['trino-a', 'trino-b']) {
      // One series per state, exactly one of them 1: the monitor found both stand-ins up.
      expect(samples.filter((s) => s.name === METRIC_NAMES.backendState && s.labels.backend === backend)).toHaveLength(8);
      expect(sumOf(samples, METRIC_NAMES.backendState, { backend })).toBe(1);
      expect(valueOf(samples, METRIC_NAMES.backendState, { backend, state: 'healthy' })).toBe(1);
      expect(valueOf(samples, METRIC_NAMES.backendRunning, { backend })).toBeGreaterThanOrEqual(0);
    }
  });

  it('a request the router answers itself is counted by its reason', async () => {
    const before = await scrape();
    const response = await fetch(`${chain.envoy.url}/v1/query/20260101_000000_00001_zzzzz`, { headers: { 'X-Trino-User': 'alice' } });
    expect(response.status).toBe(410); // Trino's answer for an unknown query
    await response.text();
    const after = await scrape();
    const labels = { edge: 'ext_proc', group: '', backend: '', mechanism: '', outcome: 'unknown_query' };
    expect((valueOf(after, METRIC_NAMES.routingDecisions, labels) ?? 0) - (valueOf(before, METRIC_NAMES.routingDecisions, labels) ?? 0)).toBe(1);
  });

  it('logs one info line per submission with the right fields, per-request lines only at debug', async () => {
    const from = logs.lines.length;
    const { queryId } = await run(alice(), 'SELECT * FROM t /* rows=25 */');
    const records = logs.lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);

    const info = records.filter((r) => r.level === 'info');
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({
      msg: QUERY_SUBMITTED_MESSAGE,
      queryId,
      user: 'alice',
      source: 'e2e-observability',
      clientTags: ['nightly', 'reports'],
      rule: 'analysts',
      group: 'analysts',
      backend: 'trino-a',
      mechanism: 'rules',
    });
    const perRequest = records.filter((r) => r.msg === 'request routed');
    expect(perRequest.length).toBeGreaterThanOrEqual(3);
    expect(perRequest.every((r) => r.level === 'debug')).toBe(true);
    // The follow-ups (polls of the query) say which query and which path.
    const followUps = perRequest.filter((r) => r.mechanism !== 'rules');
    expect(followUps.length).toBeGreaterThanOrEqual(2);
    for (const line of followUps) expect(line).toMatchObject({ queryId, method: 'GET', path: expect.stringMatching(new RegExp(`^/v1/statement/(queued|executing)/${queryId}/`)) });
  });

  it('credentials the clients send never reach the log', async () => {
    await run(alice(), 'SELECT 1 /* rows=1 */');
    const bearer = Trino.create({
      server: chain.envoy.url,
      source: 'e2e-observability',
      extraHeaders: { Authorization: `Bearer ${BEARER}`, 'X-Trino-User': 'carol' },
    });
    await run(bearer, 'SELECT 1 /* rows=1 */');
    // An unknown query is probed with the client's own credentials: a path that handles them.
    await (await fetch(`${chain.envoy.url}/v1/query/20260101_000000_00002_yyyyy`, { headers: { Authorization: `Bearer ${BEARER}` } })).text();

    const text = logs.text();
    expect(text).toContain('"user":"carol"');
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const secret of [PASSWORD, Buffer.from(`alice:${PASSWORD}`).toString('base64'), BEARER, EXTRA_CREDENTIAL, 'AKIA0BSERVABILITY0SECRET']) {
      expect(text).not.toContain(secret);
    }
  });

  it('records every routed query in the history, newest first, filterable', async () => {
    const { queryId } = await run(alice(), 'SELECT 2 /* rows=2 */');
    const etl = Trino.create({ server: chain.envoy.url, auth: new BasicAuth('etl_loader'), source: 'airflow' });
    const { queryId: etlId } = await run(etl, 'SELECT 3 /* rows=2 */');

    const history = chain.router.history!;
    const newest = await history.list({ limit: 2 });
    expect(newest.map((r) => r.queryId)).toEqual([etlId, queryId]);
    expect(newest[0]).toMatchObject({ backend: 'trino-b', group: 'etl', rule: 'etl-user', mechanism: 'rules', user: 'etl_loader', source: 'airflow', clientTags: [] });
    expect(newest[1]).toMatchObject({ backend: 'trino-a', group: 'analysts', rule: 'analysts', user: 'alice', source: 'e2e-observability', clientTags: ['nightly', 'reports'] });
    expect((await history.list({ user: 'etl_loader' })).map((r) => r.queryId)).toEqual([etlId]);
    expect((await history.list({ backend: 'trino-a' })).every((r) => r.backend === 'trino-a')).toBe(true);
    expect((await history.list({ group: 'analysts' })).length).toBeGreaterThanOrEqual(4);
    // Written behind to the store, in the same rows.
    expect((await chain.router.store.history.list({ user: 'etl_loader' })).map((r) => r.queryId)).toEqual([etlId]);
  });
});
