/**
 * Login flows in the request router: learned from a submission's 401 challenge (never from
 * a client), each OAuth2 step sent to the challenging cluster, the web UI pinned by the
 * router's cookie once a login response sets Trino-UI-Token; forgeries refused, never routed.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ForwardInstruction, ReplyInstruction } from '../../../src/routing/decision.js';
import { RequestRouter, type RequestContext } from '../../../src/routing/request-router.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { OwnershipIndex } from '../../../src/stickiness/ownership.js';
import { createKeyring } from '../../../src/stickiness/route-prefix.js';
import { signUiSession } from '../../../src/stickiness/ui-session.js';
import { sampleConfig } from './fixtures.js';
import { routeFully } from '../../support/route-fully.js';

let now = Date.UTC(2026, 10, 22, 12, 0, 0);
const keyring = createKeyring([{ id: 'k1', secret: 'a-secret-long-enough-for-hmac-sha256' }], 3600);
const AUTH_ID = '0b7f4a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const HASH = createHash('sha256').update(AUTH_ID).digest('hex');

function setup(store: Map<string, string> = new Map()) {
  const ownership = new OwnershipIndex({ maxQueries: 100, retentionMs: 3600_000, transactionRetentionMs: 3600_000, loginFlowRetentionMs: 15 * 60_000 });
  const snapshot = compileSnapshot(sampleConfig(), 1);
  let tick = 0;
  const router = new RequestRouter({
    snapshot: () => snapshot,
    conditions: () => new Map(),
    strategy: createStrategyState(() => 0),
    ownership,
    keyring,
    probe: undefined,
    headerOptions: { jwtUserClaim: 'sub' },
    unavailable: 'failed-query',
    now: () => now + tick++,
    findLoginFlow: async (hash) => store.get(hash),
  });
  return { router, ownership };
}

function incoming(method: string, path: string, extra: [string, string][] = []) {
  return { headers: [[':method', method], [':path', path], [':authority', 'trino.example.com'], ['x-trino-user', 'alice'], ...extra] as [string, string][], listenerPort: 8080 };
}

async function route(router: RequestRouter, method: string, path: string, extra: [string, string][] = []): Promise<RequestContext> {
  return routeFully(router, incoming(method, path, extra));
}

const forwarded = (c: RequestContext): ForwardInstruction => {
  expect(c.instruction.kind).toBe('forward');
  return c.instruction as ForwardInstruction;
};
const refused = (c: RequestContext): ReplyInstruction => {
  expect(c.instruction.kind).toBe('reply');
  return c.instruction as ReplyInstruction;
};

const challenge: [string, string][] = [
  [':status', '401'],
  ['www-authenticate', `Bearer x_redirect_server="https://trino.example.com/oauth2/token/initiate/${HASH}", x_token_server="https://trino.example.com/oauth2/token/${AUTH_ID}"`],
];
const state = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('OAuth2 login flows', () => {
  it('a submission\'s 401 challenge sends initiate, callback, polls and DELETE to that cluster, whatever round robin says', async () => {
    const { router } = setup();
    const submission = await route(router, 'POST', '/v1/statement');
    const backend = forwarded(submission).backend;
    expect(router.onResponseHeaders(submission, challenge)).toBeUndefined();
    for (let i = 0; i < 6; i++) {
      for (const [method, path] of [
        ['GET', `/oauth2/token/initiate/${HASH}`],
        ['GET', `/oauth2/callback?state=${state({ handler_state: HASH })}&code=c`],
        ['GET', `/oauth2/token/${AUTH_ID}`],
        ['DELETE', `/oauth2/token/${AUTH_ID.toUpperCase()}`],
      ] as const) {
        expect(forwarded(await route(router, method, path))).toMatchObject({ backend, mechanism: 'login_flow', watch: 'none' });
      }
    }
  });

  it('learns nothing from a client: a challenge on a request, a 200, or a non-submission', async () => {
    const { router } = setup();
    const info = await route(router, 'GET', '/v1/query');
    router.onResponseHeaders(info, challenge);
    const ok = await route(router, 'POST', '/v1/statement', [['www-authenticate', challenge[1]![1]]]);
    router.onResponseHeaders(ok, [[':status', '200'], challenge[1]!]);
    expect(refused(await route(router, 'GET', `/oauth2/token/${AUTH_ID}`)).reason).toBe('forged_login');
  });

  it('forged, malformed and expired steps are refused as forged_login (403), never routed by the rules', async () => {
    const { router } = setup();
    const submission = await route(router, 'POST', '/v1/statement');
    router.onResponseHeaders(submission, challenge);
    const other = '11111111-2222-3333-4444-555555555555';
    for (const path of [
      `/oauth2/token/${other}`, `/oauth2/token/initiate/${'0'.repeat(64)}`, '/oauth2/token/garbage',
      `/oauth2/callback?state=${state({ handler_state: 'f'.repeat(64) })}`, '/oauth2/callback?state=not-a-jws',
    ]) {
      const reply = refused(await route(router, 'GET', path));
      expect(reply, path).toMatchObject({ reason: 'forged_login', status: 403 });
    }
    now += 15 * 60_000 + 1000;
    expect(refused(await route(router, 'GET', `/oauth2/token/${AUTH_ID}`)).reason).toBe('forged_login');
  });

  it('a replica that did not see the challenge asks the store', async () => {
    const { router } = setup(new Map([[HASH, 'b']]));
    expect(forwarded(await route(router, 'GET', `/oauth2/token/${AUTH_ID}`))).toMatchObject({ backend: 'b', mechanism: 'login_flow' });
  });

  it('a Web UI OAuth2 callback (state without handler_state) goes by the rules', async () => {
    const { router } = setup();
    expect(forwarded(await route(router, 'GET', `/oauth2/callback?state=${state({ aud: 'trino_oauth_ui' })}&code=c`)).mechanism).toBe('rules');
  });
});

describe('web UI session', () => {
  it('a login whose response sets Trino-UI-Token pins the browser; its UI calls follow the pin', async () => {
    const { router } = setup();
    const login = await route(router, 'POST', '/ui/login', [['x-forwarded-proto', 'https']]);
    const backend = forwarded(login).backend;
    expect(forwarded(login).watch).toBe('headers');
    expect(router.onResponseHeaders(login, [[':status', '303'], ['set-cookie', 'Other=1']])).toBeUndefined();
    const added = router.onResponseHeaders(login, [[':status', '303'], ['set-cookie', 'Trino-UI-Token=abc; Path=/ui']]);
    expect(added).toHaveLength(1);
    const [name, line] = added![0]!;
    expect(name).toBe('set-cookie');
    expect(line).toContain('; Secure');
    const cookie = line.split(';')[0]!;
    for (const path of ['/ui/api/stats', '/ui/api/query', '/ui/', '/ui/api/cluster']) {
      for (let i = 0; i < 3; i++) {
        expect(forwarded(await route(router, 'GET', path, [['cookie', `a=b; ${cookie}`]]))).toMatchObject({ backend, mechanism: 'ui_session' });
      }
    }
  });

  it('query-specific UI paths keep going to the query\'s owner', async () => {
    const { router, ownership } = setup();
    ownership.learnQuery('20261122_120000_00001_abcde', 'a', 'response', now);
    const cookie = `trino_router_ui=${signUiSession(keyring, 'b', now / 1000)}`;
    expect(forwarded(await route(router, 'GET', '/ui/api/query/20261122_120000_00001_abcde', [['cookie', cookie]]))).toMatchObject({ backend: 'a', mechanism: 'query_id' });
  });

  it('a forged or expired cookie is refused; no cookie goes by the rules', async () => {
    const { router } = setup();
    const genuine = signUiSession(keyring, 'b', now / 1000);
    for (const value of [genuine.replace(/\.b$/, '.a'), 'garbage', signUiSession(keyring, 'b', now / 1000 - 7200)]) {
      expect(refused(await route(router, 'GET', '/ui/api/stats', [['cookie', `trino_router_ui=${value}`]]))).toMatchObject({ reason: 'forged_login', status: 403 });
    }
    expect(forwarded(await route(router, 'GET', '/ui/api/stats')).mechanism).toBe('rules');
  });
});

describe('through ext_authz (no responses seen)', () => {
  it('an OAuth2 step the router never learned goes by the rules; a learned one by its flow; malformed still refused', async () => {
    const { router, ownership } = setup();
    const viaAuthz = (method: string, path: string) => routeFully(router, { ...incoming(method, path), seesResponses: false });
    expect(forwarded(await viaAuthz('GET', `/oauth2/token/${AUTH_ID}`)).mechanism).toBe('rules');
    ownership.learnLoginFlow(HASH, 'b', now);
    expect(forwarded(await viaAuthz('GET', `/oauth2/token/${AUTH_ID}`))).toMatchObject({ backend: 'b', mechanism: 'login_flow' });
    expect(refused(await viaAuthz('GET', '/oauth2/token/garbage')).reason).toBe('forged_login');
  });
});
