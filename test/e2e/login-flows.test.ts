/**
 * Login flows whose state lives in one coordinator, through Envoy (ext_proc), the router and
 * two coordinators in one round-robin group:
 * - the CLI/JDBC OAuth2 flow, done as Trino's Java client does it (client/trino-client
 *   ExternalAuthenticator and HttpTokenPoller: the 401's Bearer challenge, the browser sent
 *   to x_redirect_server, GET x_token_server until `token`, DELETE it, the query again with
 *   the bearer token), with a fake IdP; repeated so that a wrong cluster would have been hit;
 * - a browser's web UI login, then its /ui/api/* calls;
 * - a second replica on the same store that never saw the challenge;
 * - forged state, auth id and cookie, which never reach a cluster.
 * Clients as in test/support/oauth2-client.ts (behind a TLS terminator: OAuth2 needs https).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { startFakeIdp, type FakeIdp } from '../standins/trino/index.js';
import { eventually } from '../support/statement-protocol.js';
import { bearerChallenge, browse, call, httpsOf, oauth2Login, pollForToken, runQuery } from '../support/oauth2-client.js';
import { ENVOY_CONFIG, startChain, type Chain } from './harness.js';

const ROUNDS = 20;
let idp: FakeIdp;
let chain: Chain;

beforeAll(async () => {
  idp = await startFakeIdp({ user: 'dave' });
  chain = await startChain({
    trino: {
      authentication: {
        types: ['OAUTH2'],
        oauth2: { issuer: idp.url, clientId: idp.clientId, clientSecret: idp.clientSecret, tokenKey: idp.tokenKey, pollHoldMs: 100 },
      },
    },
  });
});
afterAll(async () => {
  await chain?.close();
  await idp?.close();
});

/** Which stand-ins saw requests under a path part (the auth id or its hash). */
function clustersThatSaw(part: string): string[] {
  return [chain.trinoA, chain.trinoB].filter((t) => t.requestLog().some((r) => r.path.includes(part))).map((t) => t.name);
}

describe('OAuth2 through the router (the Java client\'s flow)', () => {
  it(`${ROUNDS} logins with two clusters in round robin: every step reaches the cluster that challenged, then the token runs a query`, async () => {
    const challengers = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const { challenge, token } = await oauth2Login(chain.envoy.url);
      const authId = challenge.tokenServer.split('/').pop()!;
      const hash = challenge.redirectServer.split('/').pop()!;
      const [challenger, ...others] = clustersThatSaw(authId);
      expect(others, `round ${round}`).toEqual([]);
      expect(clustersThatSaw(hash)).toEqual([challenger]);
      challengers.add(challenger!);
      expect(await runQuery(chain.envoy.url, token)).toMatch(/^trino-[ab]$/);
      // Each round submits twice; one more query on odd rounds moves the next challenge to the other cluster.
      if (round % 2 === 1) expect(await runQuery(chain.envoy.url, token)).toMatch(/^trino-[ab]$/);
    }
    // Round robin spread the challenges: a flow routed by the rules would have failed.
    expect([...challengers].sort()).toEqual(['trino-a', 'trino-b']);
    // Every callback went through the IdP and back; the URIs Trino handed out carry no prefix.
    expect(idp.requests.filter((r) => r.path.startsWith('/authorize')).length).toBe(ROUNDS);
  });

  it('forged auth ids, hashes and states never reach a cluster (403 forged_login)', async () => {
    const before = chain.trinoA.requestLog().length + chain.trinoB.requestLog().length;
    const unknownId = '0e0e0e0e-1111-4222-8333-444455556666';
    const forgedState = `e30.${Buffer.from(JSON.stringify({ handler_state: 'a'.repeat(64) })).toString('base64url')}.c2ln`;
    for (const [method, path] of [
      ['GET', `/oauth2/token/${unknownId}`],
      ['DELETE', `/oauth2/token/${unknownId}`],
      ['GET', '/oauth2/token/not-a-uuid'],
      ['GET', `/oauth2/token/initiate/${'b'.repeat(64)}`],
      ['GET', `/oauth2/callback?state=${forgedState}&code=x`],
      ['GET', '/oauth2/callback?state=garbage&code=x'],
    ] as const) {
      const response = await call(chain.envoy.url, `${chain.envoy.url}${path}`, { method });
      expect(response.status, path).toBe(403);
      expect(await response.json()).toMatchObject({ error: 'forged_login' });
    }
    expect(chain.trinoA.requestLog().length + chain.trinoB.requestLog().length).toBe(before);
  });
});

