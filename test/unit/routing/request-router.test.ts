/**
 * The per-request router without any I/O: which mechanism routes each kind of Trino request,
 * what it learns from responses, and how it refuses what it cannot route safely.
 */
import { describe, expect, it } from 'vitest';
import type { HeaderList } from '../../../src/trino/header-list.js';
import type { ForwardInstruction, ReplyInstruction } from '../../../src/routing/decision.js';
import { AwaitingBody, RequestRouter, type QueryProbe, type QuerySubmitted, type RequestContext, type SubmissionRefused } from '../../../src/routing/request-router.js';
import type { BackendConditions } from '../../../src/routing/engine.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { OwnershipIndex } from '../../../src/stickiness/ownership.js';
import { createKeyring, signRoutePrefix } from '../../../src/stickiness/route-prefix.js';
import { sampleConfig } from './fixtures.js';
import { routeFully } from '../../support/route-fully.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const QUERY_ID = '20261122_120000_00001_abcde';
const OTHER_COORDINATOR_QUERY = '20261122_120001_00007_abcde';
const keyring = createKeyring([{ id: 'k1', secret: 'a-secret-long-enough-for-hmac-sha256' }], 3600);

interface Setup {
  readonly router: RequestRouter;
  readonly ownership: OwnershipIndex;
  readonly submitted: QuerySubmitted[];
  readonly refused: SubmissionRefused[];
  readonly probes: string[];
}

function setup(options: { prefixes?: boolean; probe?: QueryProbe; conditions?: BackendConditions } = {}): Setup {
  const ownership = new OwnershipIndex({ maxQueries: 1000, retentionMs: 3600_000, transactionRetentionMs: 3600_000 });
  const snapshot = compileSnapshot(sampleConfig(), 1);
  const submitted: QuerySubmitted[] = [];
  const refused: SubmissionRefused[] = [];
  const probes: string[] = [];
  const router = new RequestRouter({
    snapshot: () => snapshot,
    conditions: () => options.conditions ?? new Map(),
    strategy: createStrategyState(() => 0),
    ownership,
    keyring: options.prefixes === false ? undefined : keyring,
    probe: async (queryId, headers, backends) => {
      probes.push(queryId);
      return options.probe?.(queryId, headers, backends);
    },
    headerOptions: { jwtUserClaim: 'sub' },
    unavailable: 'failed-query',
    now: () => NOW,
    onQuery: (query) => submitted.push(query),
    onRefused: (refusal) => refused.push(refusal),
  });
  return { router, ownership, submitted, refused, probes };
}

function request(method: string, path: string, extra: [string, string][] = []): { headers: HeaderList; listenerPort: number } {
  return {
    headers: [[':method', method], [':path', path], [':authority', 'trino.example.com'], ['x-forwarded-proto', 'https'], ['x-trino-user', 'alice'], ...extra],
    listenerPort: 8080,
  };
}

/** `sql`: the body Envoy hands over when the router asks for it (a transaction-aware submission). */
async function route(s: Setup, method: string, path: string, extra: [string, string][] = [], sql = ''): Promise<RequestContext> {
  return routeFully(s.router, request(method, path, extra), sql);
}

function forwarded(context: RequestContext): ForwardInstruction {
  expect(context.instruction.kind).toBe('forward');
  return context.instruction as ForwardInstruction;
}

function replied(context: RequestContext): ReplyInstruction & { json: any } {
  expect(context.instruction.kind).toBe('reply');
  const reply = context.instruction as ReplyInstruction;
  return { ...reply, json: JSON.parse(reply.body) };
}

