/**
 * The Trino stand-in as a client sees it: the official trino-client runs queries against it
 * (directly and through a prefixing proxy), and raw HTTP checks the protocol details a router
 * depends on: slugs and tokens, forwarded headers, session and transaction headers, spooled
 * segments, status endpoints, restarts and injected faults.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { collect, eventually, follow, get, runRaw, rowsOf, submit, type Answer } from '../../support/statement-protocol.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, TRINO_POLL_HOLD_MS, type TrinoStandin, type TrinoStandinOptions } from './index.js';

// ---- helpers ----

const ALICE_HEADERS = { 'X-Trino-User': 'alice' };
const started: TrinoStandin[] = [];
const proxies: Server[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  await Promise.all(proxies.splice(0).map((p) => new Promise<void>((resolve) => {
    p.closeAllConnections();
    p.close(() => resolve());
  })));
});

async function standin(options: TrinoStandinOptions = {}): Promise<TrinoStandin> {
  const s = await startTrinoStandin({ pollIntervalMs: FAST_POLL_HOLD_MS, ...options });
  started.push(s);
  return s;
}

/** Logs in to the web UI (POST /ui/login) and returns the Cookie header to send. */
async function uiLogin(trino: TrinoStandin, username = 'alice'): Promise<Record<string, string>> {
  const res = await fetch(`${trino.url}/ui/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password: '', redirectPath: '' }).toString(),
  });
  expect(res.status).toBe(303);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  expect(cookie).toMatch(/^Trino-UI-Token=./);
  return { Cookie: cookie };
  }

/**
 * Submits and fetches the first queued nextUri: the poll that creates and dispatches a query on
 * Trino (before it, the query is only registered). Returns the POST's answer.
 */
async function dispatched(url: string, sql: string, headers?: Record<string, string>): Promise<Answer> {
  const submitted = await submit(url, sql, headers);
  expect((await get(submitted.body.nextUri, headers)).status).toBe(200);
  return submitted;
}

function client(server: string, user = 'alice'): Trino {
  return Trino.create({ server, auth: new BasicAuth(user), source: 'standin-test' });
}

/**
 * A minimal reverse proxy in the style of a router: serves the coordinator under `/gw`,
 * strips that prefix and tells the coordinator about itself with X-Forwarded-* headers.
 */
async function prefixProxy(target: TrinoStandin, prefix = '/gw'): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  const proxy = createServer((req, res) => {
    paths.push(req.url ?? '');
    const path = (req.url ?? '/').startsWith(prefix) ? (req.url ?? '/').slice(prefix.length) : req.url ?? '/';
    const upstream = httpRequest({
      host: '127.0.0.1',
      port: target.port,
      method: req.method,
      path,
      headers: {
        ...req.headers,
        'x-forwarded-proto': 'http',
        'x-forwarded-host': req.headers.host ?? '',
        'x-forwarded-prefix': prefix,
      },
    }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  proxies.push(proxy);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${prefix}`, paths };
}

// ---- tests ----

