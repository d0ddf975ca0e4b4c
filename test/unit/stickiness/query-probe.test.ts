/**
 * The last-resort owner probe against Trino stand-ins that behave as Trino does: a query is
 * only registered by its POST (/v1/query/{id} is 410 until the first queued poll), so the
 * owner of an unpolled query is found only through /v1/info's coordinatorId (Trino 477+);
 * over plain http only the user name is sent (Trino refuses a Basic header with a password).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createQueryProbe, probeIdentity } from '../../../src/stickiness/query-probe.js';
import { startTrinoStandin, type TrinoStandin, type TrinoStandinOptions } from '../../standins/trino/index.js';

const started: TrinoStandin[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function standin(options: TrinoStandinOptions): Promise<TrinoStandin> {
  const s = await startTrinoStandin(options);
  started.push(s);
  return s;
}

async function register(trino: TrinoStandin): Promise<{ id: string; nextUri: string }> {
  const response = await fetch(`${trino.url}/v1/statement`, { method: 'POST', body: 'SELECT * FROM t /* duration=60000 */', headers: { 'X-Trino-User': 'alice' } });
  return await response.json() as { id: string; nextUri: string };
}

function probeOf(backends: Record<string, TrinoStandin>, learned: [string, string][] = []) {
  return createQueryProbe({
    backendUrl: (name) => backends[name]?.url,
    timeoutMs: 500,
    fallbackUser: 'router',
    jwtUserClaim: 'sub',
    onCoordinator: (id, backend) => learned.push([id, backend]),
  });
}

const basic = (user: string, password: string): [string, string] => ['authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`];

describe('the owner probe', () => {
  it('finds the owner of a query before its first poll through /v1/info (477+), learns the ids, and dispatches nothing', async () => {
    const a = await standin({ name: 'a', version: '482' });
    const b = await standin({ name: 'b', version: '482' });
    const learned: [string, string][] = [];
    const probe = probeOf({ a, b }, learned);
    const query = await register(b);
    expect(await probe(query.id, [basic('alice', 'secret')], ['a', 'b'])).toBe('b');
    expect(learned).toEqual(expect.arrayContaining([[a.coordinatorId, 'a'], [b.coordinatorId, 'b']]));
    // Still only registered: the client's first poll is what dispatches it.
    expect((await fetch(`${b.url}/v1/query/${query.id}`, { headers: { 'X-Trino-User': 'alice' } })).status).toBe(410);
    expect(b.requestLog().some((r) => r.path.startsWith('/v1/statement/queued/'))).toBe(false);
  });

  it('cannot find an unpolled query on Trino before 477, and finds it once dispatched', async () => {
    const a = await standin({ name: 'a', version: '476' });
    const b = await standin({ name: 'b', version: '476' });
    const probe = probeOf({ a, b });
    const query = await register(b);
    expect(await probe(query.id, [], ['a', 'b'])).toBeUndefined();
    await (await fetch(query.nextUri, { headers: { 'X-Trino-User': 'alice' } })).body?.cancel();
    expect(await probe(query.id, [basic('alice', 'secret')], ['a', 'b'])).toBe('b');
  });

  it('sends an http coordinator the user alone: a Basic header with a password would be refused', () => {
    expect(probeIdentity([basic('alice', 'secret')], false, 'router', 'sub')).toEqual({ 'x-trino-user': 'alice' });
    expect(probeIdentity([['x-trino-user', 'bob'], basic('alice', 'secret')], false, 'router', 'sub')).toEqual({ 'x-trino-user': 'bob' });
    expect(probeIdentity([], false, 'router', 'sub')).toEqual({ 'x-trino-user': 'router' });
    expect(probeIdentity([basic('alice', 'secret')], true, 'router', 'sub')).toEqual({ authorization: basic('alice', 'secret')[1] });
  });
});
