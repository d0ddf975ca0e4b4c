/**
 * Signed route prefixes: sign -> split -> verify round-trips for any backend, path, time and
 * key rotation; a prefix outside its age window is refused; and ANY change to the prefix
 * text (one character replaced, inserted or deleted, the backend swapped, another encoding
 * of the same signature) is refused, never routed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createKeyring,
  ROUTE_PREFIX_ROOT,
  signRoutePrefix,
  splitPrefixedPath,
  verifyRoutePrefix,
  type PrefixKey,
  type PrefixKeyring,
} from '../../src/stickiness/route-prefix.js';
import { applyEdit, edit, hostileString, MANY_RUNS, RUNS } from './arbitraries.js';

const backend = fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/);
const keyId = fc.stringMatching(/^[A-Za-z0-9]{1,16}$/);
const secret = fc.string({ unit: 'binary', minLength: 16, maxLength: 40 });
const prefixKey: fc.Arbitrary<PrefixKey> = fc.record({ id: keyId, secret });
/** Seconds since the epoch, up to the year 2100. */
const now = fc.integer({ min: 0, max: 4_102_444_800 });
const maxAge = fc.integer({ min: 1, max: 30 * 24 * 3600 });
/** The path Trino appends after the prefix (query string and all). */
const rest = fc.oneof(
  fc.constantFrom('/v1/statement/executing/20260101_000000_00001_abcde/y1/2', '/v1/spooled/download/abc', '/', '/ui/query.html?x'),
  fc.string({ unit: fc.constantFrom('a', '/', '?', '=', '.', '%', '_', '-', 'é', '#', ' '), maxLength: 30 }).map((s) => `/${s}`),
);

function pathFor(keyring: PrefixKeyring, name: string, at: number, tail: string): string {
  return `${signRoutePrefix(keyring, name, at)}${tail}`;
}

describe('route prefix round trip', () => {
  it('a signed prefix splits back into its backend and the untouched rest, and verifies within its age', () => {
    fc.assert(
      fc.property(prefixKey, backend, now, maxAge, fc.nat(), rest, (key, name, at, max, ageSeed, tail) => {
        const keyring = createKeyring([key], max);
        const path = pathFor(keyring, name, at, tail);
        const split = splitPrefixedPath(path);
        expect(split).toMatchObject({ backend: name, keyId: key.id, rest: tail });
        const age = ageSeed % (max + 1);
        expect(verifyRoutePrefix(keyring, split!, at + age)).toEqual({ valid: true });
        // A little skew between replicas: a prefix from up to 5 minutes in the future is fine.
        expect(verifyRoutePrefix(keyring, split!, at - (ageSeed % 301))).toEqual({ valid: true });
      }),
      RUNS,
    );
  });

  it('rotation: a prefix signed with an old key verifies while the key is listed, and not after', () => {
    fc.assert(
      fc.property(fc.uniqueArray(prefixKey, { selector: (k) => k.id, minLength: 2, maxLength: 4 }), backend, now, (keys, name, at) => {
        const [oldKey, ...newer] = keys as [PrefixKey, ...PrefixKey[]];
        const before = createKeyring([oldKey], 3600);
        const during = createKeyring([...newer, oldKey], 3600);
        const after = createKeyring(newer, 3600);
        const split = splitPrefixedPath(pathFor(before, name, at, '/v1/info'))!;
        expect(verifyRoutePrefix(during, split, at)).toEqual({ valid: true });
        expect(verifyRoutePrefix(after, split, at)).toEqual({ valid: false, reason: 'unknown_key' });
        // New prefixes are signed with the first key listed.
        expect(splitPrefixedPath(pathFor(during, name, at, '/'))?.keyId).toBe(newer[0]!.id);
      }),
      RUNS,
    );
  });

  it('outside the age window the prefix is refused as expired', () => {
    fc.assert(
      fc.property(prefixKey, backend, now, maxAge, fc.integer({ min: 1, max: 10_000_000 }), (key, name, at, max, beyond) => {
        const keyring = createKeyring([key], max);
        const split = splitPrefixedPath(pathFor(keyring, name, at, '/'))!;
        expect(verifyRoutePrefix(keyring, split, at + max + beyond)).toEqual({ valid: false, reason: 'expired' });
        expect(verifyRoutePrefix(keyring, split, at - 300 - beyond)).toEqual({ valid: false, reason: 'expired' });
      }),
      RUNS,
    );
  });
});

