/**
 * The gateway queue on the request path, with a real (in-memory) SQLite store: a submission to
 * a limited group is held and answered QUEUED on a signed router path; polls, cancels and
 * forgeries; sealed credentials never readable in the store; explain's "would be queued".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EntrySignals } from '../../../src/queue/entry-signals.js';
import { GatewayQueue } from '../../../src/queue/gateway-queue.js';
import { queuePath, verifyQueuePath } from '../../../src/queue/queue-path.js';
import { openRequest, sealRequest, SealError } from '../../../src/queue/sealed-request.js';
import { explainRequest } from '../../../src/routing/explain.js';
import type { ReplyInstruction } from '../../../src/routing/decision.js';
import { RequestRouter, type RequestRouterDeps } from '../../../src/routing/request-router.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { OwnershipIndex } from '../../../src/stickiness/ownership.js';
import { createKeyring } from '../../../src/stickiness/route-prefix.js';
import { openSqliteStore } from '../../../src/store/sqlite/open.js';
import type { Store } from '../../../src/store/store.js';
import { routeFully } from '../../support/route-fully.js';
import { queryHandlers } from '../../../src/admin/services/query-service.js';
import type { AdminCall } from '../../../src/admin/call.js';
import type { AdminDeps } from '../../../src/admin/deps.js';
import { sampleConfig } from '../routing/fixtures.js';

const keyring = createKeyring([{ id: 'k1', secret: 'a-secret-long-enough-for-hmac-sha256' }], 3600);
const SECRET = 'Basic YWxpY2U6czNjcmV0';

describe('the gateway queue on the request path', () => {
  let store: Store;
  let deps: RequestRouterDeps;
  let router: RequestRouter;
  let now = 1_000_000;

  beforeEach(() => {
    store = openSqliteStore(':memory:');
    const config = sampleConfig();
    const snapshot = compileSnapshot({ ...config, backends: config.backends.map((b) => ({ ...b, maxRunningQueries: 2 })) }, 1);
    const queue = new GatewayQueue({ store: store.queue, keyring, signals: new EntrySignals(), pollHoldMs: 1, touchEveryMs: 0, now: () => now });
    deps = {
      snapshot: () => snapshot,
      conditions: () => new Map(),
      strategy: createStrategyState(() => 0),
      ownership: new OwnershipIndex({ maxQueries: 100, retentionMs: 3600_000, transactionRetentionMs: 3600_000 }),
      keyring,
      probe: undefined,
      headerOptions: { jwtUserClaim: 'sub' },
      unavailable: 'failed-query',
      now: () => now,
      queue,
    };
    router = new RequestRouter(deps);
  });
  afterEach(async () => {
    await store.close();
  });

  const headers = (method: string, path: string): [string, string][] => [
    [':method', method], [':path', path], [':authority', 'trino.example.com'], ['x-forwarded-proto', 'https'],
    ['x-trino-user', 'alice'], ['authorization', SECRET],
  ];
  const routeReply = async (method: string, path: string, sql = ''): Promise<ReplyInstruction> => {
    const context = await routeFully(router, { headers: headers(method, path), listenerPort: 8080 }, sql);
    if (context.instruction.kind !== 'reply') throw new Error(`expected a reply, got ${JSON.stringify(context.instruction)}`);
    return context.instruction;
  };

  it('holds a submission to a limited group: QUEUED with a signed router nextUri, polls answered QUEUED with the wait and position', async () => {
    const first = await routeReply('POST', '/v1/statement', 'SELECT 1');
    expect(first.reason).toBe('queued');
    const body = JSON.parse(first.body) as { id: string; nextUri: string; stats: { state: string } };
    expect(body.stats.state).toBe('QUEUED');
    expect(body.nextUri).toMatch(/^https:\/\/trino\.example\.com\/_router\/queue\/[A-Za-z0-9_-]{22}\/k1\./);
    now += 250;
    const second = await routeReply('POST', '/v1/statement', 'SELECT 2');
    const poll = await routeReply('GET', new URL(JSON.parse(second.body).nextUri).pathname);
    expect(JSON.parse(poll.body).stats).toMatchObject({ state: 'QUEUED', queuePosition: 1 });
    const firstPoll = await routeReply('GET', new URL(body.nextUri).pathname);
    expect(JSON.parse(firstPoll.body).stats).toMatchObject({ state: 'QUEUED', queuePosition: 0, queuedTimeMillis: 250 });
  });

  it('keeps the credentials only sealed: the store and the queue view never show them', async () => {
    await routeReply('POST', '/v1/statement', 'SELECT secret_sql');
    const listed = await store.queue.list(now);
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain('YWxpY2U6czNjcmV0');
    const claimed = await store.queue.claim(listed[0]!.id, 'r1', now, now + 1000, 'a');
    expect(claimed?.request).not.toContain('YWxpY2U6czNjcmV0');
    expect(claimed?.request).not.toContain('secret_sql');
    const opened = openRequest(keyring, claimed!.request);
    expect(opened.headers).toContainEqual(['authorization', SECRET]);
    expect(opened.headers.some(([name]) => name.startsWith(':'))).toBe(false);
    expect(Buffer.from(opened.body).toString()).toBe('SELECT secret_sql');
    // Rotation: a new current key still opens what the old one sealed; a ring without it cannot.
    const rotated = createKeyring([{ id: 'k2', secret: 'another-secret-long-enough-for-hmac' }, { id: 'k1', secret: 'a-secret-long-enough-for-hmac-sha256' }], 3600);
    expect(openRequest(rotated, claimed!.request).origin).toBe('https://trino.example.com');
    const other = createKeyring([{ id: 'k2', secret: 'another-secret-long-enough-for-hmac' }], 3600);
    expect(() => openRequest(other, claimed!.request)).toThrow(SealError);
    const tampered = claimed!.request.replace(/\.([^.]{4})/, '.AAAA');
    expect(() => openRequest(keyring, tampered)).toThrow(SealError);
    expect(sealRequest(keyring, opened)).not.toBe(claimed!.request);
  });

  it('DELETE cancels a queued query: later polls get USER_CANCELED and no claim can take it', async () => {
    const first = await routeReply('POST', '/v1/statement', 'SELECT 1');
    const path = new URL(JSON.parse(first.body).nextUri).pathname;
    const cancel = await routeReply('DELETE', path);
    expect(cancel).toMatchObject({ status: 204, reason: 'queue_cancelled' });
    const after = await routeReply('GET', path);
    expect(JSON.parse(after.body)).toMatchObject({ stats: { state: 'FAILED' }, error: { errorName: 'USER_CANCELED' } });
    expect(await store.queue.waiting('adhoc', now, 10)).toEqual([]);
  });

  it('refuses forged and edited queue paths, and cancels nothing with them', async () => {
    const first = await routeReply('POST', '/v1/statement', 'SELECT 1');
    const path = new URL(JSON.parse(first.body).nextUri).pathname;
    const id = verifyQueuePath(keyring, path);
    expect(id.valid).toBe(true);
    const otherKey = createKeyring([{ id: 'k1', secret: 'someone-elses-secret-long-enough!!' }], 3600);
    const forged = queuePath(otherKey, id.valid ? id.id : '');
    expect(await routeReply('DELETE', forged)).toMatchObject({ status: 403, reason: 'forged_prefix' });
    expect(await routeReply('GET', `${path.slice(0, -2)}xx`)).toMatchObject({ status: 403 });
    expect(await routeReply('GET', '/_router/queue/nothing')).toMatchObject({ status: 403 });
    expect(await store.queue.waiting('adhoc', now, 10)).toHaveLength(1);
  });

  it('explain says a submission would be queued behind N, and queues nothing', async () => {
    await routeReply('POST', '/v1/statement', 'SELECT 1');
    await routeReply('POST', '/v1/statement', 'SELECT 2');
    const explained = await explainRequest(deps, { headers: headers('POST', '/v1/statement'), listenerPort: 8080 });
    expect(explained.outcome).toBe('reply');
    expect(explained.summary).toContain('would be queued behind 2 in group adhoc');
    expect(await store.queue.waiting('adhoc', now, 10)).toHaveLength(2);
  });

  it('the admin API lists the queue in order with position, age and user, never the SQL or credentials', async () => {
    await routeReply('POST', '/v1/statement', 'SELECT very_secret_sql');
    now += 1_500;
    await routeReply('POST', '/v1/statement', 'SELECT 2');
    const call: AdminCall = { method: 'QueryService/ListQueued', author: { token: 'read-only', peer: 'ipv4:127.0.0.1:5000' }, noteChange: () => {} };
    const handlers = queryHandlers({ queue: { store: store.queue, now: () => now } } as unknown as AdminDeps);
    const listed = await handlers.listQueued({ group: '' }, call);
    expect(listed.queued.map((q) => [q.group, q.position, q.ageMs, q.user, q.state])).toEqual([['adhoc', 0, 1_500, 'alice', 'queued'], ['adhoc', 1, 0, 'alice', 'queued']]);
    expect(JSON.stringify(listed)).not.toMatch(/very_secret_sql|YWxpY2U6czNjcmV0/);
    expect((await handlers.listQueued({ group: 'etl' }, call)).queued).toEqual([]);
    await expect(Promise.resolve().then(() => queryHandlers({} as AdminDeps).listQueued({ group: '' }, call))).rejects.toThrow(/no gateway queue/);
  });

  it('a group without limits is routed as before, its body never asked for', () => {
    const plain = new RequestRouter({ ...deps, snapshot: () => compileSnapshot(sampleConfig(), 1) });
    const routed = plain.route({ headers: headers('POST', '/v1/statement'), listenerPort: 8080 });
    expect('instruction' in routed && routed.instruction.kind).toBe('forward');
  });
});