describe('queries through trino-client', () => {
  it('returns every row of a 1,000-row query, each naming the cluster that ran it', async () => {
    const trino = await standin({ name: 'trino-a', rowsPerPage: 100 });
    const { rows, results } = await collect(client(trino.url), 'SELECT * FROM t /* rows=1000 */');
    expect(rows).toHaveLength(1000);
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['trino-a']));
    expect(results[0]?.columns?.map((c) => [c.name, c.type])).toEqual([['n', 'bigint'], ['cluster', 'varchar']]);
    const last = results.at(-1);
    expect(last?.nextUri).toBeUndefined();
    expect(last?.stats?.state).toBe('FINISHED');
    expect(trino.queries()).toMatchObject([{ state: 'FINISHED', user: 'alice', source: 'standin-test', cancelled: false }]);
  });

  it('runs through a proxy that sets X-Forwarded-Prefix: every follow-up comes back through it', async () => {
    const trino = await standin({ name: 'trino-b', rowsPerPage: 50 });
    const proxy = await prefixProxy(trino);
    const { rows, results } = await collect(client(proxy.url), 'SELECT * FROM t /* rows=120 */');
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(results.every((r) => r.infoUri?.startsWith(`${proxy.url}/ui/query.html?`))).toBe(true);
    const [query] = trino.queries();
    // Submission, queued poll, three data pages, final page: all through the proxy.
    expect(proxy.paths.filter((p) => p.includes(query?.id ?? '-'))).toHaveLength((query?.requests ?? 0) - 1);
    expect(proxy.paths.every((p) => p.startsWith('/gw/v1/statement'))).toBe(true);
  });

  it('answers SELECT 1 with one integer column', async () => {
    const trino = await standin();
    const { rows, results } = await collect(client(trino.url), 'select 1');
    expect(rows).toEqual([[1]]);
    expect(results[0]?.columns).toMatchObject([{ name: '_col0', type: 'integer' }]);
  });

  it('uses defaultRows when the SQL gives no hint, and a rows hint even on SELECT 1', async () => {
    const trino = await standin({ defaultRows: 7 });
    expect((await collect(client(trino.url), 'SELECT * FROM anything')).rows).toHaveLength(7);
    expect((await collect(client(trino.url), 'SELECT 1 /* rows=3 */')).rows).toEqual([[0, 'trino'], [1, 'trino'], [2, 'trino']]);
  });

  it('a query with a duration is QUEUED, then RUNNING without data, then returns its rows', async () => {
    const trino = await standin({ name: 'slow' });
    const answers = await runRaw(trino.url, 'SELECT * FROM t /* rows=3 queued=150 duration=300 */');
    const states = answers.map((a) => a.body.stats.state as string);
    expect(states[0]).toBe('QUEUED');
    expect(states).toContain('RUNNING');
    expect(states.at(-1)).toBe('FINISHED');
    const firstData = answers.findIndex((a) => Array.isArray(a.body.data));
    expect(firstData).toBeGreaterThan(1);
    for (const a of answers.slice(0, firstData)) {
      expect(a.body.data).toBeUndefined();
      expect(['QUEUED', 'RUNNING']).toContain(a.body.stats.state);
    }
    expect(answers.some((a) => a.body.nextUri?.includes('/v1/statement/queued/') && a.body.stats.state === 'QUEUED')).toBe(true);
    expect(rowsOf(answers)).toEqual([[0, 'slow'], [1, 'slow'], [2, 'slow']]);
  });

  it('cancel via trino.cancel(id) marks a dispatched query cancelled and the client sees USER_CANCELED', async () => {
    const trino = await standin();
    const trinoClient = client(trino.url);
    // Dispatched by its first poll: before that, Trino's DELETE /v1/query/{id} does nothing.
    const submitted = await submit(trino.url, 'SELECT * FROM t /* rows=10 duration=60000 */');
    const polled = await get(submitted.body.nextUri);
    expect(trino.query(submitted.body.id)?.state).not.toBe('FINISHED');
    await trinoClient.cancel(submitted.body.id);
    expect(trino.query(submitted.body.id)).toMatchObject({ cancelled: true, state: 'FAILED' });
    const last = (await follow(polled)).at(-1);
    expect(last?.body.error?.errorName).toBe('USER_CANCELED');
    expect(last?.body.stats?.state).toBe('FAILED');
    expect(last?.body.nextUri).toBeUndefined();
  });

  it('DELETE on the current nextUri cancels (204) on the queued and the executing path', async () => {
    const trino = await standin();
    const queued = await submit(trino.url, 'SELECT * FROM t /* duration=60000 */');
    expect((await fetch(queued.body.nextUri, { method: 'DELETE' })).status).toBe(204);
    expect(trino.query(queued.body.id)).toMatchObject({ cancelled: true, state: 'FAILED' });

    const other = await submit(trino.url, 'SELECT * FROM t /* duration=60000 */');
    const executing = await get(other.body.nextUri);
    expect(executing.body.nextUri).toContain('/v1/statement/executing/');
    expect((await fetch(executing.body.nextUri, { method: 'DELETE' })).status).toBe(204);
    expect(trino.query(other.body.id)?.cancelled).toBe(true);
    const after = await get(executing.body.nextUri);
    expect(after.body.error).toMatchObject({ errorName: 'USER_CANCELED', errorCode: 3, errorType: 'USER_ERROR' });
  });

  it('SELECT from system.runtime.queries lists this coordinator\'s queries', async () => {
    const trino = await standin();
    await dispatched(trino.url, 'SELECT * FROM t /* duration=60000 */', { 'X-Trino-User': 'bob' });
    const { rows, results } = await collect(client(trino.url, 'monitor'), 'SELECT query_id, state, user FROM system.runtime.queries');
    expect(results[0]?.columns?.map((c) => c.name)).toEqual(['query_id', 'state', 'user']);
    expect(rows).toHaveLength(2);
    expect(rows).toContainEqual([trino.queries()[0]?.id, 'RUNNING', 'bob']);
    expect(rows).toContainEqual([trino.queries()[1]?.id, 'RUNNING', 'monitor']);
    const filtered = await collect(client(trino.url, 'monitor'), "SELECT * FROM system.runtime.queries WHERE state = 'FINISHED'");
    expect(filtered.rows).toEqual([[trino.queries()[1]?.id, 'FINISHED', 'monitor']]);
  });

  it('SQL starting with FAIL gives a failed query with an error object', async () => {
    const trino = await standin();
    const { results } = await collect(client(trino.url), 'FAIL QUERY_QUEUE_FULL too many queries');
    const last = results.at(-1);
    expect(last?.stats?.state).toBe('FAILED');
    expect(last?.error).toMatchObject({ message: 'too many queries', errorName: 'QUERY_QUEUE_FULL', errorCode: 131074, errorType: 'INSUFFICIENT_RESOURCES' });
    expect(trino.queries()[0]?.state).toBe('FAILED');
  });
});

describe('poll timing (fake timers: nothing here waits for real)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Sends a GET with node:http (its sockets use no global setTimeout) and reports when it is answered. */
  function pending(uri: string): { answered: () => boolean; done: Promise<number | undefined> } {
    let answered = false;
    const done = new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(uri, { headers: { 'X-Trino-User': 'alice' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          answered = true;
          resolve(res.statusCode);
        });
      });
      req.on('error', reject);
      req.end();
    });
    return { answered: () => answered, done };
  }

  /** Lets real I/O happen without moving the fake clock. */
  async function settleIo(rounds = 50): Promise<void> {
    for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Real I/O until the poll is answered, or a bounded number of event-loop turns. */
  async function answeredSoon(poll: { answered: () => boolean }): Promise<boolean> {
    for (let i = 0; i < 2_000 && !poll.answered(); i++) await settleIo(1);
    return poll.answered();
  }

  /** Whether a poll is answered just before `holdMs` of fake time, and once `holdMs` have passed. */
  async function holdOf(trino: TrinoStandin, uri: string, holdMs = TRINO_POLL_HOLD_MS): Promise<{ before: boolean; after: boolean }> {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const poll = pending(uri);
    const logged = trino.requestLog().length;
    while (trino.requestLog().length === logged) await settleIo(1);
    await settleIo();
    await vi.advanceTimersByTimeAsync(holdMs - 1);
    const before = await answeredSoon(poll);
    await vi.advanceTimersByTimeAsync(1);
    const after = await answeredSoon(poll);
    vi.useRealTimers();
    if (after) expect(await poll.done).toBe(200);
    return { before, after };
  }

  it('by default holds a queued poll without news for 1 s, as Trino does', async () => {
    const trino = await startTrinoStandin();
    started.push(trino);
    const first = await submit(trino.url, 'SELECT * FROM t /* queued=60000 */');
    expect(await holdOf(trino, first.body.nextUri)).toEqual({ before: false, after: true });
  });

  it('holds an executing poll without news for 1 s and ignores maxWait (Trino 472+)', async () => {
    const trino = await startTrinoStandin({ version: '476' });
    started.push(trino);
    const first = await submit(trino.url, 'SELECT * FROM t /* duration=60000 */');
    const queued = await get(first.body.nextUri);
    const executing = `${String(queued.body.nextUri)}?maxWait=10ms&targetResultSize=1kB`;
    expect(executing).toContain('/v1/statement/executing/');
    expect(await holdOf(trino, executing)).toEqual({ before: false, after: true });
  });

  it('before 472 a shorter maxWait cuts the hold short', async () => {
    const trino = await startTrinoStandin({ version: '471' });
    started.push(trino);
    const first = await submit(trino.url, 'SELECT * FROM t /* duration=60000 */');
    const queued = await get(first.body.nextUri);
    expect(await holdOf(trino, `${String(queued.body.nextUri)}?maxWait=10ms`, 10)).toEqual({ before: false, after: true });
  });
});

