/**
 * When no cluster can take a new query: the client gets a Trino error it can read (which
 * groups were tried, the state of each backend), and in `routing.unavailable: retry` mode a
 * status Trino clients retry when the cause may pass (health, load, schedules), never when
 * only the configuration could change the answer. Follow-ups of running queries ignore all of
 * it: they go to their owner whatever its state.
 */
import { describe, expect, it } from 'vitest';
import type { ReplyInstruction } from '../../../src/routing/decision.js';
import type { BackendCondition } from '../../../src/routing/engine.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { RequestRouter } from '../../../src/routing/request-router.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { OwnershipIndex } from '../../../src/stickiness/ownership.js';
import type { HeaderList } from '../../../src/trino/header-list.js';
import { backend, sampleConfig } from './fixtures.js';
import { routeFully } from '../../support/route-fully.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const healthy: BackendCondition = { health: 'healthy', load: 0, inSchedule: true };
const down: BackendCondition = { ...healthy, health: 'unhealthy' };

function router(options: { unavailable: 'failed-query' | 'retry'; conditions: Map<string, BackendCondition>; config?: RoutingConfig }) {
  const ownership = new OwnershipIndex({ maxQueries: 1000, retentionMs: 3600_000, transactionRetentionMs: 3600_000 });
  const snapshot = compileSnapshot(options.config ?? sampleConfig(), 1);
  const requestRouter = new RequestRouter({
    snapshot: () => snapshot,
    conditions: () => options.conditions,
    strategy: createStrategyState(() => 0),
    ownership,
    keyring: undefined,
    probe: undefined,
    headerOptions: { jwtUserClaim: 'sub' },
    unavailable: options.unavailable,
    now: () => NOW,
  });
  return { requestRouter, ownership };
}

function request(method: string, path: string, extra: [string, string][] = []): { headers: HeaderList; listenerPort: number } {
  return {
    headers: [[':method', method], [':path', path], [':authority', 'trino.example.com'], ['x-forwarded-proto', 'https'], ['x-trino-user', 'alice'], ...extra],
    listenerPort: 8080,
  };
}

async function submit(r: RequestRouter, extra: [string, string][] = []): Promise<ReplyInstruction & { json: any }> {
  const context = await routeFully(r, request('POST', '/v1/statement', extra));
  expect(context.instruction.kind).toBe('reply');
  const reply = context.instruction as ReplyInstruction;
  return { ...reply, json: JSON.parse(reply.body) };
}

const MESSAGE = 'No Trino cluster can take this query now (group etl: b unhealthy; group adhoc: a unhealthy, b unhealthy)';

describe('nothing usable anywhere', () => {
  it('retry mode: a transient outage is HTTP 503 (clients retry) with a FAILED QueryResults naming each group and backend state', async () => {
    const { requestRouter } = router({ unavailable: 'retry', conditions: new Map([['a', down], ['b', down]]) });
    const reply = await submit(requestRouter, [['x-trino-source', 'airflow']]);
    expect(reply).toMatchObject({ status: 503, reason: 'no_backend', contentType: expect.stringMatching(/^application\/json/) });
    expect(reply.json).toMatchObject({
      stats: { state: 'FAILED' },
      error: { message: MESSAGE, errorName: 'NO_NODES_AVAILABLE', errorCode: 65541, errorType: 'INTERNAL_ERROR' },
    });
    expect(reply.json.nextUri).toBeUndefined();
  });

  it('retry mode: schedules and load ceilings are transient too', async () => {
    const config = { ...sampleConfig(), backends: [backend('a'), backend('b', { maxLoad: 5 })] };
    const { requestRouter } = router({ unavailable: 'retry', config, conditions: new Map([['a', { ...healthy, inSchedule: false }], ['b', { ...healthy, load: 5 }]]) });
    const reply = await submit(requestRouter);
    expect(reply.status).toBe(503);
    expect(reply.json.error.message).toBe('No Trino cluster can take this query now (group adhoc: a outside schedule, b over load ceiling)');
  });

  it('retry mode: a refusal only the configuration can lift is not retried', async () => {
    const config = { ...sampleConfig(), backends: [backend('a', { enabled: false }), backend('b', { enabled: false })] };
    const { requestRouter } = router({ unavailable: 'retry', config, conditions: new Map() });
    const reply = await submit(requestRouter);
    expect(reply.status).toBe(200);
    expect(reply.reason).toBe('no_backend_configured');
    // A submission refused for good is answered like a query that fails at once: QUEUED, then FAILED on the poll.
    expect(reply.json).toMatchObject({ stats: { state: 'QUEUED' }, nextUri: expect.stringMatching(/^https:\/\/trino\.example\.com\/_router\/refused\//) });
  });

  it('failed-query mode (the default): HTTP 200, the poll shows the same message', async () => {
    const { requestRouter } = router({ unavailable: 'failed-query', conditions: new Map([['a', down], ['b', down]]) });
    const reply = await submit(requestRouter, [['x-trino-source', 'airflow']]);
    expect(reply.status).toBe(200);
    const poll = await routeFully(requestRouter, request('GET', new URL(reply.json.nextUri as string).pathname));
    const answer = poll.instruction as ReplyInstruction;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ stats: { state: 'FAILED' }, error: { message: MESSAGE, errorName: 'NO_NODES_AVAILABLE' } });
  });
});

describe('follow-ups of a running query', () => {
  const QUERY_ID = '20261122_120000_00001_abcde';
  for (const [label, conditions, config] of [
    ['unhealthy', new Map([['a', down]]), undefined],
    ['draining (Trino SHUTTING_DOWN)', new Map([['a', { ...healthy, health: 'draining' as const }]]), undefined],
    ['drained by an operator', new Map(), { ...sampleConfig(), backends: [backend('a', { draining: true }), backend('b')] }],
    ['disabled', new Map(), { ...sampleConfig(), backends: [backend('a', { enabled: false }), backend('b')] }],
    ['outside its schedule', new Map([['a', { ...healthy, inSchedule: false }]]), undefined],
  ] as const) {
    it(`reach their owner when it is ${label}`, async () => {
      const { requestRouter, ownership } = router({ unavailable: 'retry', conditions: new Map(conditions), ...(config === undefined ? {} : { config }) });
      ownership.learnQuery(QUERY_ID, 'a', 'response', NOW);
      for (const [method, path] of [
        ['GET', `/v1/statement/executing/${QUERY_ID}/yslug/1`],
        ['DELETE', `/v1/statement/executing/${QUERY_ID}/yslug/1`],
        ['GET', `/v1/query/${QUERY_ID}`],
      ] as const) {
        const context = await routeFully(requestRouter, request(method, path));
        expect(context.instruction).toMatchObject({ kind: 'forward', backend: 'a', mechanism: 'query_id' });
      }
    });
  }
});
