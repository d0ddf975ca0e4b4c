/**
 * Login flow parsing and the UI session cookie against hostile input: never a throw, never
 * a flow or a cluster the input does not genuinely name, and a genuine flow recognised
 * whatever else surrounds it.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../../src/stickiness/route-prefix.js';
import { signUiSession, verifyUiSession } from '../../src/stickiness/ui-session.js';
import { classifyLoginPath, handlerStateOf, oauth2ChallengeHashes, requestCookie, setsUiToken } from '../../src/trino/login-flows.js';
import { applyEdit, edit, hostileString, MANY_RUNS, RUNS, SPECIAL_CHARS } from './arbitraries.js';

const keyring = createKeyring([{ id: 'k1', secret: 'a-property-test-key-long-enough-for-hmac' }], 3600);
const NOW = 1_800_000_000;
const uuid = fc.uuid();

describe('login paths', () => {
  it('any path: a classification or none, never a throw; a hash only where the text holds 64 lower-case hex digits', () => {
    fc.assert(fc.property(fc.constantFrom('/oauth2/token/', '/oauth2/token/initiate/', '/oauth2/callback?state=', '/ui/', ''), hostileString(200), (root, rest) => {
      const login = classifyLoginPath('GET', root + rest);
      if (login !== undefined && 'authIdHash' in login && login.authIdHash !== undefined) expect(login.authIdHash).toMatch(/^[0-9a-f]{64}$/);
    }), MANY_RUNS);
  });

  it('a token path names the SHA-256 of its UUID; an edited UUID names another or none', () => {
    fc.assert(fc.property(uuid, edit(fc.constantFrom(...SPECIAL_CHARS)), (id, e) => {
      expect(classifyLoginPath('GET', `/oauth2/token/${id}`)).toEqual({ kind: 'oauth2Token', authIdHash: createHash('sha256').update(id.toLowerCase()).digest('hex') });
      const edited = applyEdit(id, e);
      const login = classifyLoginPath('GET', `/oauth2/token/${edited}`);
      // What follows a `?` is the query string, not the id: `<id>?` names the same flow.
      const editedId = edited.split('?', 1)[0]!;
      if (editedId.toLowerCase() !== id.toLowerCase() && login?.kind === 'oauth2Token') {
        expect(login.authIdHash).not.toBe(createHash('sha256').update(id.toLowerCase()).digest('hex'));
      }
    }), RUNS);
  });

  it('handlerStateOf: any string gives a hash, undefined or malformed, never a throw', () => {
    fc.assert(fc.property(fc.oneof(hostileString(300), fc.tuple(hostileString(20), fc.jsonValue(), hostileString(20)).map(([h, v, s]) => `${h}.${Buffer.from(JSON.stringify(v) ?? '').toString('base64url')}.${s}`)), (state) => {
      const claim = handlerStateOf(state);
      expect(claim === undefined || claim === 'malformed' || /^[0-9a-f]{64}$/.test(claim)).toBe(true);
    }), MANY_RUNS);
  });

  it('challenge and cookie readers take any header lines', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('www-authenticate', 'set-cookie', 'cookie', 'x'), hostileString(120))), (headers) => {
      for (const hash of oauth2ChallengeHashes(headers)) expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof setsUiToken(headers)).toBe('boolean');
      requestCookie(headers, 'trino_router_ui');
    }), MANY_RUNS);
  });
});

describe('UI session cookie', () => {
  it('no hostile or edited value verifies as another cluster', () => {
    fc.assert(fc.property(fc.constantFrom('trino-a', 'trino.b', 'x'), edit(fc.constantFrom(...SPECIAL_CHARS)), hostileString(80), (backend, e, garbage) => {
      const genuine = signUiSession(keyring, backend, NOW);
      const edited = applyEdit(genuine, e);
      const verdict = verifyUiSession(keyring, edited, NOW);
      if (verdict.valid) expect(edited).toBe(genuine);
      expect(verifyUiSession(keyring, garbage, NOW).valid).toBe(false);
    }), MANY_RUNS);
  });
});
