/**
 * Reading Trino's login flows from paths and headers (src/trino/login-flows.ts): the hash of
 * OAuth2TokenExchange.hashAuthId, the handler_state claim read without the key, challenges
 * as OAuth2Authenticator writes them, and garbage of every kind refused or ignored.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  classifyLoginPath, handlerStateOf, hashAuthId, oauth2ChallengeHashes, requestCookie, setsUiToken,
} from '../../../src/trino/login-flows.js';

const AUTH_ID = '3f2c1a7e-9b4d-4c2e-8f00-1234567890ab';
const HASH = createHash('sha256').update(AUTH_ID).digest('hex');

function jws(claims: unknown, key = 'any-key'): string {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${head}.${body}.${createHmac('sha256', key).update(`${head}.${body}`).digest('base64url')}`;
}

describe('auth id hash', () => {
  it('is the lower-case hex SHA-256 of the canonical (lower-case) UUID text', () => {
    expect(hashAuthId(AUTH_ID)).toBe(HASH);
    expect(hashAuthId(AUTH_ID.toUpperCase())).toBe(HASH);
  });
});

describe('classifyLoginPath', () => {
  it('names each OAuth2 step by the same hash', () => {
    expect(classifyLoginPath('GET', `/oauth2/token/initiate/${HASH}`)).toEqual({ kind: 'oauth2Initiate', authIdHash: HASH });
    expect(classifyLoginPath('GET', `/oauth2/token/${AUTH_ID}`)).toEqual({ kind: 'oauth2Token', authIdHash: HASH });
    expect(classifyLoginPath('DELETE', `/oauth2/token/${AUTH_ID}`)).toEqual({ kind: 'oauth2Token', authIdHash: HASH });
    const state = jws({ aud: 'trino_oauth_ui', handler_state: HASH, exp: 2_000_000_000 });
    expect(classifyLoginPath('GET', `/oauth2/callback?state=${state}&code=abc`)).toEqual({ kind: 'oauth2Callback', authIdHash: HASH });
    expect(classifyLoginPath('GET', `/oauth2/callback?code=abc&state=${encodeURIComponent(state)}`)).toEqual({ kind: 'oauth2Callback', authIdHash: HASH });
  });

  it('a Web UI OAuth2 state (no handler_state) and a callback without state name no flow', () => {
    expect(classifyLoginPath('GET', `/oauth2/callback?state=${jws({ aud: 'trino_oauth_ui' })}&code=x`)).toEqual({ kind: 'oauth2Callback', authIdHash: undefined });
    expect(classifyLoginPath('GET', '/oauth2/callback?error=access_denied')).toEqual({ kind: 'oauth2Callback', authIdHash: undefined });
  });

  it('garbage ids, hashes and states are invalid, never a flow', () => {
    for (const path of [
      '/oauth2/token/initiate/ABC', `/oauth2/token/initiate/${HASH.toUpperCase()}`, `/oauth2/token/initiate/${HASH}/x`,
      '/oauth2/token/not-a-uuid', `/oauth2/token/${AUTH_ID}x`, '/oauth2/token/', `/oauth2/token/${AUTH_ID}/../x`,
      '/oauth2/callback?state=garbage', '/oauth2/callback?state=a.b', `/oauth2/callback?state=${jws({ handler_state: 'short' })}`,
      `/oauth2/callback?state=${jws({ handler_state: 42 })}`, `/oauth2/callback?state=${jws([HASH])}`, '/oauth2/callback?state=',
      `/oauth2/callback?state=${'a'.repeat(5000)}.b.c`, '/oauth2/callback?state=%%%',
    ]) {
      expect(classifyLoginPath('GET', path)?.kind, path).toBe('invalidLogin');
    }
  });

  it('UI logins and UI calls; anything else is not a login path', () => {
    expect(classifyLoginPath('POST', '/ui/login')).toEqual({ kind: 'uiLogin' });
    expect(classifyLoginPath('POST', '/ui/auth/login')).toEqual({ kind: 'uiLogin' });
    expect(classifyLoginPath('GET', '/ui/login')).toEqual({ kind: 'uiSession' });
    expect(classifyLoginPath('GET', '/ui/api/stats')).toEqual({ kind: 'uiSession' });
    expect(classifyLoginPath('GET', '/ui/')).toEqual({ kind: 'uiSession' });
    expect(classifyLoginPath('GET', '/v1/info')).toBeUndefined();
    expect(classifyLoginPath('GET', '/oauth2/jwks')).toBeUndefined();
    expect(classifyLoginPath('GET', '/uix')).toBeUndefined();
  });
});

describe('handlerStateOf', () => {
  it('reads the claim without the key', () => {
    expect(handlerStateOf(jws({ handler_state: HASH }, 'k1'))).toBe(HASH);
    expect(handlerStateOf(jws({ handler_state: HASH }, 'k2'))).toBe(HASH);
    expect(handlerStateOf(jws({ handler_state: null }))).toBeUndefined();
  });
  it('refuses what is not a compact JWS with a JSON object payload', () => {
    for (const state of ['', 'x', 'a.b.c', 'a..c', `${jws({})}.extra`, 'e30.bm90IGpzb24.sig', `a.${Buffer.from('null').toString('base64url')}.s`]) {
      expect(handlerStateOf(state), state).toBe('malformed');
    }
  });
});

describe('oauth2ChallengeHashes', () => {
  it('reads both URIs of Trino\'s challenge, among other authenticators\' challenges', () => {
    const headers: [string, string][] = [
      [':status', '401'],
      ['www-authenticate', 'Basic realm="Trino"'],
      ['www-authenticate', `Bearer x_redirect_server="https://trino.example.com/oauth2/token/initiate/${HASH}", x_token_server="https://trino.example.com/oauth2/token/${AUTH_ID}"`],
    ];
    expect(oauth2ChallengeHashes(headers)).toEqual([HASH]);
  });
  it('a refresh challenge (x_token_server alone) names the hash of its id', () => {
    expect(oauth2ChallengeHashes([['www-authenticate', `Bearer x_token_server="http://h:8080/oauth2/token/${AUTH_ID}"`]])).toEqual([HASH]);
  });
  it('ignores garbage: other schemes, bad URIs, bad ids, unquoted values', () => {
    for (const value of [
      'Bearer realm="Trino", token_type="JWT"', 'Bearer x_token_server="not a url"', 'Bearer x_token_server="http://h/oauth2/token/xyz"',
      `Bearer x_redirect_server=http://h/oauth2/token/initiate/${HASH}`, `Basic x_token_server="http://h/oauth2/token/${AUTH_ID}"`, '', '\u0000\uffff',
    ]) {
      expect(oauth2ChallengeHashes([['www-authenticate', value]]), value).toEqual([]);
    }
    expect(oauth2ChallengeHashes([['x-other', `Bearer x_token_server="http://h/oauth2/token/${AUTH_ID}"`]])).toEqual([]);
  });
});

describe('cookies', () => {
  it('finds a request cookie among several lines and pairs', () => {
    expect(requestCookie([['cookie', 'a=1; trino_router_ui=v.1.s.b'], ['cookie', 'trino_router_ui=other']], 'trino_router_ui')).toBe('v.1.s.b');
    expect(requestCookie([['cookie', 'garbage;;=;x']], 'trino_router_ui')).toBeUndefined();
  });
  it('a login sets Trino-UI-Token; a logout (empty) and other cookies do not count', () => {
    expect(setsUiToken([['set-cookie', 'Trino-UI-Token=abc.def; Path=/ui; HttpOnly']])).toBe(true);
    expect(setsUiToken([['set-cookie', 'Trino-UI-Token=; Max-Age=0; Path=/ui']])).toBe(false);
    expect(setsUiToken([['set-cookie', 'Other=abc'], ['x', 'Trino-UI-Token=x']])).toBe(false);
  });
});
