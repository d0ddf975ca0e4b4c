/**
 * The Trino stand-in's query lifecycle as Trino has it (dispatcher/QueuedStatementResource,
 * server/QueryResource, server/ServerInfo): a POST only registers a query, the first queued
 * poll creates it; refusals are airlift's text/plain "Error <code> <reason>: <message>".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { get, submit } from '../../support/statement-protocol.js';
import { startTrinoStandin, type TrinoStandin, type TrinoStandinOptions } from './index.js';

const started: TrinoStandin[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function standin(options: TrinoStandinOptions = {}): Promise<TrinoStandin> {
  const s = await startTrinoStandin(options);
  started.push(s);
  return s;
}

const ADMIN = { 'X-Trino-User': 'admin' };
const SLOW = 'SELECT * FROM t /* duration=60000 */';

describe('a query before its first queued poll', () => {
  it('is unknown to /v1/query, kill and system.runtime.queries; DELETE does nothing; the first poll creates it', async () => {
    const trino = await standin();
    const submitted = await submit(trino.url, SLOW);
    const id: string = submitted.body.id;
    expect((await get(`${trino.url}/v1/query/${id}`, ADMIN)).status).toBe(410);
    expect((await fetch(`${trino.url}/v1/query/${id}/killed`, { method: 'PUT', headers: ADMIN })).status).toBe(410);
    expect((await fetch(`${trino.url}/v1/query/${id}`, { method: 'DELETE', headers: ADMIN })).status).toBe(204);
    expect(trino.query(id)?.cancelled).toBe(false);
    const list = await get(`${trino.url}/v1/query`, ADMIN);
    expect(list.body.map((q: { queryId: string }) => q.queryId)).not.toContain(id);

    expect((await get(submitted.body.nextUri)).status).toBe(200);
    expect((await get(`${trino.url}/v1/query/${id}`, ADMIN)).body).toMatchObject({ queryId: id });
    expect((await fetch(`${trino.url}/v1/query/${id}/killed`, { method: 'PUT', headers: ADMIN })).status).toBe(202);
    expect((await fetch(`${trino.url}/v1/query/${id}/killed`, { method: 'PUT', headers: ADMIN })).status).toBe(409);
  });

  it('is abandoned when its queued nextUri is not fetched in time', async () => {
    const trino = await standin({ abandonUnpolledMs: 20 });
    const submitted = await submit(trino.url, SLOW);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const late = await fetch(submitted.body.nextUri, { headers: ADMIN });
    expect(late.status).toBe(404);
  });

  it('a HEAD of the queued nextUri answers (and, as a GET, dispatches the query)', async () => {
    const trino = await standin();
    const submitted = await submit(trino.url, SLOW);
    const head = await fetch(submitted.body.nextUri, { method: 'HEAD', headers: ADMIN });
    expect(head.status).toBe(200);
    expect((await get(`${trino.url}/v1/query/${submitted.body.id}`, ADMIN)).status).toBe(200);
  });
});

describe('refusals on the statement paths', () => {
  it('an unknown query id is 404 with a text/plain airlift error body', async () => {
    const trino = await standin();
    const submitted = await submit(trino.url, 'SELECT 1');
    const unknown = await fetch(submitted.body.nextUri.replace(submitted.body.id, '20200101_000000_00000_zzzzz'));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('text/plain');
    expect(await unknown.text()).toBe('Error 404 Not Found: Query not found');
  });

  it('whitespace-only SQL is a statement (it fails as a query); an empty body is a 400', async () => {
    const trino = await standin();
    const blank = await submit(trino.url, '   ');
    expect(blank.status).toBe(200);
    expect(blank.body.id).toMatch(/_[a-km-np-z2-9]{5}$/);
    const empty = await fetch(`${trino.url}/v1/statement`, { method: 'POST', body: '', headers: ADMIN });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toBe('Error 400 Bad Request: SQL statement is empty');
  });
});

describe('/v1/info by version', () => {
  it('reports nodeId, state and coordinatorId from 477 on, not before', async () => {
    const old = await standin({ version: '476', coordinatorId: 'abc23' });
    const info476 = await get(`${old.url}/v1/info`, {});
    expect(info476.body.coordinatorId).toBeUndefined();
    expect(info476.body.nodeId).toBeUndefined();
    const current = await standin({ version: '477', coordinatorId: 'abc23' });
    const info477 = await get(`${current.url}/v1/info`, {});
    expect(info477.body).toMatchObject({ coordinatorId: 'abc23', state: 'ACTIVE' });
    expect(typeof info477.body.nodeId).toBe('string');
    await current.restart();
    expect((await get(`${current.url}/v1/info`, {})).body.coordinatorId).toBe(current.coordinatorId);
  });
});

