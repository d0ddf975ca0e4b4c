/**
 * The admin API against live traffic (Envoy stand-in -> router -> Trino stand-ins): a change
 * made through the API routes the very next request, and explain names the backend the
 * router then really picks, for new queries and for follow-ups.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type AdminClient } from '../../src/cli/admin-client.js';
import { startChain, type Chain } from '../e2e/harness.js';
import { eventually, follow, submit, type Answer } from '../support/statement-protocol.js';

const TOKEN = 'a-live-routing-admin-token';

describe.each([
  { mode: 'prefix routing', prefixRouting: true },
  { mode: 'query-id routing', prefixRouting: false },
])('admin API on live traffic with $mode', ({ prefixRouting }) => {
  let chain: Chain;
  let admin: AdminClient;

  beforeAll(async () => {
    chain = await startChain({ prefixRouting, admin: { token: TOKEN } });
    admin = connect({ server: `127.0.0.1:${chain.router.adminPort}`, token: TOKEN, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    admin?.close();
    await chain?.close();
  });

  /** Where a submission ran: the Trino stand-in that knows its query id. */
  function clusterOf(answer: Answer): string | undefined {
    const id = String(answer.body?.id);
    if (chain.trinoA.query(id) !== undefined) return 'trino-a';
    if (chain.trinoB.query(id) !== undefined) return 'trino-b';
    return undefined;
  }

  const user = (name: string, extra: Record<string, string> = {}) => ({ 'X-Trino-User': name, ...extra });
  const explainFor = (headers: Record<string, string>, method = 'POST', path = '/v1/statement') =>
    admin.explain.explain({ method, path, headers: Object.entries(headers).map(([name, value]) => ({ name, value })) });

  it('a rule created through the API routes the very next query', async () => {
    await admin.groups.createGroup({ group: { name: 'dave-b', strategy: '', members: [{ backend: 'trino-b' }], isDefault: false } });
    await admin.rules.createRule({ rule: { requestedGroups: [], noFallback: false, name: 'dave', priority: 1, group: 'dave-b', match: { listenerPort: [], sessionProperties: {}, header: [], user: { kind: { $case: 'exact', value: 'dave' } } } } });
    for (let i = 0; i < 3; i++) expect(clusterOf(await submit(chain.envoy.url, 'SELECT 1', user('dave')))).toBe('trino-b');

    await admin.groups.updateGroup({ group: { name: 'dave-b', strategy: '', members: [{ backend: 'trino-a' }], isDefault: false }, updateMask: ['members'] });
    expect(clusterOf(await submit(chain.envoy.url, 'SELECT 1', user('dave')))).toBe('trino-a');

    await admin.rules.deleteRule({ name: 'dave' });
    await admin.backends.disableBackend({ name: 'trino-a' });
    // dave now falls to the default group (adhoc: a, b) and a is disabled.
    for (let i = 0; i < 3; i++) expect(clusterOf(await submit(chain.envoy.url, 'SELECT 1', user('dave')))).toBe('trino-b');
    await admin.backends.enableBackend({ name: 'trino-a' });
    await admin.groups.deleteGroup({ name: 'dave-b' });
  });

  it('a drain takes the backend out of rotation for the very next query; status reports it', async () => {
    const drained = await admin.backends.drainBackend({ name: 'trino-b' });
    try {
      expect(drained).toMatchObject({ changed: true, backend: { draining: true } });
      // zed matches no rule: the default group adhoc (trino-a, trino-b) now has only trino-a.
      for (let i = 0; i < 4; i++) expect(clusterOf(await submit(chain.envoy.url, 'SELECT 1', user('zed')))).toBe('trino-a');
      const status = await admin.status.getStatus({ backends: [] });
      expect(status.backends.map((b) => [b.backend, b.state, b.draining])).toEqual([['trino-a', 'unknown', false], ['trino-b', 'draining', true]]);
    } finally {
      await admin.backends.enableBackend({ name: 'trino-b' });
    }
  });

  it('explain names the backend the router then picks, round robin included', async () => {
    const cases = [user('alice'), user('alice'), user('etl_load'), user('bob', { 'X-Trino-Client-Tags': 'etl' }), user('carol'), user('zed'), user('zed'), user('zed')];
    for (const headers of cases) {
      const explained = await explainFor(headers);
      expect(explained.backendCertain).toBe(true);
      const answer = await submit(chain.envoy.url, 'SELECT 1', headers);
      expect(clusterOf(answer)).toBe(explained.backend);
    }
  });

  it('explain of a refused query gives the message the client then gets', async () => {
    await admin.backends.disableBackend({ name: 'trino-a' });
    try {
      const explained = await explainFor(user('alice'));
      expect(explained).toMatchObject({ outcome: 'reply', rule: 'analysts', reply: { reason: 'no_backend_configured' } });
      const answers = await follow(await submit(chain.envoy.url, 'SELECT 1', user('alice')), user('alice'));
      const failed = answers.at(-1)?.body;
      expect(failed?.stats?.state).toBe('FAILED');
      expect(failed?.error?.message).toBe(explained.reply?.message);
    } finally {
      await admin.backends.enableBackend({ name: 'trino-a' });
    }
  });

  it('explain of a query nobody knows: the router would probe every backend, and then it does', async () => {
    // A coordinator id no backend has shown: neither the id nor its coordinator is known.
    const path = '/v1/query/20261122_120000_00001_zzzzz';
    const explained = await explainFor(user('direct'), 'GET', path);
    expect(explained).toMatchObject({ outcome: 'probe', mechanism: 'probe', backend: '', candidates: ['trino-a', 'trino-b'], reply: { reason: 'unknown_query', httpStatus: 410 } });
    const answer = await fetch(`${chain.envoy.url}${path}`, { headers: user('direct') });
    expect(answer.status).toBe(410); // as Trino answers GET /v1/query/{id} for an unknown query
    expect(await answer.text()).toContain(explained.reply!.message);
  });

  it('explain of a follow-up names the owner and how it is known, as the router then routes it', async () => {
    const first = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=300 */', user('etl_follow'));
    expect(clusterOf(first)).toBe('trino-b');
    // The router learns the query id from the first response; give the write-behind nothing to wait for.
    const next = new URL(String(first.body.nextUri));
    const explained = await explainFor(user('etl_follow'), 'GET', `${next.pathname}${next.search}`);
    expect(explained).toMatchObject({ outcome: 'forward', backend: 'trino-b', mechanism: prefixRouting ? 'prefix' : 'query_id' });
    if (prefixRouting) expect(explained.rewrittenPath).toMatch(/^\/v1\/statement\//);
    // Moving etl elsewhere changes nothing for a running query: follow-ups stay with their owner.
    await admin.groups.updateGroup({ group: { name: 'etl', strategy: '', members: [{ backend: 'trino-a' }], isDefault: false }, updateMask: ['members'] });
    try {
      expect((await explainFor(user('etl_follow'), 'GET', `${next.pathname}${next.search}`)).backend).toBe('trino-b');
      const answers = await follow(first, user('etl_follow'));
      expect(answers.at(-1)?.body?.stats?.state).toBe('FINISHED');
      const owner = await admin.queries.getQueryOwner({ queryId: String(first.body.id) });
      expect(owner).toMatchObject({ backend: 'trino-b', knownBy: 'query_id', inMemory: true });
    } finally {
      await admin.groups.updateGroup({ group: { name: 'etl', strategy: '', members: [{ backend: 'trino-b' }], isDefault: false }, updateMask: ['members'] });
    }
  });
});