describe('route prefix tampering is always refused', () => {
  const prefixChars = fc.oneof(
    fc.constantFrom('a', 'A', 'z', '0', '9', '-', '_', '.', '/', '+', '=', '!', '%', '?', ' ', '~', 'é', '\u0000'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );

  it('one character replaced, inserted or deleted anywhere in the prefix never verifies', () => {
    fc.assert(
      fc.property(prefixKey, backend, now, fc.array(edit(prefixChars), { minLength: 1, maxLength: 3 }), (key, name, at, edits) => {
        const keyring = createKeyring([key], 3600);
        const prefix = signRoutePrefix(keyring, name, at);
        const tampered = edits.reduce(applyEdit, prefix);
        fc.pre(tampered !== prefix);
        const split = splitPrefixedPath(`${tampered}/v1/statement/executing/20260101_000000_00001_abcde/y1/2`);
        if (split === undefined) return;
        // A '/' inserted right after the prefix changes the path behind it, not the prefix.
        const genuine = splitPrefixedPath(`${prefix}/`)!;
        fc.pre(!(['backend', 'keyId', 'issued', 'signature'] as const).every((part) => split[part] === genuine[part]));
        expect(verifyRoutePrefix(keyring, split, at).valid).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('another spelling of the genuine signature (padding, foreign characters, other last bits, base64 alphabet) is refused', () => {
    fc.assert(
      fc.property(prefixKey, backend, now, fc.constantFrom('pad', 'pad2', 'junk', 'lastbits', 'alphabet', 'space'), fc.nat(), (key, name, at, variant, seed) => {
        const keyring = createKeyring([key], 3600);
        const prefix = signRoutePrefix(keyring, name, at);
        const sig = prefix.slice(prefix.lastIndexOf('.') + 1);
        const head = prefix.slice(0, prefix.length - sig.length);
        const i = seed % sig.length;
        const lastBitsAlternative = (): string => {
          // 16 bytes in 22 base64url characters: the last one carries 2 bits; its low 4 bits are padding.
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          const last = alphabet.indexOf(sig.at(-1)!);
          return sig.slice(0, -1) + alphabet[(last & ~15) | ((last + 1 + (seed % 15)) & 15)]!;
        };
        const respelled = {
          pad: `${sig}=`,
          pad2: `${sig}==`,
          junk: `${sig.slice(0, i)}!${sig.slice(i)}`,
          lastbits: lastBitsAlternative(),
          alphabet: sig.replaceAll('-', '+').replaceAll('_', '/'),
          space: `${sig.slice(0, i)} ${sig.slice(i)}`,
        }[variant];
        fc.pre(respelled !== sig);
        // Same bytes for a lenient decoder: this is the case a byte comparison would let through.
        expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(sig, 'base64url')) || variant === 'alphabet' || variant === 'junk').toBe(true);
        const split = splitPrefixedPath(`${head}${respelled}/v1/info`);
        if (split === undefined) return;
        expect(verifyRoutePrefix(keyring, split, at)).toMatchObject({ valid: false });
      }),
      RUNS,
    );
  });

  it('a genuine prefix re-pointed at another backend is refused', () => {
    fc.assert(
      fc.property(prefixKey, backend, backend, now, (key, owner, other, at) => {
        fc.pre(owner !== other);
        const keyring = createKeyring([key], 3600);
        const path = pathFor(keyring, owner, at, '/v1/info').replace(`${ROUTE_PREFIX_ROOT}${owner}/`, `${ROUTE_PREFIX_ROOT}${other}/`);
        expect(verifyRoutePrefix(keyring, splitPrefixedPath(path)!, at)).toEqual({ valid: false, reason: 'bad_signature' });
      }),
      RUNS,
    );
  });

  it('random prefixes never verify', () => {
    const token = fc.tuple(keyId, fc.stringMatching(/^[0-9a-z]{1,11}$/), fc.stringMatching(/^[A-Za-z0-9_-]{0,30}$/));
    fc.assert(
      fc.property(prefixKey, backend, token, now, (key, name, [kid, issued, sig], at) => {
        const keyring = createKeyring([key, { id: kid === key.id ? `${kid.slice(0, 15)}x` : kid, secret: key.secret }], 10 ** 9);
        const split = splitPrefixedPath(`${ROUTE_PREFIX_ROOT}${name}/${kid}.${issued}.${sig}/v1/info`)!;
        expect(verifyRoutePrefix(keyring, split, at).valid).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('splitting is total and lossless', () => {
  it('any string either is no prefixed path, or its parts put back together give the string', () => {
    const pathish = fc.oneof(
      hostileString(60),
      fc.string({ unit: fc.constantFrom('/', '_tr', '.', 'a', '', '?', '%2F'), maxLength: 20 }).map((s) => `${ROUTE_PREFIX_ROOT}${s}`),
    );
    fc.assert(
      fc.property(pathish, (path) => {
        const split = splitPrefixedPath(path);
        if (split === undefined) return;
        expect(`${ROUTE_PREFIX_ROOT}${split.backend}/${split.keyId}.${split.issued}.${split.signature}${split.rest}`).toBe(path);
        expect(split.rest.startsWith('/')).toBe(true);
        const keyring = createKeyring([{ id: 'k1', secret: 'a-secret-long-enough-for-tests-hmac' }], 3600);
        expect(() => verifyRoutePrefix(keyring, split, 0)).not.toThrow();
      }),
      MANY_RUNS,
    );
  });
});