describe('executing pages', () => {
  const alice = { 'X-Trino-User': 'alice' };
  async function followAll(first: { body: { nextUri?: string } }, headers: Record<string, string> = alice) {
    const pages: { status: number; headers: Headers; body: Record<string, unknown> }[] = [];
    for (let next = first.body.nextUri; next !== undefined;) {
      const response = await fetch(next, { headers });
      const body = await response.json() as Record<string, unknown>;
      pages.push({ status: response.status, headers: response.headers, body });
      next = body.nextUri as string | undefined;
    }
    return pages;
  }

  it('a failed COMMIT still answers X-Trino-Clear-Transaction-Id on its FAILED page', async () => {
    const trino = await standin();
    const start = await followAll(await submit(trino.url, 'START TRANSACTION', { ...alice, 'X-Trino-Transaction-Id': 'NONE' }));
    const txId = start.at(-1)?.headers.get('x-trino-started-transaction-id') ?? '';
    expect(txId).not.toBe('');
    const tx = { ...alice, 'X-Trino-Transaction-Id': txId };
    const commit = await submit(trino.url, 'COMMIT /* duration=60000 */', tx);
    const queued = await get(commit.body.nextUri, tx); // dispatches it
    expect((await fetch(`${trino.url}/v1/query/${commit.body.id}/killed`, { method: 'PUT', headers: ADMIN })).status).toBe(202);
    const pages = await followAll(queued, tx);
    const last = pages.at(-1);
    expect(last?.body.stats).toMatchObject({ state: 'FAILED' });
    expect(last?.headers.get('x-trino-clear-transaction-id')).toBe('true');
  });

  it('DDL results have no columns; partialCancelUri appears only while rows remain to produce', async () => {
    const trino = await standin({ rowsPerPage: 10 });
    const ddl = await followAll(await submit(trino.url, "SET SESSION a.b = 'x'", alice));
    expect(ddl.every((p) => p.body.columns === undefined)).toBe(true);
    expect(ddl.at(-1)?.body.updateType).toBe('SET SESSION');

    const paged = await followAll(await submit(trino.url, 'SELECT * FROM t /* rows=20 */', alice));
    const dataPages = paged.filter((p) => p.body.data !== undefined);
    expect(dataPages).toHaveLength(2);
    expect(dataPages[0]?.body.partialCancelUri).toBeDefined();
    expect(dataPages[1]?.body.partialCancelUri).toBeUndefined();
    expect(paged.filter((p) => p.body.data === undefined).every((p) => p.body.partialCancelUri === undefined)).toBe(true);
  });
});

describe('compression', () => {
  it('gzips answers for clients that accept gzip only when compression is enabled', async () => {
    const { request } = await import('node:http');
    const { gunzipSync } = await import('node:zlib');
    const raw = (url: string, headers: Record<string, string>): Promise<{ encoding: string | undefined; body: Buffer }> =>
      new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end('SELECT 1');
      });
    const on = await standin({ compression: true });
    const compressed = await raw(`${on.url}/v1/statement`, { 'X-Trino-User': 'a', 'Accept-Encoding': 'gzip, deflate' });
    expect(compressed.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(compressed.body).toString('utf8')).id).toMatch(/_[a-km-np-z2-9]{5}$/);
    const identity = await raw(`${on.url}/v1/statement`, { 'X-Trino-User': 'a' });
    expect(identity.encoding).toBeUndefined();
    const off = await standin();
    expect((await raw(`${off.url}/v1/statement`, { 'X-Trino-User': 'a', 'Accept-Encoding': 'gzip' })).encoding).toBeUndefined();
  });
});

describe('authentication', () => {
  it('a Basic password is refused over plain http, accepted when the stand-in plays an https password authenticator', async () => {
    const authorization = `Basic ${Buffer.from('carol:secret').toString('base64')}`;
    expect((await submit((await standin()).url, 'SELECT 1', { Authorization: authorization })).status).toBe(401);
    const https = await standin({ acceptPasswords: true });
    expect((await submit(https.url, 'SELECT 1', { Authorization: authorization })).status).toBe(200);
    expect(https.queries().map((q) => q.user)).toEqual(['carol']);
  });
});
