/**
 * ExplainService names the mechanism of each login path (issue 20): OAuth2 steps by the flow
 * a cluster challenged (login_flow), UI calls by the router's cookie (ui_session), forged ones
 * refused (forged_login), a UI login by the rules with its pin to come.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../../src/stickiness/route-prefix.js';
import { signUiSession } from '../../src/stickiness/ui-session.js';
import { startStandaloneAdmin, type StandaloneAdmin } from './support.js';

const AUTH_ID = '6a1d7a3e-2b4c-4d5e-9f60-718293a4b5c6';
const HASH = createHash('sha256').update(AUTH_ID).digest('hex');
const keyring = createKeyring([{ id: 'k1', secret: 'an-admin-test-key-long-enough-for-hmac' }], 3600);

let admin: StandaloneAdmin;
beforeAll(async () => {
  admin = await startStandaloneAdmin({ keyring });
  admin.ownership.learnLoginFlow(HASH, 'trino-b', Date.now());
});
afterAll(async () => {
  await admin?.close();
});

const explain = (method: string, path: string, headers: { name: string; value: string }[] = []) =>
  admin.client.explain.explain({ method, path, headers, listenerPort: undefined });

describe('explain login paths', () => {
  it('each OAuth2 step of a challenged login: login_flow to the challenging cluster', async () => {
    const state = `e30.${Buffer.from(JSON.stringify({ handler_state: HASH })).toString('base64url')}.c2ln`;
    for (const [method, path] of [['GET', `/oauth2/token/initiate/${HASH}`], ['GET', `/oauth2/callback?state=${state}&code=x`], ['GET', `/oauth2/token/${AUTH_ID}`], ['DELETE', `/oauth2/token/${AUTH_ID}`]] as const) {
      const e = await explain(method, path);
      expect(e, path).toMatchObject({ outcome: 'forward', mechanism: 'login_flow', backend: 'trino-b', rules: [] });
      expect(e.summary).toBe('forward to trino-b by login_flow (the cluster whose OAuth2 challenge started this login)');
    }
  });

  it('an OAuth2 step no cluster challenged is refused as forged_login', async () => {
    const e = await explain('GET', '/oauth2/token/00000000-0000-4000-8000-000000000000');
    expect(e).toMatchObject({ outcome: 'reply', reply: { reason: 'forged_login', httpStatus: 403 } });
  });

  it('UI calls with the router\'s cookie: ui_session; a query\'s UI page by its owner; without a cookie the rules', async () => {
    const cookie = { name: 'cookie', value: `trino_router_ui=${signUiSession(keyring, 'trino-a', Date.now() / 1000)}` };
    const e = await explain('GET', '/ui/api/stats', [cookie]);
    expect(e).toMatchObject({ outcome: 'forward', mechanism: 'ui_session', backend: 'trino-a' });
    expect(e.summary).toContain('by ui_session');
    admin.ownership.learnQuery('20261122_120000_00001_abcde', 'trino-b', 'response', Date.now());
    expect(await explain('GET', '/ui/api/query/20261122_120000_00001_abcde', [cookie])).toMatchObject({ mechanism: 'query_id', backend: 'trino-b' });
    expect(await explain('GET', '/ui/api/stats')).toMatchObject({ mechanism: 'rules' });
    expect(await explain('POST', '/ui/login')).toMatchObject({ mechanism: 'rules' });
    expect(await explain('GET', '/ui/api/stats', [{ name: 'cookie', value: 'trino_router_ui=forged' }])).toMatchObject({ outcome: 'reply', reply: { reason: 'forged_login' } });
  });
});
