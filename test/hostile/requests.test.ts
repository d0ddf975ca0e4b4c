/**
 * Hostile HTTP requests through the Envoy stand-in (reading envoy/envoy.yaml) and the real
 * router: oversized and countless headers, non-UTF-8 bytes, a client-chosen x-trino-cluster,
 * forged, re-spelled, expired and replayed route prefixes, query ids of a foreign format,
 * transactions that never started, garbage and huge paths. Each gets a clear Trino-shaped
 * answer (or Envoy's own limit), the router never fails an ext_proc stream, no cluster sees a
 * request that is not its own, and afterwards a normal query is still routed correctly.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKeyring, signRoutePrefix } from '../../src/stickiness/route-prefix.js';
import { follow, get, rowsOf, runRaw, submit, type Answer } from '../support/statement-protocol.js';
import { startChain, type Chain } from '../e2e/harness.js';
import { rawRequest, type RawHeader, type RawResponse } from './raw-http.js';

/** The harness's router config signs with this key (test/e2e/harness.ts). */
const HARNESS_KEYRING = createKeyring([{ id: 'test1', secret: 'a-test-secret-that-is-long-enough' }], 24 * 3600);
const ALICE = { 'X-Trino-User': 'alice' };
const ETL = { 'X-Trino-User': 'etl_hostile' };

let chain: Chain;

beforeAll(async () => {
  chain = await startChain({ prefixRouting: true, trino: { rowsPerPage: 5 } });
});
afterAll(async () => {
  await chain?.close();
});

function clusterLogSizes(): [number, number] {
  return [chain.trinoA.requestLog().length, chain.trinoB.requestLog().length];
}

function pathsSince(sizes: [number, number]): [string[], string[]] {
  return [
    chain.trinoA.requestLog().slice(sizes[0]).map((r) => `${r.method} ${r.path}`),
    chain.trinoB.requestLog().slice(sizes[1]).map((r) => `${r.method} ${r.path}`),
  ];
}

/** A normal query of each routing rule still lands where the rules say, follow-ups included. */
async function expectRoutesNormally(): Promise<void> {
  const etl = await runRaw(chain.envoy.url, 'SELECT * FROM t /* rows=12 */', ETL);
  expect(etl.at(-1)!.body.error).toBeUndefined();
  expect(rowsOf(etl)).toHaveLength(12);
  expect(new Set(rowsOf(etl).map((r) => r[1]))).toEqual(new Set(['trino-b']));
  const alice = await runRaw(chain.envoy.url, 'SELECT * FROM t /* rows=7 */', ALICE);
  expect(rowsOf(alice)).toHaveLength(7);
  expect(new Set(rowsOf(alice).map((r) => r[1]))).toEqual(new Set(['trino-a']));
}

let extProcErrorsBefore = 0;
beforeEach(() => {
  extProcErrorsBefore = chain.envoy.stats().extProcErrors;
});
afterEach(async () => {
  // The router answered every stream Envoy opened: no ext_proc error (which would be a 500).
  expect(chain.envoy.stats().extProcErrors - extProcErrorsBefore).toBe(0);
  await expectRoutesNormally();
});

function raw(method: string, target: string | Buffer, headers: readonly RawHeader[], body?: string): Promise<RawResponse> {
  return rawRequest(chain.envoy.port, { method, target, headers, ...(body === undefined ? {} : { body }) });
}

/** A FAILED QueryResults as clients show it, with the given Trino error name. */
function expectFailedQuery(answer: Answer | { status: number; body: any }, errorName: string, message?: RegExp): void {
  expect(answer.status).toBe(200);
  expect(answer.body.stats.state).toBe('FAILED');
  expect(answer.body.nextUri).toBeUndefined();
  expect(answer.body.error.errorName).toBe(errorName);
  if (message !== undefined) expect(answer.body.error.message).toMatch(message);
}