describe('a second replica on the same store', () => {
  let second: RunningRouter;
  let secondEnvoy: EnvoyStandin;
  beforeAll(async () => {
    second = await startRouter({ configPath: chain.configPath });
    secondEnvoy = await startEnvoyStandin({
      configPath: ENVOY_CONFIG,
      clusters: {
        trino_router: [{ host: '127.0.0.1', port: second.extProcPort }],
        'trino-a': [{ host: '127.0.0.1', port: chain.trinoA.port }],
        'trino-b': [{ host: '127.0.0.1', port: chain.trinoB.port }],
      },
    });
  });
  afterAll(async () => {
    await secondEnvoy?.close();
    await second?.close();
  });

  it('routes the browser step and the polls of a challenge only the first replica saw', async () => {
    const refused = await call(chain.envoy.url, `${httpsOf(chain.envoy.url)}/v1/statement`, { method: 'POST', body: 'SELECT 1' });
    await refused.body?.cancel();
    const challenge = bearerChallenge(refused)!;
    const authId = challenge.tokenServer.split('/').pop()!;
    const hash = challenge.redirectServer.split('/').pop()!;
    // No sync: the first replica writes a challenge at once, and the second asks the store on its miss.
    // The same URIs, on the second replica's Envoy (another host:port behind one name in real life).
    const onSecond = (uri: string): string => uri.replace(new URL(chain.envoy.url).host, new URL(secondEnvoy.url).host);
    const [status, token] = await Promise.all([browse(secondEnvoy.url, onSecond(challenge.redirectServer)), pollForToken(secondEnvoy.url, onSecond(challenge.tokenServer))]);
    expect(status).toBe(200);
    expect(clustersThatSaw(authId)).toHaveLength(1);
    expect(clustersThatSaw(hash)).toEqual(clustersThatSaw(authId));
    expect(await runQuery(secondEnvoy.url, token)).toMatch(/^trino-[ab]$/);
  });
});

describe('web UI login', () => {
  it('a browser\'s login then 20 /ui/api calls all land on the login\'s cluster', async () => {
    for (let round = 0; round < 2; round++) {
      const login = await fetch(`${chain.envoy.url}/ui/login`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'erin', password: '', redirectPath: '' }).toString(),
      });
      await login.body?.cancel();
      expect(login.status).toBe(303);
      const setCookies = login.headers.getSetCookie();
      // Trino's own cookie kept, the router's pin added beside it.
      expect(setCookies.map((c) => c.split('=')[0])).toEqual(['Trino-UI-Token', 'trino_router_ui']);
      const cookie = setCookies.map((c) => c.split(';')[0]).join('; ');
      const pinned = /trino_router_ui=[^.]+\.[^.]+\.[^.]+\.([^;]+)/.exec(setCookies[1]!)![1]!;
      const servedBy = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const path = i % 2 === 0 ? '/ui/api/stats' : '/ui/api/query';
        const before = new Map([chain.trinoA, chain.trinoB].map((t) => [t.name, t.requestLog().length]));
        const response = await fetch(`${chain.envoy.url}${path}`, { headers: { cookie } });
        await response.body?.cancel();
        expect(response.status, path).toBe(200);
        for (const t of [chain.trinoA, chain.trinoB]) if (t.requestLog().length > before.get(t.name)!) servedBy.add(t.name);
      }
      expect([...servedBy]).toEqual([pinned]);
    }
  });

  it('a refused login (a password over plain http) gets no pin: only what the cluster answers counts', async () => {
    const login = await fetch(`${chain.envoy.url}/ui/login`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'erin', password: 'secret', redirectPath: '' }).toString(),
    });
    await login.body?.cancel();
    expect(login.status).toBe(303);
    expect(login.headers.getSetCookie()).toEqual([]);
  });

  it('a forged UI session cookie never reaches a cluster', async () => {
    const before = chain.trinoA.requestLog().length + chain.trinoB.requestLog().length;
    for (const value of ['test1.abc.forged.trino-a', 'garbage', 'test1.1.AAAAAAAAAAAAAAAAAAAAAA.trino-b']) {
      const response = await fetch(`${chain.envoy.url}/ui/api/stats`, { headers: { cookie: `trino_router_ui=${value}` } });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: 'forged_login' });
    }
    expect(chain.trinoA.requestLog().length + chain.trinoB.requestLog().length).toBe(before);
  });

  it('without the pin round robin would have split the calls: a foreign cluster reads the token as "not logged in"', async () => {
    const login = await fetch(`${chain.envoy.url}/ui/login`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'erin', password: '', redirectPath: '' }).toString(),
    });
    await login.body?.cancel();
    const trinoToken = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const statuses = new Set<number>();
    await eventually(async () => {
      const response = await fetch(`${chain.envoy.url}/ui/api/stats`, { headers: { cookie: trinoToken } });
      await response.body?.cancel();
      statuses.add(response.status);
      return statuses.has(200) && statuses.has(401);
    });
  });
});
