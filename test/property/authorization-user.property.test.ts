/**
 * The user of an Authorization header: Basic credentials and unverified JWT claims round-trip
 * from what a client encodes, agree with a strict-base64 reference (Java's Base64.getDecoder),
 * and any corruption yields no user rather than a wrong one or an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorizationUser, basicCredentialsUser, unverifiedJwtClaim } from '../../src/trino/authorization-user.js';
import { anyText, anyUtf16, hostileString, MANY_RUNS, RUNS } from './arbitraries.js';

const latin1 = (maxLength: number, minLength = 0): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), minLength, maxLength });
const basicUser = latin1(20, 1).filter((u) => !u.includes(':'));
const schemeCase = (scheme: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: scheme.length, maxLength: scheme.length }).map((upper) =>
    [...scheme].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
const spaces = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });

/** Java's strict RFC 4648 decoder: padding optional, but when present it completes the quantum. */
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

describe('Basic credentials', () => {
  it('round trip: the user of base64(user:password), any scheme case, padded or not', () => {
    fc.assert(
      fc.property(basicUser, latin1(20), schemeCase('basic'), spaces, fc.boolean(), (user, password, scheme, trailing, stripPadding) => {
        let credentials = Buffer.from(`${user}:${password}`, 'latin1').toString('base64');
        if (stripPadding) credentials = credentials.replace(/=+$/, '');
        expect(authorizationUser(`${scheme} ${credentials}${trailing}`, 'sub')).toEqual({ user, scheme: 'basic' });
      }),
      RUNS,
    );
  });

  it('without a colon the whole decoded text is the user', () => {
    fc.assert(
      fc.property(basicUser, (user) => {
        expect(basicCredentialsUser(Buffer.from(user, 'latin1').toString('base64'))).toBe(user);
      }),
      RUNS,
    );
  });

  it('agrees with the strict-base64 reference on any string over the base64 alphabets', () => {
    const base64ish = fc.string({ unit: fc.constantFrom('Q', 'U', 'J', 'D', 'a', 'z', '0', '9', '+', '/', '=', '-', '_', 'O', 'j', 'o'), maxLength: 16 });
    fc.assert(
      fc.property(fc.oneof(base64ish, hostileString(16)), (s) => {
        const user = basicCredentialsUser(s);
        if (!STRICT_BASE64.test(s) || s === '') {
          expect(user).toBeUndefined();
          return;
        }
        const decoded = Buffer.from(s, 'base64').toString('latin1');
        const expectedUser = decoded.split(':', 1)[0]!;
        expect(user).toBe(expectedUser === '' ? undefined : expectedUser);
      }),
      MANY_RUNS,
    );
  });

  it('a character outside the base64 alphabet anywhere inside the credentials means no user', () => {
    fc.assert(
      fc.property(basicUser, latin1(10), fc.constantFrom('-', '_', '!', '.', 'é', '*', '\0', '\u0100', '😀'), fc.nat(), (user, password, bad, at) => {
        const credentials = Buffer.from(`${user}:${password}`, 'latin1').toString('base64');
        const i = at % (credentials.length + 1);
        expect(basicCredentialsUser(credentials.slice(0, i) + bad + credentials.slice(i))).toBeUndefined();
      }),
      RUNS,
    );
  });
});

const claimName = fc.oneof(fc.constantFrom('sub', 'email', 'preferred_username', '__proto__', 'constructor', 'toString', ''), anyText(10));
const jsonish = fc.oneof(fc.jsonValue(), anyUtf16(10));

function jwt(header: unknown, payload: unknown, signature: string): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v) ?? '', 'utf8').toString('base64url');
  return `${part(header)}.${part(payload)}.${signature}`;
}

describe('bearer JWT claims', () => {
  it('round trip: the claim of any payload, under any claim name, other claims ignored', () => {
    fc.assert(
      fc.property(claimName, anyText(20), fc.dictionary(anyText(8), jsonish, { maxKeys: 4 }), fc.base64String(), schemeCase('bearer'), spaces, (claim, user, others, sig, scheme, trailing) => {
        const payload: Record<string, unknown> = { ...others };
        Object.defineProperty(payload, claim, { value: user, enumerable: true, configurable: true, writable: true });
        const token = jwt({ alg: 'RS256', typ: 'JWT' }, payload, sig.replace(/[+/=]/g, 'A'));
        const expectedUser = user === '' ? undefined : { user, scheme: 'bearer' };
        expect(authorizationUser(`${scheme} ${token}${trailing}`, claim)).toEqual(expectedUser);
      }),
      RUNS,
    );
  });

  it('agrees with JSON.parse of the payload: only an own, non-empty string claim names a user', () => {
    fc.assert(
      fc.property(claimName, fc.oneof(fc.jsonValue(), fc.dictionary(claimName, jsonish, { maxKeys: 4 })), (claim, payload) => {
        const token = jwt({}, payload, 'sig');
        const parsed: unknown = JSON.parse(JSON.stringify(payload) ?? 'null');
        const value = typeof parsed === 'object' && parsed !== null && Object.hasOwn(parsed, claim) ? (parsed as Record<string, unknown>)[claim] : undefined;
        expect(unverifiedJwtClaim(token, claim)).toBe(typeof value === 'string' && value !== '' ? value : undefined);
      }),
      RUNS,
    );
  });

  it('a token that is not three dot-separated parts, or whose payload is not base64url JSON, names no user', () => {
    fc.assert(
      fc.property(anyText(10).filter((u) => u !== ''), fc.constantFrom('drop-dot', 'extra-dot', 'empty-header', 'empty-payload', 'bad-char', 'not-json'), (user, damage) => {
        const [h, p, s] = jwt({}, { sub: user }, 'c2ln').split('.') as [string, string, string];
        const token = {
          'drop-dot': `${h}${p}.${s}`,
          'extra-dot': `${h}.${p}.${s}.x`,
          'empty-header': `.${p}.${s}`,
          'empty-payload': `${h}..${s}`,
          'bad-char': `${h}.${p.slice(0, 1)}+${p.slice(1)}.${s}`,
          'not-json': `${h}.${Buffer.from(`[${JSON.stringify(user)}]`).toString('base64url')}.${s}`,
        }[damage];
        expect(unverifiedJwtClaim(token, 'sub')).toBeUndefined();
      }),
      RUNS,
    );
  });
});

describe('authorizationUser is total', () => {
  it('any header value and claim give undefined or a non-empty user of the named scheme', () => {
    const value = fc.oneof(
      hostileString(60),
      fc.tuple(fc.constantFrom('Basic ', 'basic ', 'Bearer ', 'BEARER ', 'Negotiate ', 'Basic', ' Basic '), hostileString(40)).map(([a, b]) => a + b),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
      fc.uint8Array({ maxLength: 40 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`),
    );
    fc.assert(
      fc.property(value, claimName, (v, claim) => {
        const result = authorizationUser(v, claim);
        if (result === undefined) return;
        expect(result.user.length).toBeGreaterThan(0);
        expect(v.toLowerCase().startsWith(result.scheme)).toBe(true);
      }),
      MANY_RUNS,
    );
  });
});