/** Follows a refused submission (QUEUED, then the router's own FAILED poll). */
async function refusedSubmission(first: Answer | RawResponse, errorName: string, message?: RegExp): Promise<string> {
  const body = 'json' in first ? first.json() : first.body;
  expect(first.status).toBe(200);
  expect(body.stats.state).toBe('QUEUED');
  expect(body.nextUri).toMatch(/\/_router\/refused\//);
  const poll = await get(body.nextUri);
  expectFailedQuery(poll, errorName, message);
  return poll.body.error.message as string;
}

describe('oversized requests get Envoy’s 431', () => {
  it('1 MB in one header', async () => {
    const response = await raw('POST', '/v1/statement', [['x-trino-user', 'alice'], ['x-trino-session', `a=${'b'.repeat(1 << 20)}`]], 'SELECT 1');
    expect(response.status).toBe(431);
    expect(chain.envoy.lastLocalReply()?.reason).toBe('header_overflow');
  });

  it('1 MB spread over 90 headers (under the count limit, over max_request_headers_kb)', async () => {
    const headers: RawHeader[] = Array.from({ length: 90 }, (_, i) => [`x-trino-client-info-${i}`, 'v'.repeat(11_650)]);
    const response = await raw('GET', '/v1/info', headers);
    expect(response.status).toBe(431);
  });

  it('10,000 header lines', async () => {
    const headers: RawHeader[] = Array.from({ length: 10_000 }, (_, i) => [i % 2 === 0 ? 'x-trino-session' : `x-h${i}`, `p${i}=v`]);
    const response = await raw('POST', '/v1/statement', [['x-trino-user', 'alice'], ...headers], 'SELECT 1');
    expect(response.status).toBe(431);
    expect(chain.envoy.lastLocalReply()?.reason).toBe('too_many_headers');
  });

  it('a path of 700 KB', async () => {
    const response = await raw('GET', `/v1/query/${'a'.repeat(700_000)}`, [['x-trino-user', 'alice']]);
    expect(response.status).toBe(431);
  });
});

describe('large requests within Envoy’s limits reach the router and get a Trino answer', () => {
  it('an extra credential of 100 KB (over the router’s per-value cap) is refused as a bad header', async () => {
    const sizes = clusterLogSizes();
    const response = await raw('POST', '/v1/statement', [['x-trino-user', 'alice'], ['x-trino-extra-credential', `token=${'b'.repeat(100_000)}`]], 'SELECT 1');
    const message = await refusedSubmission(response, 'GENERIC_USER_ERROR', /x-trino-extra-credential.*limit/);
    expect(message).not.toContain('bbbb'); // the credential itself is never echoed
    expect(pathsSince(sizes)).toEqual([[], []]);
  });

  it('200 KB of session properties over 40 header lines are read and routed where the rules say', async () => {
    // The Trino stand-ins keep node's 16 KB header limit, so two recorders that accept large
    // headers stand in for the clusters during this request (Envoy's cluster endpoints, as CDS would move them).
    const seen: { cluster: string; request: IncomingMessage }[] = [];
    const recorders = await Promise.all(['trino-a', 'trino-b'].map((cluster) => new Promise<{ close(): void; port: number }>((resolve) => {
      const server = createServer({ maxHeaderSize: 1 << 20 }, (request, response) => {
        seen.push({ cluster, request });
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `recorded_${cluster}`, stats: { state: 'QUEUED' } }));
      });
      server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() }));
    })));
    try {
      chain.envoy.setClusterEndpoints('trino-a', [{ host: '127.0.0.1', port: recorders[0]!.port }]);
      chain.envoy.setClusterEndpoints('trino-b', [{ host: '127.0.0.1', port: recorders[1]!.port }]);
      const headers: RawHeader[] = [['x-trino-user', 'etl_big']];
      for (let line = 0; line < 40; line++) {
        headers.push(['x-trino-session', Array.from({ length: 20 }, (_, i) => `p${line}_${i}=${'v'.repeat(250)}`).join(',')]);
      }
      const response = await raw('POST', '/v1/statement', headers, 'SELECT * FROM t /* rows=3 */');
      expect(response.status).toBe(200);
      expect(response.json().id).toBe('recorded_trino-b');
      expect(seen.map((s) => s.cluster)).toEqual(['trino-b']);
      const forwarded = seen[0]!.request.headersDistinct['x-trino-session'] ?? [];
      expect(forwarded).toHaveLength(40);
    } finally {
      chain.envoy.setClusterEndpoints('trino-a', [{ host: '127.0.0.1', port: chain.trinoA.port }]);
      chain.envoy.setClusterEndpoints('trino-b', [{ host: '127.0.0.1', port: chain.trinoB.port }]);
      for (const r of recorders) r.close();
    }
  });

  it('a huge query-id path (300 KB) is refused as malformed without asking any cluster', async () => {
    const sizes = clusterLogSizes();
    const response = await raw('GET', `/v1/query/${'a'.repeat(300_000)}`, [['x-trino-user', 'alice']]);
    expect(response.status).toBe(400);
    expect(response.json().error).toBe('malformed_query_id');
    const poll = await raw('GET', `/v1/statement/executing/${'2'.repeat(250_000)}/y1/1`, [['x-trino-user', 'alice']]);
    expectFailedQuery({ status: poll.status, body: poll.json() }, 'GENERIC_USER_ERROR', /Malformed/);
    expect(pathsSince(sizes)).toEqual([[], []]);
  });
});

