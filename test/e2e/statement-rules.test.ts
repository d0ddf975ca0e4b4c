/**
 * Rules on the statement end to end: trino-client (and the protocol by hand, where the Java
 * client's headers matter) through the Envoy stand-in reading the shipped envoy/*.yaml, the
 * router and two Trino stand-ins, in both edge modes. Writes to hive.etl.* land on the ETL
 * cluster, dashboard reads on the other, SQL the router cannot read goes where the rule for
 * `statementKind: unknown` says, and a config without statement rules never asks Envoy for a
 * body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterOf, EDGES, startChain, type Chain } from './harness.js';
import { eventually, follow, submit } from '../support/statement-protocol.js';

const ROUTING = `groups:
  - { name: dashboards, strategy: round_robin, backends: [trino-a] }
  - { name: etl, strategy: round_robin, backends: [trino-b] }
  - { name: adhoc, strategy: round_robin, backends: [trino-a] }
rules:
  - { name: unreadable, priority: 5, group: etl, match: { statementKind: unknown } }
  - { name: etl-writes, priority: 10, group: etl, match: { tablesWritten: "hive.etl.*" } }
  - { name: sensitive, priority: 20, group: etl, match: { tables: { regex: "^pii\\\\." } } }
  - { name: dashboards, priority: 30, group: dashboards, match: { source: dashboards, statementKind: query } }
statements: { maxBytes: 4096 }
`;

describe.each(EDGES)('statement rules through Envoy\'s %s', (edge) => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ edge, routing: ROUTING });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('sends a write to hive.etl.* to the ETL cluster and a dashboard SELECT to the other', async () => {
    expect(await clusterOf(chain, 'INSERT INTO hive.etl.events SELECT * FROM hive.raw.events /* rows=2 */')).toBe('trino-b');
    expect(await clusterOf(chain, 'SELECT count(*) FROM hive.web.page_views /* rows=2 */', { source: 'dashboards' })).toBe('trino-a');
    // A write from the dashboards tool to another schema is no dashboard query: the default group.
    expect(await clusterOf(chain, 'INSERT INTO hive.web.t VALUES (1) /* rows=2 */', { source: 'dashboards' })).toBe('trino-a');
  });

  it('resolves unqualified names against X-Trino-Catalog and X-Trino-Schema as Trino does', async () => {
    expect(await clusterOf(chain, 'INSERT INTO "Events" VALUES (1) /* rows=2 */', { catalog: 'hive', schema: 'etl' })).toBe('trino-b');
    expect(await clusterOf(chain, 'INSERT INTO events VALUES (1) /* rows=2 */', { catalog: 'hive', schema: 'web' })).toBe('trino-a');
  });

  it('finds a table inside a CTE and a subquery', async () => {
    const sql = 'WITH c AS (SELECT id FROM pii.people.ssn) SELECT * FROM hive.web.t WHERE id IN (SELECT id FROM c) /* rows=2 */';
    expect(await clusterOf(chain, sql)).toBe('trino-b');
  });

  it('routes SQL it cannot read (not SQL, or over statements.maxBytes) by the rule for unknown statements', async () => {
    expect(await clusterOf(chain, 'SELEC nothing FROM /* rows=2 */')).toBe('trino-b');
    const long = `SELECT '${'x'.repeat(5000)}' FROM hive.web.t /* rows=2 */`;
    expect(await clusterOf(chain, long, { source: 'dashboards' })).toBe('trino-b');
  });

  if (edge === 'ext_proc') {
    it('asks Envoy for the body of submissions only, each once', async () => {
      const before = chain.envoy.stats().extProcMessages;
      expect(await clusterOf(chain, 'SELECT 1 FROM hive.web.t /* rows=2 */', { source: 'dashboards' })).toBe('trino-a');
      const after = chain.envoy.stats().extProcMessages;
      expect((after.request_body ?? 0) - (before.request_body ?? 0)).toBe(1);
      expect((after.request_headers ?? 0) - (before.request_headers ?? 0)).toBeGreaterThan(1);
    });

    it('keeps the statement facts in the query history (never the SQL)', async () => {
      expect(await clusterOf(chain, 'INSERT INTO hive.etl.audit SELECT * FROM hive.raw.audit /* rows=2 */', { source: 'history-check' })).toBe('trino-b');
      let rows = await chain.router.store.history.list({ source: 'history-check' });
      await eventually(async () => (rows = await chain.router.store.history.list({ source: 'history-check' })).length === 1);
      expect(rows[0]).toMatchObject({
        backend: 'trino-b', rule: 'etl-writes',
        statement: { kind: 'insert', tablesWritten: ['hive.etl.audit'], tablesRead: ['hive.raw.audit'], unknownReason: null },
      });
      expect(JSON.stringify(rows[0])).not.toContain('INSERT');
    });
  }
});

describe('a config without statement rules', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ edge: 'ext_proc' });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('is answered at the request headers: the stand-in Envoy sends no body', async () => {
    expect(await clusterOf(chain, 'INSERT INTO hive.etl.events VALUES (1) /* rows=2 */')).not.toMatch(/^error/);
    expect(await clusterOf(chain, 'SELECT 1 /* rows=2 */', { source: 'dashboards' })).not.toMatch(/^error/);
    const messages = chain.envoy.stats().extProcMessages;
    expect(messages.request_headers).toBeGreaterThan(2);
    expect(messages.request_body).toBeUndefined();
  });

  it('reads the body of a Java client submission (Transaction-Id: NONE) and watches the polls of START TRANSACTION only', async () => {
    const jdbc = { 'X-Trino-User': 'alice', 'X-Trino-Transaction-Id': 'NONE', 'X-Trino-Source': 'trino-jdbc' };
    const poll = { 'X-Trino-User': 'alice' };
    const before = chain.envoy.stats().extProcMessages;
    const select = await follow(await submit(chain.envoy.url, 'SELECT 1 /* rows=2 */', jdbc), poll);
    const middle = chain.envoy.stats().extProcMessages;
    // A plain SELECT: its submission's response is watched (query id), none of its polls.
    expect((middle.request_body ?? 0) - (before.request_body ?? 0)).toBe(1);
    expect((middle.response_headers ?? 0) - (before.response_headers ?? 0)).toBe(1);
    expect(select.length).toBeGreaterThan(2);

    const start = await follow(await submit(chain.envoy.url, 'START TRANSACTION', jdbc), poll);
    const transactionId = start.map((a) => a.headers.get('x-trino-started-transaction-id')).find((v) => v !== null);
    expect(transactionId).toBeTruthy();
    // The transaction is known to the router: a statement in it goes to its cluster.
    const inside = await follow(await submit(chain.envoy.url, 'COMMIT', { ...jdbc, 'X-Trino-Transaction-Id': transactionId! }), poll);
    expect(inside.at(-1)?.body?.error).toBeUndefined();
    expect(inside.some((a) => a.headers.get('x-trino-clear-transaction-id') !== null)).toBe(true);
    const after = await submit(chain.envoy.url, 'SELECT 1', { ...jdbc, 'X-Trino-Transaction-Id': transactionId! });
    // The COMMIT's Clear-Transaction-Id came on a poll without the transaction header: it still ended it.
    const refusal = await follow(after, poll);
    expect(refusal.at(-1)?.body?.error?.message).toMatch(/^Unknown transaction/);
  });
});
