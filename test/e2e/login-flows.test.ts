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
 * Coordinators speak OAuth2 only over https: the test's clients stand behind a TLS terminator
 * (they send X-Forwarded-Proto: https and reach the https URLs Trino hands out over http).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { startFakeIdp, type FakeIdp } from '../standins/trino/index.js';
import { eventually } from '../support/statement-protocol.js';
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

/** The TLS terminator in front of Envoy: https URLs of Envoy's address are reached over http, marked https. */
function throughTls(url: string, envoyUrl: string): { url: string; headers: Record<string, string> } {
  const envoyHost = new URL(envoyUrl).host;
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' && parsed.host === envoyHost) {
    parsed.protocol = 'http:';
    return { url: parsed.toString(), headers: { 'x-forwarded-proto': 'https' } };
  }
  return { url, headers: {} };
}

/** The gateway's https address the clients use (the TLS terminator's). */
function httpsOf(envoyUrl: string): string {
  return envoyUrl.replace(/^http:/, 'https:');
}

async function call(envoyUrl: string, url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const target = throughTls(url, envoyUrl);
  return fetch(target.url, { method: init.method ?? 'GET', body: init.body, headers: { ...target.headers, ...init.headers }, redirect: 'manual' });
}

/** A browser: follows redirects (303 to the IdP and back), keeping cookies per host; the final status. */
async function browse(envoyUrl: string, start: string): Promise<number> {
  const cookies = new Map<string, string[]>();
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const host = new URL(url).host;
    const jar = cookies.get(host) ?? [];
    const response = await call(envoyUrl, url, jar.length === 0 ? {} : { headers: { cookie: jar.join('; ') } });
    for (const line of response.headers.getSetCookie()) cookies.set(host, [...jar, line.split(';')[0] ?? '']);
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) return response.status;
    url = new URL(location, url).toString();
  }
  throw new Error('too many redirects');
}

interface Challenge {
  readonly redirectServer: string;
  readonly tokenServer: string;
}

/** ExternalAuthenticator: the x_redirect_server and x_token_server of a Bearer challenge. */
function bearerChallenge(response: Response): Challenge | undefined {
  for (const value of (response.headers.get('www-authenticate') ?? '').split(/,\s*(?=Bearer\s)/i)) {
    const redirect = /x_redirect_server="([^"]+)"/.exec(value)?.[1];
    const token = /x_token_server="([^"]+)"/.exec(value)?.[1];
    if (redirect !== undefined && token !== undefined) return { redirectServer: redirect, tokenServer: token };
  }
  return undefined;
}

/** HttpTokenPoller: GET the token URI, follow nextUri while pending, then DELETE it. */
async function pollForToken(envoyUrl: string, tokenUri: string): Promise<string> {
  let uri = tokenUri;
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await call(envoyUrl, uri);
    if (response.status === 503) continue;
    if (response.status !== 200) throw new Error(`token poll answered ${response.status}: ${await response.text()}`);
    const body = await response.json() as { token?: string; nextUri?: string; error?: string };
    if (body.error !== undefined) throw new Error(`token poll failed: ${body.error}`);
    if (body.token !== undefined) {
      const deleted = await call(envoyUrl, tokenUri, { method: 'DELETE' });
      await deleted.body?.cancel();
      return body.token;
    }
    if (body.nextUri !== undefined) uri = body.nextUri;
  }
  throw new Error('no token');
}

/** Runs a query to its end with the bearer token; the cluster that served its rows. */
async function runQuery(envoyUrl: string, token: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  let response = await call(envoyUrl, `${httpsOf(envoyUrl)}/v1/statement`, { method: 'POST', body: 'SELECT * FROM t /* rows=2 */', headers });
  const clusters = new Set<string>();
  for (let page = 0; page < 100; page++) {
    if (response.status !== 200) throw new Error(`query answered ${response.status}: ${await response.text()}`);
    const body = await response.json() as { nextUri?: string; data?: unknown[][]; error?: { message: string } };
    if (body.error !== undefined) throw new Error(body.error.message);
    for (const row of body.data ?? []) clusters.add(String(row[1]));
    if (body.nextUri === undefined) return [...clusters].join(',');
    response = await call(envoyUrl, body.nextUri, { headers });
  }
  throw new Error('query did not finish');
}

/** The Java client's whole OAuth2 login: the cluster that challenged and the token. */
async function oauth2Login(envoyUrl: string): Promise<{ challenge: Challenge; token: string }> {
  const refused = await call(envoyUrl, `${httpsOf(envoyUrl)}/v1/statement`, { method: 'POST', body: 'SELECT 1' });
  await refused.body?.cancel();
  expect(refused.status).toBe(401);
  const challenge = bearerChallenge(refused);
  if (challenge === undefined) throw new Error('no OAuth2 challenge');
  // The browser and the poller run at once, as in the Java client.
  const [browserStatus, token] = await Promise.all([browse(envoyUrl, challenge.redirectServer), pollForToken(envoyUrl, challenge.tokenServer)]);
  expect(browserStatus).toBe(200);
  return { challenge, token };
}

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
    // The first replica writes behind: once its batch is in the shared file, the second finds it on its miss.
    await chain.router.syncOwnership();
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