describe('non-UTF-8 bytes', () => {
  it('in X-Trino-User: read as UTF-8 with replacement, routed by the rules (etl_\\xff\\xfe -> etl group)', async () => {
    const user = Buffer.concat([Buffer.from('etl_'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80])]);
    const response = await raw('POST', '/v1/statement', [['x-trino-user', user]], 'SELECT * FROM t /* rows=4 */');
    expect(response.status).toBe(200);
    const first = response.json();
    expect(first.error).toBeUndefined();
    expect(chain.trinoB.query(first.id)).toBeDefined();
    const answers = await follow({ status: 200, headers: new Headers(), body: first }, { 'X-Trino-User': 'etl_x' });
    expect(new Set(rowsOf(answers).map((r) => r[1]))).toEqual(new Set(['trino-b']));
  });

  it('in session, tags and Authorization: no crash; the query runs', async () => {
    const response = await raw('POST', '/v1/statement', [
      ['x-trino-user', 'alice'],
      ['x-trino-session', Buffer.concat([Buffer.from('a='), Buffer.from([0xff, 0x80, 0xfe])])],
      ['x-trino-client-tags', Buffer.from([0xe9, 0x2c, 0xff])],
      ['authorization', Buffer.concat([Buffer.from('Basic '), Buffer.from([0xff, 0xfe, 0xfd])])],
    ], 'SELECT * FROM t /* rows=2 */');
    expect(response.status).toBe(200);
    const first = response.json();
    expect(first.error).toBeUndefined();
    expect(chain.trinoA.query(first.id)).toBeDefined();
  });

  it('in a never-started transaction id of 2,000 bytes: the refusal’s poll still shows the message', async () => {
    const sizes = clusterLogSizes();
    const response = await raw('POST', '/v1/statement', [['x-trino-user', 'alice'], ['x-trino-transaction-id', Buffer.alloc(2000, 0xff)]], 'SELECT 1');
    const message = await refusedSubmission(response, 'UNKNOWN_TRANSACTION', /^Unknown transaction \ufffd+/);
    expect(message.endsWith('…')).toBe(true);
    expect(pathsSince(sizes)).toEqual([[], []]);
  });

  it('in the request target: the stand-in’s HTTP codec drops the connection; nothing reaches a cluster', async () => {
    const sizes = clusterLogSizes();
    const response = await raw('GET', Buffer.concat([Buffer.from('/v1/query/'), Buffer.from([0xff, 0xfe])]), [['x-trino-user', 'alice']]);
    // Envoy answers 400 (http1.codec_error); the stand-in closes the connection (see the report).
    expect(response.status === 400 || response.outcome !== 'response').toBe(true);
    expect(pathsSince(sizes)).toEqual([[], []]);
  });
});