describe('admin API with the health monitor running', () => {
  let chain: Chain;
  let admin: AdminClient;

  beforeAll(async () => {
    chain = await startChain({ admin: {}, monitor: '{ intervalSeconds: 0.1, successThreshold: 1 }' });
    admin = connect({ server: `127.0.0.1:${chain.router.adminPort}`, token: undefined, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    admin?.close();
    await chain?.close();
  });

  it('status shows what the monitor saw, and a drain of an idle backend completes', async () => {
    const status = await admin.status.getStatus({ backends: [], historyLimit: 5 });
    expect(status.monitored).toBe(true);
    for (const backend of status.backends) {
      expect(backend).toMatchObject({ state: 'healthy', health: 'healthy', inSchedule: true, lastError: '' });
      expect(backend.lastCheckAt).toBeInstanceOf(Date);
      expect(backend.load).toBeDefined();
    }
    await admin.backends.drainBackend({ name: 'trino-b' });
    await eventually(async () => {
      const progress = (await admin.backends.drainBackend({ name: 'trino-b' })).progress;
      return progress?.known === true && progress.drained;
    });
    const drained = await admin.status.getStatus({ backends: ['trino-b'], historyLimit: 5 });
    expect(drained.backends[0]).toMatchObject({ state: 'drained', draining: true, drain: { known: true, remaining: 0, drained: true } });
    expect(drained.backends[0]?.history[0]).toMatchObject({ to: 'drained' });
    await admin.backends.enableBackend({ name: 'trino-b' });
  });
});
