/**
 * The Trino stand-in's OAuth2 and UI login state, directly (no router): kept per coordinator
 * as Trino keeps it, so a step on the wrong coordinator fails as it would on real Trino.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeIdp, startTrinoStandin, type FakeIdp, type TrinoStandin } from './index.js';

let idp: FakeIdp;
let a: TrinoStandin;
let b: TrinoStandin;
const HTTPS = { 'x-forwarded-proto': 'https' };

async function start(name: string, extra: { stateKey?: string; webUiSharedSecret?: string } = {}): Promise<TrinoStandin> {
  return startTrinoStandin({
    name, pollIntervalMs: 50, version: '482',
    ...(extra.webUiSharedSecret === undefined ? {} : { webUiSharedSecret: extra.webUiSharedSecret }),
    authentication: {
      types: ['OAUTH2'],
      oauth2: { issuer: idp.url, clientId: idp.clientId, clientSecret: idp.clientSecret, tokenKey: idp.tokenKey, pollHoldMs: 50, challengeTimeoutMs: 1500, ...(extra.stateKey === undefined ? {} : { stateKey: extra.stateKey }) },
    },
  });
}

beforeAll(async () => {
  idp = await startFakeIdp({ user: 'dave' });
  a = await start('trino-a');
  b = await start('trino-b');
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await idp?.close();
});

/** The challenge of a submission without credentials: [initiate URL, token URL] on the coordinator's own origin. */
async function challenge(trino: TrinoStandin): Promise<[string, string]> {
  const response = await fetch(`${trino.url}/v1/statement`, { method: 'POST', body: 'SELECT 1', headers: HTTPS });
  expect(response.status).toBe(401);
  await response.body?.cancel();
  const header = response.headers.get('www-authenticate') ?? '';
  const match = /^Bearer x_redirect_server="([^"]+)", x_token_server="([^"]+)"$/.exec(header);
  if (match === null) throw new Error(`no challenge: ${header}`);
  // The origin is https (X-Forwarded-Proto); this test talks to the stand-in directly over http.
  return [match[1]!.replace('https:', 'http:'), match[2]!.replace('https:', 'http:')];
}

/** initiate -> IdP -> the callback on `callbackOn`; the callback's status. */
async function browser(initiate: string, callbackOn?: TrinoStandin): Promise<number> {
  const toIdp = await fetch(initiate, { redirect: 'manual', headers: HTTPS });
  expect(toIdp.status).toBe(303);
  const authorize = new URL(toIdp.headers.get('location')!);
  expect(authorize.origin).toBe(idp.url);
  const state = authorize.searchParams.get('state')!;
  expect(JSON.parse(Buffer.from(state.split('.')[1]!, 'base64url').toString())).toMatchObject({ aud: 'trino_oauth_ui', handler_state: initiate.split('/').pop() });
  const back = await fetch(authorize, { redirect: 'manual' });
  const callback = new URL(back.headers.get('location')!);
  expect(callback.pathname).toBe('/oauth2/callback');
  const target = callbackOn === undefined ? callback.toString().replace('https:', 'http:') : `${callbackOn.url}${callback.pathname}${callback.search}`;
  // Behind one gateway name: the other coordinator sees the same external host (X-Forwarded-Host).
  const done = await fetch(target, { headers: callbackOn === undefined ? HTTPS : { ...HTTPS, 'x-forwarded-host': callback.host } });
  await done.body?.cancel();
  return done.status;
}

describe('OAuth2 (OAuth2TokenExchangeResource, OAuth2Service, OAuth2CallbackResource)', () => {
  it('initiate, callback, poll for the token, DELETE, then the token authenticates on every coordinator of the IdP', async () => {
    const [initiate, token] = await challenge(a);
    expect(await browser(initiate)).toBe(200);
    const polled = await (await fetch(token)).json() as { token?: string };
    expect(typeof polled.token).toBe('string');
    expect(await (await fetch(token, { method: 'DELETE' })).text()).toBe('Authentication deleted');
    expect(await (await fetch(token)).json()).toEqual({ error: 'Authentication has been finished by the client' });
    for (const trino of [a, b]) {
      const query = await fetch(`${trino.url}/v1/statement`, { method: 'POST', body: 'SELECT 1', headers: { ...HTTPS, authorization: `Bearer ${polled.token}` } });
      await query.body?.cancel();
      expect(query.status).toBe(200);
    }
  });

  it('a poll on another coordinator stays pending (nextUri, no prefix) until the challenge timeout', async () => {
    const [, token] = await challenge(a);
    const elsewhere = token.replace(a.url, b.url);
    const pending = await (await fetch(elsewhere)).json() as { nextUri?: string };
    expect(pending.nextUri).toBe(elsewhere.replace(b.url, `http://127.0.0.1:${b.port}`));
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(await (await fetch(elsewhere)).json()).toEqual({ error: 'Authentication has timed out' });
  });

  it('a callback on another coordinator fails its state check (400); a shared oauth2.state-key passes it', async () => {
    const [initiate] = await challenge(a);
    expect(await browser(initiate, b)).toBe(400);
    const c = await start('trino-c', { stateKey: 'shared' });
    const d = await start('trino-d', { stateKey: 'shared' });
    try {
      const [initiateC] = await challenge(c);
      expect(await browser(initiateC, d)).toBe(200);
    } finally {
      await c.close();
      await d.close();
    }
  });

  it('garbage ids are 404; an invalid token gets a new challenge', async () => {
    expect((await fetch(`${a.url}/oauth2/token/not-a-uuid`)).status).toBe(404);
    const refused = await fetch(`${a.url}/v1/statement`, { method: 'POST', body: 'SELECT 1', headers: { ...HTTPS, authorization: 'Bearer x.y.z' } });
    await refused.body?.cancel();
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer x_redirect_server=/);
  });
});

describe('web UI token (FormWebUiAuthenticationFilter)', () => {
  async function login(trino: TrinoStandin): Promise<string> {
    const response = await fetch(`${trino.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=erin&password=&redirectPath=' });
    await response.body?.cancel();
    return response.headers.getSetCookie()[0]!.split(';')[0]!;
  }
  const stats = async (trino: TrinoStandin, cookie: string) => {
    const response = await fetch(`${trino.url}/ui/api/stats`, { headers: { cookie } });
    await response.body?.cancel();
    return response.status;
  };

  it('valid only where it was issued, unless web-ui.shared-secret is shared', async () => {
    const cookie = await login(a);
    expect([await stats(a, cookie), await stats(b, cookie)]).toEqual([200, 401]);
    const c = await start('trino-c', { webUiSharedSecret: 'ui-secret' });
    const d = await start('trino-d', { webUiSharedSecret: 'ui-secret' });
    try {
      const shared = await login(c);
      expect([await stats(c, shared), await stats(d, shared)]).toEqual([200, 200]);
    } finally {
      await c.close();
      await d.close();
    }
  });
});