describe('session and transaction headers', () => {
  it('SET SESSION answers X-Trino-Set-Session (URL-encoded) and trino-client sends it on later queries', async () => {
    const trino = await standin();
    const raw = await runRaw(trino.url, "SET SESSION catalog.prop = 'a b/c'");
    const finished = raw.at(-1);
    expect(finished?.body.stats.state).toBe('FINISHED');
    expect(finished?.body.updateType).toBe('SET SESSION');
    expect(finished?.headers.get('x-trino-set-session')).toBe('catalog.prop=a+b%2Fc');

    const trinoClient = client(trino.url);
    await collect(trinoClient, "SET SESSION query_max_run_time = '1h'");
    await collect(trinoClient, 'SELECT 1');
    expect(trino.queries().at(-1)?.headers['x-trino-session']).toBe('query_max_run_time=1h');
  });

  it('START TRANSACTION, a query in it, COMMIT, then the id is unknown', async () => {
    const trino = await standin();
    const start = (await runRaw(trino.url, 'START TRANSACTION', { 'X-Trino-User': 'alice', 'X-Trino-Transaction-Id': 'NONE' })).at(-1);
    const transactionId = start?.headers.get('x-trino-started-transaction-id');
    expect(transactionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(start?.body.updateType).toBe('START TRANSACTION');

    const inside = { 'X-Trino-User': 'alice', 'X-Trino-Transaction-Id': transactionId ?? '' };
    expect(rowsOf(await runRaw(trino.url, 'SELECT * FROM t /* rows=2 */', inside))).toHaveLength(2);
    const nested = (await runRaw(trino.url, 'START TRANSACTION', inside)).at(-1);
    expect(nested?.body.error?.errorName).toBe('NOT_SUPPORTED');

    const commit = (await runRaw(trino.url, 'COMMIT', inside)).at(-1);
    expect(commit?.body.stats.state).toBe('FINISHED');
    expect(commit?.headers.get('x-trino-clear-transaction-id')).toBe('true');

    const afterCommit = (await runRaw(trino.url, 'SELECT 1', inside)).at(-1);
    expect(afterCommit?.body.error).toMatchObject({ errorName: 'UNKNOWN_TRANSACTION', errorCode: 20 });
  });

  it('START TRANSACTION without X-Trino-Transaction-Id fails; ROLLBACK outside a transaction fails', async () => {
    const trino = await standin();
    expect((await runRaw(trino.url, 'START TRANSACTION')).at(-1)?.body.error?.errorName).toBe('INCOMPATIBLE_CLIENT');
    const rollback = (await runRaw(trino.url, 'ROLLBACK', { 'X-Trino-User': 'alice', 'X-Trino-Transaction-Id': 'NONE' })).at(-1);
    expect(rollback?.body.error?.errorName).toBe('NOT_IN_TRANSACTION');
    expect(rollback?.headers.get('x-trino-clear-transaction-id')).toBeNull();
  });

  it('answers a Presto-protocol client with X-Presto- headers when configured for the alternate header name', async () => {
    const trino = await standin({ alternateHeaderName: 'Presto' });
    const last = (await runRaw(trino.url, "SET SESSION a.b = 'x'", { 'X-Presto-User': 'old' })).at(-1);
    expect(last?.headers.get('x-presto-set-session')).toBe('a.b=x');
    expect(last?.headers.get('x-trino-set-session')).toBeNull();
    expect(trino.queries()[0]?.user).toBe('old');
  });
});

describe('authentication and protocol errors', () => {
  it('needs a user: 401 without one; a Basic user without password or X-Trino-User is enough', async () => {
    const trino = await standin();
    const anonymous = await submit(trino.url, 'SELECT 1', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatch(/X-Trino-User/);
    expect((await submit(trino.url, 'SELECT 1', { Authorization: `Basic ${Buffer.from('carol:').toString('base64')}` })).status).toBe(200);
    expect((await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'dave' })).status).toBe(200);
    expect(trino.queries().map((q) => q.user)).toEqual(['carol', 'dave']);
  });

  // The old stand-in read X-Presto-* always: Trino reads them only with protocol.v1.alternate-header-name.
  it('without the alternate header name, X-Presto-User names nobody (401)', async () => {
    const trino = await standin();
    expect((await submit(trino.url, 'SELECT 1', { 'X-Presto-User': 'dave' })).status).toBe(401);
    const presto = await standin({ alternateHeaderName: 'Presto' });
    expect((await submit(presto.url, 'SELECT 1', { 'X-Presto-User': 'dave' })).status).toBe(200);
  });

  it('with the alternate header name, X-Trino- and X-Presto- headers together are 400 with Basic, 401 without', async () => {
    const trino = await standin({ alternateHeaderName: 'Presto' });
    const withBasic = await submit(trino.url, 'SELECT 1', {
      Authorization: `Basic ${Buffer.from('a:').toString('base64')}`, 'X-Presto-User': 'a', 'x-trino-cluster': 'trino-a',
    });
    expect(withBasic.status).toBe(400);
    expect(withBasic.body).toBe('Error 400 Bad Request: Both Trino and Presto headers detected');
    const withoutBasic = await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'a', 'X-Presto-Source': 'b' });
    expect(withoutBasic.status).toBe(401);
    expect(trino.queries()).toHaveLength(0);
    // Without the alternate name the Presto header is just an unknown header.
    const plain = await standin();
    expect((await submit(plain.url, 'SELECT 1', { 'X-Trino-User': 'a', 'X-Presto-Source': 'b' })).status).toBe(200);
  });

  it('over http a Basic header with a password is refused 401 (insecure authenticator); X-Trino-Original-User names the principal', async () => {
    const trino = await standin();
    const withPassword = await submit(trino.url, 'SELECT 1', { Authorization: `Basic ${Buffer.from('carol:secret').toString('base64')}` });
    expect(withPassword.status).toBe(401);
    expect(withPassword.body).toMatch(/Password not allowed/);
    expect((await submit(trino.url, 'SELECT 1', { 'X-Trino-Original-User': 'erin' })).status).toBe(200);
    expect(trino.queries().map((q) => q.user)).toEqual(['erin']);
  });

  it('a malformed X-Trino-Session or a schema without a catalog is a 400 at the POST', async () => {
    const trino = await standin();
    const badSession = await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'a', 'X-Trino-Session': 'no_equals_sign' });
    expect(badSession.status).toBe(400);
    const schemaOnly = await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'a', 'X-Trino-Schema': 's' });
    expect(schemaOnly.status).toBe(400);
    expect(schemaOnly.body).toBe('Error 400 Bad Request: Schema is set but catalog is not');
    expect((await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'a', 'X-Trino-Session': 'a.b=1', 'X-Trino-Catalog': 'c', 'X-Trino-Schema': 's' })).status).toBe(200);
    expect(trino.queries()).toHaveLength(1);
  });

  it('query ids are yyyyMMdd_HHmmss_NNNNN_<coordinatorId>, counting up', async () => {
    const trino = await standin({ coordinatorId: 'abc23' });
    const first = await submit(trino.url, 'SELECT 1');
    const second = await submit(trino.url, 'SELECT 1');
    expect(first.body.id).toMatch(/^\d{8}_\d{6}_00000_abc23$/);
    expect(second.body.id).toMatch(/^\d{8}_\d{6}_00001_abc23$/);
    expect(first.body.infoUri).toBe(`${trino.url}/ui/query.html?${first.body.id}`);
    expect(first.body.nextUri).toMatch(new RegExp(`^${trino.url}/v1/statement/queued/${first.body.id}/y[0-9a-f]{40}/1$`));
    expect(first.body.stats).toMatchObject({ state: 'QUEUED', queued: true, scheduled: false, nodes: 0 });
  });
});