describe('a client-sent x-trino-cluster never chooses the cluster', () => {
  it('on a submission, whatever its spelling or repetition', async () => {
    for (const spoof of [[['x-trino-cluster', 'trino-b']], [['X-Trino-Cluster', 'trino-b'], ['x-trino-cluster', 'trino-b']], [['x-trino-cluster', 'evil']], [['x-trino-cluster', '']]] as RawHeader[][]) {
      const response = await raw('POST', '/v1/statement', [['x-trino-user', 'alice'], ...spoof], 'SELECT * FROM t /* rows=2 */');
      expect(response.status).toBe(200);
      const first = response.json();
      expect(chain.trinoA.query(first.id)).toBeDefined();
      expect(chain.trinoB.query(first.id)).toBeUndefined();
    }
  });

  it('on a follow-up: the query’s own cluster answers', async () => {
    const first = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=10 */', ALICE);
    const answers = await follow(first, { ...ALICE, 'x-trino-cluster': 'trino-b' });
    expect(rowsOf(answers)).toHaveLength(10);
    expect(new Set(rowsOf(answers).map((r) => r[1]))).toEqual(new Set(['trino-a']));
  });

  it('on a request the router refuses: it reaches no cluster', async () => {
    const sizes = clusterLogSizes();
    const poll = await get(`${chain.envoy.url}/v1/statement/executing/20250101_000000_00001_ABCDE/y1/1`, { ...ALICE, 'x-trino-cluster': 'trino-b' });
    expectFailedQuery(poll, 'GENERIC_USER_ERROR');
    expect(pathsSince(sizes)).toEqual([[], []]);
  });
});