describe('new queries', () => {
  it('go through the rules, with the decision attached and the response watched', async () => {
    const s = setup();
    const f = forwarded(await route(s, 'POST', '/v1/statement', [['x-trino-client-tags', 'etl']]));
    expect(f).toMatchObject({ backend: 'b', mechanism: 'rules', watch: 'headers_and_body', path: undefined });
    expect(f.decision).toMatchObject({ outcome: 'routed', rule: 'etl-tags', group: 'etl' });
    expect(f.forwardedPrefix).toMatch(/^\/_tr\/b\/k1\./);
  });

  it('send no prefix (and remove a client-sent one) when prefixes are off', async () => {
    const f = forwarded(await route(setup({ prefixes: false }), 'POST', '/v1/statement'));
    expect(f.forwardedPrefix).toBeUndefined();
  });

  it('learn query and coordinator ids from the first response, and report the query once', async () => {
    const s = setup();
    const context = await route(s, 'POST', '/v1/statement', [['x-trino-client-tags', 'etl']]);
    s.router.onResponseBody(context, Buffer.from(JSON.stringify({ id: QUERY_ID, infoUri: 'http://x/ui', nextUri: 'http://x/next' })));
    expect(s.ownership.queryOwner(QUERY_ID)).toBe('b');
    expect(s.ownership.coordinatorOwner('abcde')).toBe('b');
    expect(s.submitted).toEqual([expect.objectContaining({ queryId: QUERY_ID, backend: 'b', mechanism: 'rules' })]);
  });

  it('ignore a response body whose id is not a Trino query id', async () => {
    const s = setup();
    const context = await route(s, 'POST', '/v1/statement');
    s.router.onResponseBody(context, Buffer.from('{"id":"../../etc/passwd"}'));
    s.router.onResponseBody(context, Buffer.from('not json at all'));
    expect(s.ownership.sizes()).toEqual({ queries: 0, coordinators: 0, transactions: 0, loginFlows: 0 });
    expect(s.submitted).toEqual([]);
  });

  it('refuse a submission that no backend can take with a QUEUED answer whose poll fails readably', async () => {
    const down = { health: 'unhealthy', load: 0, inSchedule: true } as const;
    const s = setup({ conditions: new Map([['a', down], ['b', down]]) });
    const refused = replied(await route(s, 'POST', '/v1/statement'));
    expect(refused.status).toBe(200);
    expect(refused.json.stats.state).toBe('QUEUED');
    expect(refused.json.nextUri).toMatch(/^https:\/\/trino\.example\.com\/_router\/refused\//);
    const poll = replied(await route(s, 'GET', new URL(refused.json.nextUri).pathname));
    expect(poll.json.stats.state).toBe('FAILED');
    expect(poll.json.error).toMatchObject({ errorName: 'NO_NODES_AVAILABLE' });
    expect(poll.json.error.message).toMatch(/group adhoc: a unhealthy, b unhealthy/);
  });

  it('answer bad headers with a Trino error instead of routing on a guess', async () => {
    const s = setup();
    const reply = replied(await route(s, 'POST', '/v1/statement', [['x-trino-session', 'no_equals_sign']]));
    expect(reply.reason).toBe('bad_headers');
    const poll = replied(await route(s, 'GET', new URL(reply.json.nextUri).pathname));
    expect(poll.json.error.message).toMatch(/X-Trino-Session/i);
  });
});

describe('refused submissions are reported (history, logs)', () => {
  it('with the reason, the message the client sees, who sent it and the rules\' decision', async () => {
    const down = { health: 'unhealthy', load: 0, inSchedule: true } as const;
    const s = setup({ conditions: new Map([['a', down], ['b', down]]) });
    const reply = replied(await route(s, 'POST', '/v1/statement', [['x-trino-source', 'superset']]));
    expect(s.refused).toHaveLength(1);
    const [refusal] = s.refused;
    expect(refusal).toMatchObject({ reason: 'no_backend', at: NOW, facts: { user: 'alice', source: 'superset' }, decision: { outcome: 'rejected' } });
    const poll = replied(await route(s, 'GET', new URL(reply.json.nextUri).pathname));
    expect(refusal!.message).toBe(poll.json.error.message);
    // The poll of the refusal is not a second refusal; nothing was submitted.
    expect(s.refused).toHaveLength(1);
    expect(s.submitted).toEqual([]);
  });

  it('also when the headers cannot be read, or the transaction or the route prefix is unknown', async () => {
    const s = setup();
    await route(s, 'POST', '/v1/statement', [['x-trino-session', 'no_equals_sign']]);
    await route(s, 'POST', '/v1/statement', [['x-trino-transaction-id', 'tx-nobody-started']]);
    await route(s, 'POST', '/_tr/a/k1.1763812800.forgedsignature/v1/statement');
    expect(s.refused.map((r) => r.reason)).toEqual(['bad_headers', 'unknown_transaction', 'forged_prefix']);
    expect(s.refused[0]!.facts).toBeUndefined();
  });

  it('but not a refused follow-up: it is no new query', async () => {
    const s = setup();
    replied(await route(s, 'GET', `/v1/statement/executing/${QUERY_ID}/y1/1`));
    replied(await route(s, 'GET', '/_router/refused/not-base64-json'));
    expect(s.refused).toEqual([]);
  });
});

describe('follow-ups', () => {
  const followUpPaths = [
    ['GET', `/v1/statement/queued/${QUERY_ID}/y1234/1`],
    ['GET', `/v1/statement/executing/${QUERY_ID}/y1234/2`],
    ['DELETE', `/v1/statement/executing/${QUERY_ID}/y1234/2`],
    ['DELETE', `/v1/statement/executing/partialCancel/${QUERY_ID}/0/y1234/2`],
    ['GET', `/v1/query/${QUERY_ID}`],
    ['DELETE', `/v1/query/${QUERY_ID}`],
    ['PUT', `/v1/query/${QUERY_ID}/killed`],
    ['PUT', `/v1/query/${QUERY_ID}/preempted`],
    ['GET', `/ui/query.html?${QUERY_ID}`],
    ['GET', `/ui/api/query/${QUERY_ID}`],
  ] as const;

  it.each(followUpPaths)('%s %s reaches the owner by query id', async (method, path) => {
    const s = setup();
    s.ownership.learnQuery(QUERY_ID, 'a', 'response', NOW);
    s.ownership.learnCoordinator('abcde', 'b', NOW);
    expect(forwarded(await route(s, method, path))).toMatchObject({ backend: 'a', mechanism: 'query_id' });
  });

  it.each(followUpPaths)('%s %s reaches the owner by coordinator id when the query id is unknown', async (method, path) => {
    const s = setup();
    s.ownership.learnCoordinator('abcde', 'b', NOW);
    expect(forwarded(await route(s, method, path))).toMatchObject({ backend: 'b', mechanism: 'coordinator_id' });
    expect(s.probes).toEqual([]);
  });

  it('probes the clusters as a last resort and remembers the answer', async () => {
    const s = setup({ probe: async (_id, _headers, backends) => (backends.includes('b') ? 'b' : undefined) });
    expect(forwarded(await route(s, 'GET', `/v1/statement/executing/${OTHER_COORDINATOR_QUERY}/y1/1`))).toMatchObject({ backend: 'b', mechanism: 'probe' });
    expect(forwarded(await route(s, 'GET', `/v1/statement/executing/${OTHER_COORDINATOR_QUERY}/y1/2`))).toMatchObject({ backend: 'b', mechanism: 'query_id' });
    expect(s.probes).toEqual([OTHER_COORDINATOR_QUERY]);
  });

  it('refuses a query no cluster knows, naming it, rather than guessing', async () => {
    const s = setup();
    const reply = replied(await route(s, 'GET', `/v1/statement/executing/${QUERY_ID}/y1/1`));
    expect(reply.json.error.errorName).toBe('NOT_FOUND');
    expect(reply.json.error.message).toContain(QUERY_ID);
  });

  it('answers an unknown query on /v1/query/{id} as Trino does: GET and kill 410, DELETE 204', async () => {
    const s = setup();
    const reply = async (method: string, path: string): Promise<ReplyInstruction> => (await route(s, method, path)).instruction as ReplyInstruction;
    expect(await reply('GET', `/v1/query/${QUERY_ID}`)).toMatchObject({ kind: 'reply', status: 410, reason: 'unknown_query' });
    expect(await reply('DELETE', `/v1/query/${QUERY_ID}`)).toMatchObject({ kind: 'reply', status: 204, body: '' });
    expect(await reply('PUT', `/v1/query/${QUERY_ID}/killed`)).toMatchObject({ kind: 'reply', status: 410 });
  });

  it('reads an absolute-form :path as the follow-up it is, and forwards its origin form', async () => {
    const s = setup();
    s.ownership.learnQuery(QUERY_ID, 'b', 'response', NOW);
    const path = `/v1/statement/executing/${QUERY_ID}/y1234/2`;
    for (const target of [`http://trino.example:8080${path}`, `HTTPS://trino.example${path}`]) {
      expect(forwarded(await route(s, 'DELETE', target))).toMatchObject({ backend: 'b', mechanism: 'query_id', path });
    }
  });

  it('routes by a valid signed prefix, strips it from the path and re-signs', async () => {
    const s = setup();
    const prefix = signRoutePrefix(keyring, 'b', NOW / 1000 - 600);
    const f = forwarded(await route(s, 'GET', `${prefix}/v1/statement/executing/${QUERY_ID}/y1/3`));
    expect(f).toMatchObject({ backend: 'b', mechanism: 'prefix', path: `/v1/statement/executing/${QUERY_ID}/y1/3` });
    expect(f.forwardedPrefix).toBe(signRoutePrefix(keyring, 'b', NOW / 1000));
    const segment = forwarded(await route(s, 'GET', `${prefix}/v1/spooled/download/seg123`));
    expect(segment).toMatchObject({ backend: 'b', mechanism: 'prefix', path: '/v1/spooled/download/seg123' });
  });

  it('refuses a prefix signed for another backend, with another key, or too old', async () => {
    const s = setup();
    const genuine = signRoutePrefix(keyring, 'a', NOW / 1000);
    const forgedBackend = genuine.replace('/_tr/a/', '/_tr/b/');
    const otherKey = signRoutePrefix(createKeyring([{ id: 'k1', secret: 'another-secret-long-enough-for-hmac!' }], 3600), 'b', NOW / 1000);
    const expired = signRoutePrefix(keyring, 'a', NOW / 1000 - 7200);
    for (const prefix of [forgedBackend, otherKey, expired]) {
      const reply = replied(await route(s, 'GET', `${prefix}/v1/statement/executing/${QUERY_ID}/y1/1`));
      expect(reply.reason).toBe('forged_prefix');
      expect(reply.json.error.errorName).toBe('PERMISSION_DENIED');
    }
  });

  it('sends a genuine prefix replayed in front of another backend’s query to the query’s known owner, re-signed for it', async () => {
    const s = setup();
    const prefixOfA = signRoutePrefix(keyring, 'a', NOW / 1000 - 60);
    // Known by its id: every per-query path goes to b, with b's prefix and the replayed one stripped.
    s.ownership.learnQuery(QUERY_ID, 'b', 'response', NOW);
    for (const [method, path] of [
      ['GET', `/v1/statement/executing/${QUERY_ID}/y1/3`],
      ['DELETE', `/v1/statement/executing/partialCancel/${QUERY_ID}/2/y1/3`],
      ['DELETE', `/v1/query/${QUERY_ID}`],
      ['GET', `/ui/api/query/${QUERY_ID}`],
    ] as const) {
      const f = forwarded(await route(s, method, `${prefixOfA}${path}`));
      expect(f, path).toMatchObject({ backend: 'b', mechanism: 'query_id', path });
      expect(f.forwardedPrefix).toBe(signRoutePrefix(keyring, 'b', NOW / 1000));
    }
    // Known only by its coordinator id (a replica that never saw the query).
    const fresh = setup();
    fresh.ownership.learnCoordinator('abcde', 'b', NOW);
    const byCoordinator = forwarded(await route(fresh, 'GET', `${prefixOfA}/v1/statement/executing/${OTHER_COORDINATOR_QUERY}/y1/1`));
    expect(byCoordinator).toMatchObject({ backend: 'b', mechanism: 'coordinator_id' });
    // The prefix still routes when it agrees with what is known, or when nothing is known.
    const agreeing = forwarded(await route(s, 'GET', `${signRoutePrefix(keyring, 'b', NOW / 1000)}/v1/statement/executing/${QUERY_ID}/y1/4`));
    expect(agreeing).toMatchObject({ backend: 'b', mechanism: 'prefix' });
    const unknown = forwarded(await route(setup(), 'GET', `${prefixOfA}/v1/statement/executing/${QUERY_ID}/y1/1`));
    expect(unknown).toMatchObject({ backend: 'a', mechanism: 'prefix' });
    expect(s.probes).toEqual([]);
  });

  it('refuses route prefixes when prefix routing is off', async () => {
    const reply = replied(await route(setup({ prefixes: false }), 'GET', `/_tr/a/k1.x.y/v1/statement/executing/${QUERY_ID}/y1/1`));
    expect(reply.reason).toBe('prefix_disabled');
  });

  it('refuses a spooled segment without a prefix and a malformed query id without probing', async () => {
    const s = setup();
    expect(replied(await route(s, 'GET', '/v1/spooled/download/seg1')).reason).toBe('unroutable_segment');
    expect(replied(await route(s, 'GET', '/v1/statement/executing/20261322_000000_00000_abcde/y1/1')).reason).toBe('malformed_query_id');
    expect(s.probes).toEqual([]);
  });
});

describe('transactions', () => {
  it('a started transaction keeps its statements on its backend until Clear-Transaction-Id', async () => {
    const s = setup();
    const start = await route(s, 'POST', '/v1/statement', [['x-trino-transaction-id', 'NONE'], ['x-trino-client-tags', 'etl']], 'START TRANSACTION');
    expect(forwarded(start).watch).toBe('headers_and_body');
    s.router.onResponseBody(start, Buffer.from(JSON.stringify({ id: QUERY_ID })));
    // Trino sends Started-Transaction-Id with a later page: polls of this query are watched.
    const poll = await route(s, 'GET', `/v1/statement/executing/${QUERY_ID}/y1/1`);
    expect(forwarded(poll).watch).toBe('headers');
    s.router.onResponseHeaders(poll, [['x-trino-started-transaction-id', 'tx-1']]);

    const inTransaction = await route(s, 'POST', '/v1/statement', [['x-trino-transaction-id', 'tx-1']], 'COMMIT');
    expect(forwarded(inTransaction)).toMatchObject({ backend: 'b', mechanism: 'transaction' });
    s.router.onResponseHeaders(inTransaction, [['x-trino-clear-transaction-id', 'true']]);
    expect(replied(await route(s, 'POST', '/v1/statement', [['x-trino-transaction-id', 'tx-1']])).reason).toBe('unknown_transaction');
  });

  // The Java clients send Transaction-Id: NONE on every submission; only a statement that can
  // start or end a transaction gets its polls watched (one body exchange instead of one per poll).
  const ID_2 = '20260101_000000_00002_abcde';
  it.each([
    ['SELECT 1', false],
    ['  -- nightly\n/* tx */ start transaction', true],
    ['commit work', true],
    ['ROLLBACK', true],
    ['"START" TRANSACTION', false],
    ['EXECUTE q1', true],
    ['EXECUTE q2', false],
    ['EXECUTE unknown_name', true],
    ["EXECUTE IMMEDIATE 'SELECT 1'", true],
  ])('a NONE submission of %j watches its polls: %s', async (sql, watched) => {
    const s = setup();
    const prepared = ['x-trino-prepared-statement', 'q1=START+TRANSACTION,q2=SELECT+1'] as [string, string];
    const start = await route(s, 'POST', '/v1/statement', [['x-trino-transaction-id', 'NONE'], prepared], sql);
    expect(start.watchTransactions).toBe(watched);
    s.router.onResponseBody(start, Buffer.from(JSON.stringify({ id: ID_2 })));
    const poll = await route(s, 'GET', `/v1/statement/executing/${ID_2}/y1/1`);
    expect(forwarded(poll).watch).toBe(watched ? 'headers' : 'none');
  });

  it('a submission without a transaction header is never held for its body', () => {
    const s = setup();
    const routed = s.router.route(request('POST', '/v1/statement', []));
    expect(routed).not.toBeInstanceOf(AwaitingBody);
  });
});