describe('slugs and tokens', () => {
  it('a wrong slug is 404, an unknown query 404, a stale queued token 410', async () => {
    const trino = await standin();
    const submitted = await submit(trino.url, 'SELECT * FROM t /* queued=60000 */');
    const firstUri: string = submitted.body.nextUri;
    expect((await get(firstUri.replace(/\/y[0-9a-f]{40}\//, `/y${'0'.repeat(40)}/`))).status).toBe(404);
    expect((await get(firstUri.replace(submitted.body.id, '20200101_000000_00000_zzzzz'))).status).toBe(404);

    const second = await get(firstUri);
    const third = await get(second.body.nextUri);
    expect(third.body.stats.state).toBe('QUEUED');
    expect((await get(firstUri)).status).toBe(410); // token 1 is neither the current (3) nor the previous (2)
    expect((await get(second.body.nextUri)).status).toBe(200); // the previous token is still accepted
  });

  it('the executing path repeats the last page for a retry and answers 410 for older tokens', async () => {
    const trino = await standin({ rowsPerPage: 2 });
    const submitted = await submit(trino.url, 'SELECT * FROM t /* rows=4 */');
    const queued = await get(submitted.body.nextUri);
    const page1 = await get(queued.body.nextUri);
    const retry = await get(queued.body.nextUri);
    expect(retry.body.data).toEqual(page1.body.data);
    expect(retry.body.nextUri).toBe(page1.body.nextUri);
    const page2 = await get(page1.body.nextUri);
    expect(page2.body.data).toEqual([[2, 'trino'], [3, 'trino']]);
    expect((await get(queued.body.nextUri)).status).toBe(410);
    const final = await get(page2.body.nextUri);
    expect(final.body).toMatchObject({ stats: { state: 'FINISHED' } });
    expect(final.body.nextUri).toBeUndefined();
    expect((await get(page2.body.nextUri)).body).toMatchObject({ stats: { state: 'FINISHED' } });
    // The queued path still knows the query and sends a late client on to the executing path.
    expect((await get(submitted.body.nextUri)).body.nextUri).toContain('/v1/statement/executing/');
  });

  it('partial cancel answers 204 for a valid slug and 404 otherwise', async () => {
    const trino = await standin({ rowsPerPage: 1 });
    const submitted = await submit(trino.url, 'SELECT * FROM t /* rows=3 */');
    const queued = await get(submitted.body.nextUri);
    const page = await get(queued.body.nextUri);
    expect(page.body.partialCancelUri).toContain('/v1/statement/executing/partialCancel/');
    expect((await fetch(page.body.partialCancelUri, { method: 'DELETE' })).status).toBe(204);
    const forged = (page.body.partialCancelUri as string).replace(/\/y[0-9a-f]{40}\//, `/y${'1'.repeat(40)}/`);
    expect((await fetch(forged, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('forwarded headers', () => {
  const forwarded = {
    'X-Trino-User': 'alice',
    'X-Forwarded-Proto': 'https',
    'X-Forwarded-Host': 'gateway.example',
    'X-Forwarded-Prefix': '/_tr/a/key1',
  };

  it('puts X-Forwarded-Proto/Host and the prefix into nextUri and infoUri, per request', async () => {
    const trino = await standin();
    const submitted = await submit(trino.url, 'SELECT 1', forwarded);
    expect(submitted.body.nextUri).toMatch(/^https:\/\/gateway\.example\/_tr\/a\/key1\/v1\/statement\/queued\//);
    expect(submitted.body.infoUri).toBe(`https://gateway.example/_tr/a/key1/ui/query.html?${submitted.body.id}`);

    const local = submitted.body.nextUri.replace('https://gateway.example/_tr/a/key1', trino.url);
    const next = await get(local, { ...forwarded, 'X-Forwarded-Prefix': '/other', 'X-Forwarded-Port': '8443' });
    expect(next.body.nextUri).toMatch(/^https:\/\/gateway\.example:8443\/other\/v1\/statement\/executing\//);
    const plain = await get(local, { 'X-Trino-User': 'alice' });
    expect(plain.body.nextUri.startsWith(`${trino.url}/v1/statement/executing/`)).toBe(true);
  });

  it('the version decides the prefix: none before 452, URL-escaped (/ is %2F) in 452-457, as sent from 458', async () => {
    const nextUriAt = async (version: string): Promise<string> => {
      const trino = await standin({ version });
      return (await submit(trino.url, 'SELECT 1', forwarded)).body.nextUri as string;
    };
    expect(await nextUriAt('451')).toMatch(/^https:\/\/gateway\.example\/v1\/statement\/queued\//);
    expect(await nextUriAt('452')).toMatch(/^https:\/\/gateway\.example\/_tr%2Fa%2Fkey1\/v1\/statement\/queued\//);
    expect(await nextUriAt('457')).toMatch(/^https:\/\/gateway\.example\/_tr%2Fa%2Fkey1\/v1\/statement\/queued\//);
    expect(await nextUriAt('458')).toMatch(/^https:\/\/gateway\.example\/_tr\/a\/key1\/v1\/statement\/queued\//);
  });

  it('puts the prefix into spooled segment URIs (coordinator_proxy); segments download, acknowledge, then vanish', async () => {
    const trino = await standin({ rowsPerPage: 3, spooling: { mode: 'coordinator_proxy', inlineMaxRows: 0 } });
    const proxy = await prefixProxy(trino, '/_tr/b/key2');
    const answers = await runRaw(proxy.url, 'SELECT * FROM t /* rows=5 */', { 'X-Trino-User': 'alice', 'X-Trino-Query-Data-Encoding': 'json' });
    const queryId: string = answers[0]?.body.id;
    const segments = answers.flatMap((a) => (a.body.data?.segments ?? []) as { type: string; uri: string; ackUri: string; metadata: Record<string, number> }[]);
    expect(answers.filter((a) => a.body.data !== undefined).every((a) => a.body.data.encoding === 'json')).toBe(true);
    expect(segments).toHaveLength(2);
    const rows: unknown[][] = [];
    for (const segment of segments) {
      expect(segment.type).toBe('spooled');
      expect(segment.uri.startsWith(`${proxy.url}/v1/spooled/download/`)).toBe(true);
      expect(segment.ackUri.startsWith(`${proxy.url}/v1/spooled/ack/`)).toBe(true);
      expect(segment.uri).not.toContain(queryId);
      const download = await fetch(segment.uri);
      expect(download.status).toBe(200);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(bytes.length).toBe(segment.metadata.segmentSize);
      const part = JSON.parse(bytes.toString('utf8')) as unknown[][];
      expect(part).toHaveLength(segment.metadata.rowsCount ?? -1);
      expect(part[0]?.[0]).toBe(segment.metadata.rowOffset);
      rows.push(...part);
      expect((await fetch(segment.ackUri)).status).toBe(200);
      expect((await fetch(segment.uri)).status).toBe(404);
    }
    expect(rows).toEqual([0, 1, 2, 3, 4].map((i) => [i, 'trino']));
    expect((await fetch(`${trino.url}/v1/spooled/download/nope`)).status).toBe(404);
    expect((await fetch(`${trino.url}/v1/spooled/ack/nope`)).status).toBe(404);
  });

  it('spooling by default (storage): small pages inline, else a pre-signed storage uri that bypasses the proxy; only ackUri goes through it', async () => {
    const spooled = { 'X-Trino-User': 'alice', 'X-Trino-Query-Data-Encoding': 'json' };
    const small = await standin({ rowsPerPage: 3 });
    const smallProxy = await prefixProxy(small, '/_tr/b/key2');
    const inlineAnswers = await runRaw(smallProxy.url, 'SELECT * FROM t /* rows=5 */', spooled);
    const inline = inlineAnswers.flatMap((a) => (a.body.data?.segments ?? []) as { type: string; data: string }[]);
    expect(inline.map((x) => x.type)).toEqual(['inline', 'inline']);
    expect(inline.flatMap((x) => JSON.parse(Buffer.from(x.data, 'base64').toString('utf8')) as unknown[][])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 'trino']));
    expect(inlineAnswers.every((a) => a.headers.get('x-trino-query-data-encoding') === 'json')).toBe(true);

    const trino = await standin({ rowsPerPage: 3, spooling: { inlineMaxRows: 0 } });
    const proxy = await prefixProxy(trino, '/_tr/b/key2');
    const answers = await runRaw(proxy.url, 'SELECT * FROM t /* rows=5 */', spooled);
    const segments = answers.flatMap((a) => (a.body.data?.segments ?? []) as { type: string; uri: string; ackUri: string }[]);
    expect(segments).toHaveLength(2);
    for (const segment of segments) {
      expect(segment.uri.startsWith(`${trino.url}/_storage/spooled/`)).toBe(true);
      expect(segment.ackUri.startsWith(`${proxy.url}/v1/spooled/ack/`)).toBe(true);
      expect((await fetch(segment.uri)).status).toBe(200);
      const id = new URL(segment.uri).pathname.split('/').at(-1);
      const viaCoordinator = await fetch(`${proxy.url}/v1/spooled/download/${id}`);
      expect(viaCoordinator.status).toBe(503);
      expect((await fetch(`${segment.uri.split('?')[0]}?signature=forged`)).status).toBe(403);
      expect((await fetch(segment.ackUri)).status).toBe(200);
    }
    expect(proxy.paths.some((p) => p.includes('/_storage/'))).toBe(false);
  });

  it('spooling with coordinator_storage_redirect: the download through the proxy answers 303 to the storage', async () => {
    const trino = await standin({ rowsPerPage: 3, spooling: { mode: 'coordinator_storage_redirect', inlineMaxRows: 0 } });
    const proxy = await prefixProxy(trino, '/_tr/b/key2');
    const answers = await runRaw(proxy.url, 'SELECT * FROM t /* rows=5 */', { 'X-Trino-User': 'alice', 'X-Trino-Query-Data-Encoding': 'json' });
    const segments = answers.flatMap((a) => (a.body.data?.segments ?? []) as { uri: string; ackUri: string }[]);
    expect(segments).toHaveLength(2);
    for (const segment of segments) {
      expect(segment.uri.startsWith(`${proxy.url}/v1/spooled/download/`)).toBe(true);
      const redirect = await fetch(segment.uri, { redirect: 'manual' });
      expect(redirect.status).toBe(303);
      const location = redirect.headers.get('location') ?? '';
      expect(location.startsWith(`${trino.url}/_storage/spooled/`)).toBe(true);
      expect((await fetch(location)).status).toBe(200);
      expect((await fetch(segment.ackUri)).status).toBe(200);
    }
  });

  it('with processForwarded off, RFC 7239 Forwarded is not refused (only X-Forwarded-* names are)', async () => {
    const trino = await standin({ processForwarded: false });
    expect((await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'alice', Forwarded: 'for=10.0.0.1;proto=https' })).status).toBe(200);
  });

  it('with processForwarded off, any X-Forwarded-* header is refused with 406', async () => {
    const trino = await standin({ processForwarded: false });
    const refused = await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'alice', 'X-Forwarded-Proto': 'http' });
    expect(refused.status).toBe(406);
    expect(refused.body).toMatch(/X-Forwarded-Proto/);
    expect((await get(`${trino.url}/v1/info`, { 'X-Forwarded-For': '10.0.0.1' })).status).toBe(406);
    expect(trino.queries()).toHaveLength(0);
    const ignored = await submit(trino.url, 'SELECT 1');
    expect(ignored.body.nextUri.startsWith(trino.url)).toBe(true);

    trino.setProcessForwarded(true);
    const accepted = await submit(trino.url, 'SELECT 1', { 'X-Trino-User': 'alice', 'X-Forwarded-Proto': 'https' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.nextUri.startsWith(`https://127.0.0.1:${trino.port}/`)).toBe(true);
  });
});

describe('query resources', () => {
  it('GET /v1/query/{id} gives QueryInfo (user needed, 410 when unknown); DELETE cancels', async () => {
    const trino = await standin();
    const submitted = await dispatched(trino.url, 'SELECT * FROM t /* duration=60000 */', { 'X-Trino-User': 'erin', 'X-Trino-Source': 'etl' });
    const id: string = submitted.body.id;
    const info = await get(`${trino.url}/v1/query/${id}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ queryId: id, state: 'RUNNING', session: { user: 'erin', source: 'etl' }, query: 'SELECT * FROM t /* duration=60000 */' });
    expect((await get(`${trino.url}/v1/query/${id}`, {})).status).toBe(401);
    expect((await get(`${trino.url}/v1/query/20200101_000000_00000_zzzzz`)).status).toBe(410);
    expect(await client(trino.url).queryInfo(id)).toMatchObject({ queryId: id });

    expect((await fetch(`${trino.url}/v1/query/${id}`, { method: 'DELETE', headers: { 'X-Trino-User': 'alice' } })).status).toBe(204);
    expect(trino.query(id)).toMatchObject({ state: 'FAILED', cancelled: true });
    expect(trino.query(id)?.requests).toBe(6);
  });

  // 202, not 200: server/QueryResource.java answers a kill it accepts with 202 Accepted.
  it('PUT /v1/query/{id}/killed fails a running query (202), then 409; preempted likewise; 410 unknown', async () => {
    const trino = await standin();
    const id: string = (await dispatched(trino.url, 'SELECT * FROM t /* duration=60000 */')).body.id;
    const kill = (): Promise<Response> => fetch(`${trino.url}/v1/query/${id}/killed`, { method: 'PUT', body: 'too big', headers: { 'X-Trino-User': 'admin' } });
    expect((await kill()).status).toBe(202);
    expect((await kill()).status).toBe(409);
    const info = await get(`${trino.url}/v1/query/${id}`);
    expect(info.body).toMatchObject({ state: 'FAILED', errorCode: { name: 'ADMINISTRATIVELY_KILLED', code: 38 } });
    expect(trino.query(id)?.cancelled).toBe(false);

    const other = await dispatched(trino.url, 'SELECT * FROM t /* duration=60000 */');
    expect((await fetch(`${trino.url}/v1/query/${other.body.id}/preempted`, { method: 'PUT', headers: { 'X-Trino-User': 'admin' } })).status).toBe(202);
    const last = (await follow(other)).at(-1);
    expect(last?.body.error).toMatchObject({ errorName: 'ADMINISTRATIVELY_PREEMPTED', message: 'Query preempted. No message provided.' });
    expect((await fetch(`${trino.url}/v1/query/20200101_000000_00000_zzzzz/killed`, { method: 'PUT', headers: { 'X-Trino-User': 'a' } })).status).toBe(410);
  });

  it('CALL system.runtime.kill_query kills a query of this coordinator', async () => {
    const trino = await standin();
    const victim: string = (await dispatched(trino.url, 'SELECT * FROM t /* duration=60000 */')).body.id;
    const { results } = await collect(client(trino.url), `CALL system.runtime.kill_query(query_id => '${victim}', message => 'bye')`);
    expect(results.at(-1)?.stats?.state).toBe('FINISHED');
    expect(trino.query(victim)?.state).toBe('FAILED');
    const again = await collect(client(trino.url), `CALL system.runtime.kill_query('${victim}')`);
    expect(again.results.at(-1)?.error?.errorName).toBe('NOT_SUPPORTED');
  });

  it('serves the infoUri page and /ui/api/query/{id} to a UI login; 404/410 for unknown ids', async () => {
    const trino = await standin({ name: 'trino-ui' });
    const login = await uiLogin(trino);
    const submitted = await dispatched(trino.url, 'SELECT 1');
    const page = await fetch(submitted.body.infoUri, { headers: login });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain(submitted.body.id);
    expect(html).toContain('trino-ui');
    expect((await fetch(`${trino.url}/ui/query.html?20200101_000000_00000_zzzzz`, { headers: login })).status).toBe(404);
    expect((await get(`${trino.url}/ui/api/query/${submitted.body.id}`, login)).body).toMatchObject({ queryId: submitted.body.id });
    expect((await fetch(`${trino.url}/ui/api/query/20200101_000000_00000_zzzzz`, { headers: login })).status).toBe(410);
  });

  it('the web UI needs a login: X-Trino-User is ignored, /ui/api answers 401 Trino-Form-Login, pages redirect', async () => {
    const trino = await standin();
    const submitted = await submit(trino.url, 'SELECT 1');
    for (const path of ['/ui/api/stats', '/ui/api/query', `/ui/api/query/${submitted.body.id}`]) {
      const refused = await fetch(`${trino.url}${path}`, { headers: { 'X-Trino-User': 'alice' } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Trino-Form-Login');
    }
    const page = await fetch(submitted.body.infoUri, { headers: { 'X-Trino-User': 'alice' }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ui/login.html');
    // A password over plain HTTP is refused: back to the form, no cookie.
    const withPassword = await fetch(`${trino.url}/ui/login`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ username: 'alice', password: 'secret' }),
    });
    expect(withPassword.status).toBe(303);
    expect(withPassword.headers.get('location')).toBe('/ui/login.html');
    expect(withPassword.headers.get('set-cookie')).toBeNull();
    // A token signed elsewhere reads as not logged in.
    const forged = await fetch(`${trino.url}/ui/api/stats`, { headers: { Cookie: 'Trino-UI-Token=YWxpY2U.bm9wZQ' } });
    expect(forged.status).toBe(401);
  });

  it('a UI token is valid only on the coordinator process that issued it', async () => {
    const a = await standin();
    const b = await standin();
    const login = await uiLogin(a);
    expect((await fetch(`${a.url}/ui/api/stats`, { headers: login })).status).toBe(200);
    expect((await fetch(`${b.url}/ui/api/stats`, { headers: login })).status).toBe(401);
    await a.restart();
    // A fresh connection: the pooled one died with the old process.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: a.port, path: '/ui/api/stats', headers: login, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
  });

  it('POST /ui/auth/login (JSON) logs in from Trino 483; older versions do not have it', async () => {
    const json = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: '' }) };
    const old = await standin({ version: '482' });
    expect((await fetch(`${old.url}/ui/auth/login`, json)).status).toBe(404);
    const current = await standin({ version: '483' });
    const res = await fetch(`${current.url}/ui/auth/login`, json);
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await fetch(`${current.url}/ui/api/stats`, { headers: { Cookie: cookie } })).status).toBe(200);
  });

  it('logs every request and counts the requests of each query', async () => {
    const trino = await standin();
    const answers = await runRaw(trino.url, 'SELECT * FROM t /* rows=250 */');
    await fetch(`${trino.url}/v1/info`);
    const id: string = answers[0]?.body.id;
    expect(trino.query(id)?.requests).toBe(answers.length);
    const log = trino.requestLog();
    expect(log.map((r) => r.method)).toEqual([...answers.map((_, i) => (i === 0 ? 'POST' : 'GET')), 'GET']);
    expect(log[0]).toMatchObject({ path: '/v1/statement', headers: { 'x-trino-user': 'alice' } });
    expect(log.at(-1)?.path).toBe('/v1/info');
  });
});

describe('status endpoints', () => {
  it('/v1/info and /v1/info/state follow setState and setStarting', async () => {
    const trino = await standin({ name: 'trino-x', version: '999' });
    const info = await get(`${trino.url}/v1/info`, {});
    expect(info.body).toMatchObject({ nodeVersion: { version: '999' }, environment: 'trino-x', coordinator: true, starting: false });
    expect(info.body.uptime).toMatch(/^\d+\.\d{2}(ms|s|m|h|d)$/);
    expect((await get(`${trino.url}/v1/info/state`, {})).body).toBe('ACTIVE');
    trino.setState('INACTIVE');
    expect((await get(`${trino.url}/v1/info/state`, {})).body).toBe('INACTIVE');
    trino.setStarting(true);
    expect((await get(`${trino.url}/v1/info`, {})).body.starting).toBe(true);
    const status = await get(`${trino.url}/v1/status`, {});
    expect(status.body).toMatchObject({ nodeVersion: { version: '999' }, environment: 'trino-x', coordinator: true });
    expect(typeof status.body.nodeId).toBe('string');
    expect(typeof status.body.processCpuLoad).toBe('number');
    expect(typeof status.body.heapUsed).toBe('number');
  });

  it('a coordinator refuses to shut down or drain: PUT /v1/info/state SHUTTING_DOWN/DRAINING fails, it stays ACTIVE', async () => {
    const trino = await standin();
    const put = (state: string): Promise<Response> => fetch(`${trino.url}/v1/info/state`, {
      method: 'PUT', headers: { ...ALICE_HEADERS, 'Content-Type': 'application/json' }, body: JSON.stringify(state),
    });
    const shutdown = await put('SHUTTING_DOWN');
    expect(shutdown.status).toBe(500);
    expect(await shutdown.text()).toBe('Cannot shutdown coordinator');
    const drain = await put('DRAINING');
    expect(drain.status).toBe(500);
    expect(await drain.text()).toBe('Cannot drain coordinator');
    expect((await put('ACTIVE')).status).toBe(200);
    expect((await get(`${trino.url}/v1/info/state`, {})).body).toBe('ACTIVE');
  });

  it('keeps an idle keep-alive connection open for 200 s, as Trino does', async () => {
    const trino = await standin();
    const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: trino.port, path: '/v1/info', headers: { Connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['keep-alive'])));
      });
      req.on('error', reject);
      req.end();
    });
    expect(keepAlive).toBe('timeout=200');
  });

  it('a starting coordinator fails new queries with SERVER_STARTING_UP', async () => {
    const trino = await standin({ starting: true });
    expect((await runRaw(trino.url, 'SELECT 1')).at(-1)?.body.error?.errorName).toBe('SERVER_STARTING_UP');
    trino.setStarting(false);
    expect(rowsOf(await runRaw(trino.url, 'SELECT 1'))).toEqual([[1]]);
  });

  it('/ui/api/stats counts running and queued queries', async () => {
    const trino = await standin();
    const login = await uiLogin(trino);
    const stats = async (): Promise<Record<string, number>> => (await get(`${trino.url}/ui/api/stats`, login)).body;
    expect(await stats()).toMatchObject({ runningQueries: 0, queuedQueries: 0, blockedQueries: 0, activeWorkers: 1 });
    await dispatched(trino.url, 'SELECT * FROM t /* duration=60000 */');
    await dispatched(trino.url, 'SELECT * FROM t /* duration=60000 */');
    await dispatched(trino.url, 'SELECT * FROM t /* queued=60000 */');
    await collect(client(trino.url), 'SELECT 1');
    expect(await stats()).toMatchObject({ runningQueries: 2, queuedQueries: 1 });
  });
});

describe('restart', () => {
  it('draws a new coordinatorId, forgets queries and keeps the port', async () => {
    const trino = await standin();
    const before = trino.coordinatorId;
    const port = trino.port;
    const old = await submit(trino.url, 'SELECT * FROM t /* duration=60000 */');
    expect(old.body.id.endsWith(`_${before}`)).toBe(true);
    await trino.restart();
    expect(trino.port).toBe(port);
    expect(trino.coordinatorId).not.toBe(before);
    expect(trino.coordinatorId).toMatch(/^[a-km-np-z2-9]{5}$/);
    expect(trino.queries()).toEqual([]);
    expect((await get(old.body.nextUri)).status).toBe(404);
    const fresh = await submit(trino.url, 'SELECT 1');
    expect(fresh.body.id).toMatch(new RegExp(`_00000_${trino.coordinatorId}$`));
  });
});

describe('faults', () => {
  it('http500 answers plain text 500, garbage answers 200 with non-JSON, none restores', async () => {
    const trino = await standin();
    trino.setFault('http500');
    const failed = await fetch(`${trino.url}/v1/info`);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toContain('text/plain');
    trino.setFault('garbage');
    const garbage = await fetch(`${trino.url}/v1/info`);
    expect(garbage.status).toBe(200);
    await expect(garbage.json()).rejects.toThrow();
    trino.setFault('none');
    expect((await fetch(`${trino.url}/v1/info`)).status).toBe(200);
    expect(trino.requestLog()).toHaveLength(3);
  });

  it('reset destroys the connection', async () => {
    const trino = await standin();
    trino.setFault('reset');
    await expect(fetch(`${trino.url}/v1/info`)).rejects.toThrow();
    await expect(collect(client(trino.url), 'SELECT 1')).rejects.toThrow();
  });

  it('hang holds requests until the fault is cleared', async () => {
    const trino = await standin();
    trino.setFault('hang');
    let settled = false;
    const pending = fetch(`${trino.url}/v1/info`).then((r) => {
      settled = true;
      return r.status;
    });
    await eventually(() => trino.requestLog().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    trino.setFault('none');
    expect(await pending).toBe(200);
  });

  it('close() does not wait for hung requests', async () => {
    const trino = await startTrinoStandin();
    trino.setFault('hang');
    const pending = fetch(`${trino.url}/v1/info`);
    await eventually(() => trino.requestLog().length === 1);
    await trino.close();
    await expect(pending).rejects.toThrow();
  });
});
