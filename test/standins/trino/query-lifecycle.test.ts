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