describe('route prefixes a client made up or re-used', () => {
  async function runningQuery(headers: Record<string, string>): Promise<{ id: string; prefix: string; rest: string; nextUri: string }> {
    const first = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=30 duration=60000 */', headers);
    const nextUri: string = first.body.nextUri;
    const path = new URL(nextUri).pathname;
    const match = /^(\/_tr\/[^/]+\/[^/]+)(\/.*)$/.exec(path)!;
    return { id: first.body.id, prefix: match[1]!, rest: match[2]!, nextUri };
  }

  it('forged, re-pointed, re-spelled, unknown-key and expired prefixes are refused with PERMISSION_DENIED', async () => {
    const q = await runningQuery(ALICE);
    expect(q.prefix).toMatch(/^\/_tr\/trino-a\//);
    const sig = q.prefix.slice(q.prefix.lastIndexOf('.') + 1);
    const head = q.prefix.slice(0, q.prefix.length - sig.length);
    const now = Date.now() / 1000;
    const forged = [
      q.prefix.replace('/_tr/trino-a/', '/_tr/trino-b/'),
      `${head}${sig}=`,
      `${head}${sig.slice(0, 4)}!${sig.slice(4)}`,
      // The same signature bytes in the standard base64 alphabet (only when it has a '-' to swap).
      ...(sig.includes('-') ? [`${head}${sig.replaceAll('-', '+')}`] : []),
      q.prefix.replace('/test1.', '/test2.'),
      signRoutePrefix(HARNESS_KEYRING, 'trino-a', now - 25 * 3600),
      signRoutePrefix(HARNESS_KEYRING, 'trino-b', now + 3600),
      '/_tr/trino-b/test1.0.AAAAAAAAAAAAAAAAAAAAAA',
      '/_tr/trino%2Db/test1.0.AAAAAAAAAAAAAAAAAAAAAA',
    ];
    const sizes = clusterLogSizes();
    for (const prefix of forged) {
      const answer = await get(`${chain.envoy.url}${prefix}${q.rest}`);
      expect(answer.body?.error?.errorName, prefix).toBe('PERMISSION_DENIED');
      expectFailedQuery(answer, 'PERMISSION_DENIED', /route prefix is not valid/);
    }
    expect(pathsSince(sizes)).toEqual([[], []]);
    // The genuine URL still works.
    const genuine = await get(q.nextUri);
    expect(genuine.status).toBe(200);
    expect(genuine.body.error).toBeUndefined();
  });

  it('a genuine prefix replayed in front of another cluster’s query id reaches the query’s owner, never the prefix’s cluster', async () => {
    const onA = await runningQuery(ALICE);
    const onB = await runningQuery(ETL);
    expect(onA.prefix).toMatch(/^\/_tr\/trino-a\//);
    expect(onB.prefix).toMatch(/^\/_tr\/trino-b\//);
    const sizes = clusterLogSizes();
    const poll = await get(`${chain.envoy.url}${onA.prefix}${onB.rest}`, ETL);
    const info = await get(`${chain.envoy.url}${onA.prefix}/v1/query/${onB.id}`, ETL);
    const kill = await fetch(`${chain.envoy.url}${onA.prefix}/v1/query/${onB.id}`, { method: 'DELETE', headers: ETL });
    const [onTrinoA, onTrinoB] = pathsSince(sizes);
    // trino-a was never asked about trino-b's query; trino-b got all three, without the prefix.
    expect(onTrinoA.filter((p) => p.includes(onB.id))).toEqual([]);
    expect(onTrinoB).toEqual([`GET ${onB.rest}`, `GET /v1/query/${onB.id}`, `DELETE /v1/query/${onB.id}`]);
    expect(poll.status).toBe(200);
    expect(poll.body.id).toBe(onB.id);
    expect(poll.body.error).toBeUndefined();
    // The answer carries the owner's prefix, freshly signed, so the client follows trino-b from now on.
    expect(new URL(poll.body.nextUri).pathname).toMatch(/^\/_tr\/trino-b\//);
    expect(info.status).toBe(200);
    expect(info.body.queryId).toBe(onB.id);
    expect(kill.status).toBe(204);
    expect(chain.trinoB.query(onB.id)?.state).not.toBe('FINISHED');
  });

  it('a genuine prefix in front of a path that names no query cannot pick a cluster for a new query', async () => {
    const q = await runningQuery(ALICE);
    const first = await submit(`${chain.envoy.url}${q.prefix}`, 'SELECT * FROM t /* rows=2 */', ETL);
    expect(first.status).toBe(200);
    expect(chain.trinoB.query(first.body.id)).toBeDefined();
    expect(chain.trinoA.query(first.body.id)).toBeUndefined();
  });
});

describe('query ids the router cannot place', () => {
  it('a well-formed id of an unknown coordinator: probed, then NOT_FOUND naming the id; the poll reaches no cluster', async () => {
    const foreign = '20250101_000000_00042_zzzzz';
    const sizes = clusterLogSizes();
    const poll = await get(`${chain.envoy.url}/v1/statement/executing/${foreign}/y0123/1`);
    expectFailedQuery(poll, 'NOT_FOUND', new RegExp(foreign));
    // /v1/query/{id} of an unknown query: 410 Gone, as Trino answers it.
    const info = await fetch(`${chain.envoy.url}/v1/query/${foreign}`, { headers: { 'X-Trino-User': 'alice' } });
    expect(info.status).toBe(410);
    expect(await info.text()).toContain(foreign);
    // Only the router's own probe (GET /v1/query/{id}, and GET /v1/info for the coordinator id) asked the clusters.
    for (const paths of pathsSince(sizes)) {
      for (const p of paths) expect([`GET /v1/query/${foreign}`, 'GET /v1/info']).toContain(p);
    }
  });

  it('ids in other formats (upper case, short or long coordinator id, UUID, bad date) are malformed and reach no cluster', async () => {
    const sizes = clusterLogSizes();
    for (const id of ['20250101_000000_00042_ZZZZZ', '20250101_000000_00042_abcd', '20250101_000000_00042_abcdef', '20250101_000000_00042_abc1e', 'e7a2a8f0-8b8e-4d1c-9f2a-1d2c3b4a5f6e', '20251301_000000_00042_abcde', '20250101_000000_42_abcde']) {
      const poll = await get(`${chain.envoy.url}/v1/statement/queued/${id}/y1/1`);
      expectFailedQuery(poll, 'GENERIC_USER_ERROR', /Malformed Trino URL: malformed query id/);
      const kill = await fetch(`${chain.envoy.url}/v1/query/${id}/killed`, { method: 'PUT', headers: ALICE });
      expect(kill.status).toBe(400);
      const ui = await get(`${chain.envoy.url}/ui/query.html?${id}`);
      expect(ui.status).toBe(400);
    }
    expect(pathsSince(sizes)).toEqual([[], []]);
  });
});

describe('transactions that never started', () => {
  it('a submission in an unknown transaction fails UNKNOWN_TRANSACTION and reaches no cluster', async () => {
    const sizes = clusterLogSizes();
    const cases: Record<string, string>[] = [
      { ...ALICE, 'X-Trino-Transaction-Id': 'a1b2c3d4-0000-4000-8000-000000000000' },
      { 'X-Presto-User': 'alice', 'X-Presto-Transaction-Id': 'made-up' },
      { ...ETL, 'X-Trino-Transaction-Id': `${'x'.repeat(5000)}` },
    ];
    for (const headers of cases) {
      const answers = await runRaw(chain.envoy.url, 'SELECT 1', headers);
      expect(answers).toHaveLength(2);
      expectFailedQuery(answers[1]!, 'UNKNOWN_TRANSACTION', /^Unknown transaction /);
    }
    const status = await get(`${chain.envoy.url}/v1/info`, { ...ALICE, 'X-Trino-Transaction-Id': 'made-up' });
    expect(status.status).toBe(404);
    expect(status.body.error).toBe('unknown_transaction');
    expect(pathsSince(sizes)).toEqual([[], []]);
  });

  it('NONE and a blank id mean no transaction: the query runs', async () => {
    for (const tx of ['NONE', 'none', '   ']) {
      const answers = await runRaw(chain.envoy.url, 'SELECT * FROM t /* rows=1 */', { ...ALICE, 'X-Trino-Transaction-Id': tx });
      expect(answers.at(-1)!.body.error).toBeUndefined();
      expect(rowsOf(answers)).toHaveLength(1);
    }
  });
});

describe('garbage paths', () => {
  const refusal = (value: unknown): string => `/_router/refused/${Buffer.from(JSON.stringify(value)).toString('base64url')}`;

  it('router-only URLs that were not written by the router are refused with 400', async () => {
    const sizes = clusterLogSizes();
    for (const path of [refusal(['constructor', 'x']), refusal(['__proto__', 'x']), refusal(['no_backend']), '/_router/refused/%%%', '/_router/refused/', `/_router/refused/${'A'.repeat(50_000)}`]) {
      const response = await raw('GET', path, []);
      expect(response.status, path.slice(0, 60)).toBe(400);
      expect(response.json().message).toBe('Malformed router URL');
    }
    expect(pathsSince(sizes)).toEqual([[], []]);
  });

  it('malformed Trino resource paths get a Trino-shaped 400 or FAILED result without reaching a cluster', async () => {
    const sizes = clusterLogSizes();
    const statementPaths = ['/v1/statement/queued/garbage', '/v1/statement/executing/partialCancel/x', '/v1/statement/nope/1/2/3', '/v1/statement/queued/20250101_000000_00001_abcde/y1/-1', '/v1/statement/executing/20250101_000000_00001_abcde/y%00/1'];
    for (const path of statementPaths) {
      const response = await raw('GET', path, [['x-trino-user', 'alice']]);
      expectFailedQuery({ status: response.status, body: response.json() }, 'GENERIC_USER_ERROR', /^Malformed Trino URL/);
    }
    for (const path of ['/v1/query/garbage/killed', '/v1/query/../../etc/passwd', '/v1/spooled/download/', '/v1/spooled/nope/x', '/ui/api/query/%00', `/v1/spooled/ack/${'s'.repeat(5000)}`]) {
      const response = await raw('GET', path, [['x-trino-user', 'alice']]);
      expect(response.status, path).toBe(400);
      expect(response.json().error).toBe('malformed_query_id');
    }
    expect(pathsSince(sizes)).toEqual([[], []]);
  });

  it('paths that name no Trino resource are routed by the rules and answered by that cluster', async () => {
    for (const path of ['/%%%', '//', '/../../etc/passwd', '/v1/statements', '/_tr/trino-b/test1.x.y', '/' + 'a'.repeat(8000)]) {
      const sizes = clusterLogSizes();
      const replies = chain.envoy.stats().localReplies;
      const response = await raw('GET', path, [['x-trino-user', 'etl_paths']]);
      // The cluster's own answer (404; the Trino stand-in answers '//' with 500), never Envoy's or the router's.
      expect(response.status, path.slice(0, 40)).toBeGreaterThanOrEqual(404);
      expect(chain.envoy.stats().localReplies).toEqual(replies);
      expect(pathsSince(sizes)).toEqual([[], [`GET ${path}`]]);
    }
    const star = await raw('OPTIONS', '*', []);
    expect(star.status).toBe(404); // no route matches a path without a leading slash (Envoy's NR)
  });
});
