/**
 * ExplainService over gRPC (admin server alone, real store): every rule with each
 * condition's result, every backend's eligibility, fallbacks, refusals, and follow-ups routed
 * by ownership. Explain is read only: it never advances a round-robin counter.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainRequest } from '../../src/gen/trino_envoy_router/admin/v1/admin.js';
import { failure, startStandaloneAdmin, type StandaloneAdmin } from './support.js';

const ROUTING = `
routing: { defaultGroup: adhoc }
backends:
  - { name: trino-a, url: "http://127.0.0.1:18081" }
  - { name: trino-b, url: "http://127.0.0.1:18082", maxLoad: 10 }
  - { name: trino-c, url: "http://127.0.0.1:18083", enabled: false }
groups:
  - { name: adhoc, backends: [trino-a, trino-b] }
  - { name: etl, backends: [trino-b, trino-c], fallback: adhoc }
  - { name: lottery, strategy: random, backends: [trino-a, trino-b] }
rules:
  - { name: etl-tags, priority: 10, group: etl, match: { clientTags: { containsAny: [etl] } } }
  - { name: tls-vip, priority: 15, group: lottery, match: { listenerPort: 8443, sessionProperties: { query_priority: "1" } } }
  - { name: airflow, priority: 20, group: etl, match: { source: airflow, user: { regex: "^svc_" } } }
`;

const QUERY_ID = '20261122_120000_00001_abcde';

let admin: StandaloneAdmin;

beforeAll(async () => {
  admin = await startStandaloneAdmin({ routing: ROUTING });
});
afterAll(async () => {
  await admin?.close();
});

function explain(request: Partial<ExplainRequest> & { user?: string; headers?: ExplainRequest['headers'] }) {
  const headers = [...(request.user === undefined ? [] : [{ name: 'X-Trino-User', value: request.user }]), ...(request.headers ?? [])];
  return admin.client.explain.explain({ method: request.method ?? '', path: request.path ?? '', headers, listenerPort: request.listenerPort });
}

describe('explain a new query', () => {
  it('names the matching rule, each condition and the backend the strategy picks', async () => {
    const e = await explain({ user: 'alice', headers: [{ name: 'X-Trino-Client-Tags', value: 'nightly, etl' }] });
    expect(e).toMatchObject({ outcome: 'forward', mechanism: 'rules', backend: 'trino-b', backendCertain: true, candidates: ['trino-b'], group: 'etl', rule: 'etl-tags', fellBackFrom: [] });
    expect(e.facts).toMatchObject({ method: 'POST', path: '/v1/statement', user: 'alice', clientTags: ['nightly', 'etl'] });
    expect(e.rules.map((r) => [r.name, r.result, r.wouldMatch])).toEqual([['etl-tags', 'matched', true], ['tls-vip', 'not_reached', false], ['airflow', 'not_reached', false]]);
    expect(e.rules[0]?.conditions).toEqual([{ field: 'clientTags', expected: 'contains any of ["etl"]', actual: '["nightly","etl"]', matched: true }]);
    expect(e.groups).toEqual([{
      group: 'etl', strategy: 'round_robin', picked: 'trino-b',
      backends: [
        { backend: 'trino-b', eligible: true, reason: '', health: 'healthy', load: 0, inSchedule: true, weight: 1 },
        { backend: 'trino-c', eligible: false, reason: 'disabled', health: 'healthy', load: 0, inSchedule: true, weight: 1 },
      ],
    }]);
    expect(e.summary).toBe('forward to trino-b by rules (rule etl-tags -> group etl)');
    expect(e.revision).toBe((await admin.store.routing.revision()));
  });

  it('shows why each condition of a rule failed, with the value the request had', async () => {
    const e = await explain({ user: 'alice', listenerPort: 8443, headers: [{ name: 'X-Trino-Source', value: 'airflow' }, { name: 'X-Trino-Session', value: 'query_priority=2' }] });
    const vip = e.rules.find((r) => r.name === 'tls-vip');
    expect(vip).toMatchObject({ result: 'not_matched', wouldMatch: false });
    expect(vip?.conditions).toEqual([
      { field: 'listenerPort', expected: 'any of [8443]', actual: '8443', matched: true },
      { field: 'sessionProperties', expected: 'query_priority=1', actual: 'query_priority=2', matched: false },
    ]);
    const airflow = e.rules.find((r) => r.name === 'airflow');
    expect(airflow?.conditions.map((c) => [c.field, c.matched, c.actual])).toEqual([['user', false, '"alice"'], ['source', true, '"airflow"']]);
    expect(e).toMatchObject({ rule: '', group: 'adhoc', mechanism: 'rules' });
  });

  it('round robin: names the next backend without taking it', async () => {
    const first = await explain({ user: 'alice' });
    const second = await explain({ user: 'alice' });
    expect(first).toMatchObject({ group: 'adhoc', backendCertain: true, candidates: ['trino-a', 'trino-b'] });
    // Explaining twice names the same backend: the dry run took no tick.
    expect(second.backend).toBe(first.backend);
  });

  it('a random pick is reported as uncertain, with every candidate', async () => {
    const e = await explain({ user: 'alice', listenerPort: 8443, headers: [{ name: 'X-Trino-Session', value: 'query_priority=1' }] });
    expect(e).toMatchObject({ rule: 'tls-vip', group: 'lottery', backendCertain: false, candidates: ['trino-a', 'trino-b'] });
    expect(['trino-a', 'trino-b']).toContain(e.backend);
    expect(e.summary).toBe('forward to one of trino-a, trino-b (random pick) by rules (rule tls-vip -> group lottery)');
  });

  it('falls back when no member can take the query, and says why each could not', async () => {
    admin.conditions = new Map([['trino-b', { health: 'unhealthy', load: 0, inSchedule: true }]]);
    try {
      const e = await explain({ user: 'alice', headers: [{ name: 'X-Trino-Client-Tags', value: 'etl' }] });
      expect(e).toMatchObject({ outcome: 'forward', backend: 'trino-a', group: 'adhoc', rule: 'etl-tags', fellBackFrom: ['etl'] });
      expect(e.groups.map((g) => [g.group, g.picked, g.backends.map((b) => `${b.backend}:${b.eligible ? 'ok' : b.reason}`)])).toEqual([
        ['etl', '', ['trino-b:unhealthy', 'trino-c:disabled']],
        ['adhoc', 'trino-a', ['trino-a:ok', 'trino-b:unhealthy']],
      ]);
      expect(e.summary).toBe('forward to trino-a by rules (rule etl-tags -> group adhoc, after falling back from etl)');
    } finally {
      admin.conditions = new Map();
    }
  });

  it('a query nobody can take is refused, with the reason of every backend in every group tried', async () => {
    admin.conditions = new Map([
      ['trino-a', { health: 'healthy', load: 0, inSchedule: false }],
      ['trino-b', { health: 'healthy', load: 10, inSchedule: true }],
    ]);
    try {
      const e = await explain({ user: 'alice', headers: [{ name: 'X-Trino-Client-Tags', value: 'etl' }] });
      expect(e).toMatchObject({ outcome: 'reply', mechanism: '', backend: '', rule: 'etl-tags' });
      expect(e.reply).toEqual({
        httpStatus: 200,
        reason: 'no_backend',
        message: 'No Trino cluster can take this query now (group etl: trino-b over load ceiling, trino-c disabled; group adhoc: trino-a outside schedule, trino-b over load ceiling)',
      });
      expect(e.groups.map((g) => g.group)).toEqual(['etl', 'adhoc']);
      expect(e.summary).toMatch(/^answered by the router \(HTTP 200, no_backend\): No Trino cluster/);
    } finally {
      admin.conditions = new Map();
    }
  });

  it('headers the router cannot read are refused as the router would refuse them', async () => {
    const e = await explain({ headers: [{ name: 'X-Trino-User', value: 'a' }, { name: 'X-Presto-User', value: 'b' }] });
    expect(e).toMatchObject({ outcome: 'reply', reply: { reason: 'bad_headers' } });
    expect(e.rules).toEqual([]);
  });
});

describe('explain a follow-up', () => {
  it('a known query id goes to its owner whatever the rules say', async () => {
    admin.ownership.learnQuery(QUERY_ID, 'trino-c', 'response', Date.now());
    const e = await explain({ method: 'GET', path: `/v1/statement/executing/${QUERY_ID}/y1/1`, user: 'alice' });
    expect(e).toMatchObject({ outcome: 'forward', mechanism: 'query_id', backend: 'trino-c', backendCertain: true, rules: [], groups: [] });
    expect(e.facts).toBeUndefined();
    expect(e.summary).toBe('forward to trino-c by query_id (follow-ups go to the backend that owns the query or transaction)');
  });

  it('an unknown query of a known coordinator goes by coordinator id', async () => {
    admin.ownership.learnCoordinator('abcde', 'trino-b', Date.now());
    const e = await explain({ method: 'DELETE', path: '/v1/query/20261122_130000_00042_abcde', user: 'alice' });
    expect(e).toMatchObject({ outcome: 'forward', mechanism: 'coordinator_id', backend: 'trino-b' });
  });

  it('a query nobody knows is refused when the router cannot probe', async () => {
    const e = await explain({ method: 'GET', path: '/v1/query/20261122_130000_00042_zzzzz', user: 'alice' });
    expect(e).toMatchObject({ outcome: 'reply', reply: { reason: 'unknown_query', httpStatus: 410 } }); // Trino's answer for an unknown query
    expect(e.reply?.message).toBe('Query 20261122_130000_00042_zzzzz is not known to any Trino cluster behind this router');
  });

  it('a transaction goes to the backend that started it; an unknown one is refused', async () => {
    admin.ownership.startTransaction('tx-1', 'trino-a', Date.now());
    const known = await explain({ user: 'alice', headers: [{ name: 'X-Trino-Transaction-Id', value: 'tx-1' }] });
    expect(known).toMatchObject({ outcome: 'forward', mechanism: 'transaction', backend: 'trino-a' });
    const unknown = await explain({ user: 'alice', headers: [{ name: 'X-Trino-Transaction-Id', value: 'tx-2' }] });
    expect(unknown).toMatchObject({ outcome: 'reply', reply: { reason: 'unknown_transaction' } });
  });

  it('a spooled segment without a route prefix cannot be routed, and explain says so', async () => {
    const e = await explain({ method: 'GET', path: '/v1/spooled/download/abc', user: 'alice' });
    expect(e).toMatchObject({ outcome: 'reply', reply: { reason: 'unroutable_segment' } });
  });
});

describe('explain input', () => {
  it('refuses a malformed request naming the field', async () => {
    await failure(explain({ path: 'v1/statement' }), grpc.status.INVALID_ARGUMENT, /^path: expected a path starting with "\/"/);
    await failure(explain({ headers: [{ name: 'bad header', value: 'x' }] }), grpc.status.INVALID_ARGUMENT, /^headers\[0\]\.name: not a header name/);
    await failure(explain({ headers: [{ name: ':path', value: '/x' }] }), grpc.status.INVALID_ARGUMENT, /^headers\[0\]\.name: give path in its own field/);
    await failure(explain({ listenerPort: 0 }), grpc.status.INVALID_ARGUMENT, /^listener_port: expected 1-65535/);
  });
});
