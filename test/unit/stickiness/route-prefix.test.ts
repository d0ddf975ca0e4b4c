import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createKeyring,
  signRoutePrefix,
  splitPrefixedPath,
  verifyRoutePrefix,
} from '../../../src/stickiness/route-prefix.js';

const now = 1_790_000_000;
const keyring = createKeyring([{ id: 'k2', secret: 'second-secret-of-enough-length-32b' }, { id: 'k1', secret: 'first-secret-of-enough-length-32b' }], 86_400);

function prefixed(prefix: string, rest = '/v1/statement/executing/20261122_101010_00001_abcde/y/1') {
  const split = splitPrefixedPath(prefix + rest);
  if (split === undefined) throw new Error('not a prefixed path');
  return split;
}

describe('route prefixes', () => {
  it('a signed prefix verifies and strips to the coordinator path', () => {
    const prefix = signRoutePrefix(keyring, 'trino-a', now);
    const split = prefixed(prefix);
    expect(split.backend).toBe('trino-a');
    expect(split.rest).toBe('/v1/statement/executing/20261122_101010_00001_abcde/y/1');
    expect(verifyRoutePrefix(keyring, split, now + 10)).toEqual({ valid: true });
  });

  it('a prefix signed with a retired-but-listed key still verifies (rotation)', () => {
    const old = createKeyring([{ id: 'k1', secret: 'first-secret-of-enough-length-32b' }], 86_400);
    expect(verifyRoutePrefix(keyring, prefixed(signRoutePrefix(old, 'b', now)), now)).toEqual({ valid: true });
  });

  it('a prefix verified before is judged exactly as the first time: forgeries, other keys and expiry included', () => {
    const ring = createKeyring([{ id: 'k1', secret: 'first-secret-of-enough-length-32b' }], 3600);
    const prefix = signRoutePrefix(ring, 'trino-a', now);
    for (let i = 0; i < 3; i++) expect(verifyRoutePrefix(ring, prefixed(prefix), now)).toEqual({ valid: true });
    // Same key id, backend and issue time, another signature: still refused.
    const sig = prefix.slice(prefix.lastIndexOf('.') + 1);
    const forged = prefix.slice(0, prefix.lastIndexOf('.') + 1) + (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(verifyRoutePrefix(ring, prefixed(forged), now)).toEqual({ valid: false, reason: 'bad_signature' });
    expect(verifyRoutePrefix(ring, prefixed(`${prefix}x`), now)).toEqual({ valid: false, reason: 'bad_signature' });
    // Age is checked on every request.
    expect(verifyRoutePrefix(ring, prefixed(prefix), now + 3601)).toEqual({ valid: false, reason: 'expired' });
    // A keyring with another secret under the same key id knows nothing the first one verified.
    const replaced = createKeyring([{ id: 'k1', secret: 'a-replacement-secret-value-of-32-bytes' }], 3600);
    expect(verifyRoutePrefix(replaced, prefixed(prefix), now)).toEqual({ valid: false, reason: 'bad_signature' });
    expect(verifyRoutePrefix(ring, prefixed(prefix), now)).toEqual({ valid: true });
  });

  it('a client cannot point a prefix at another cluster', () => {
    const prefix = signRoutePrefix(keyring, 'trino-a', now).replace('/trino-a/', '/trino-b/');
    expect(verifyRoutePrefix(keyring, prefixed(prefix), now)).toEqual({ valid: false, reason: 'bad_signature' });
  });

  it('unknown keys, expired and far-future prefixes are refused', () => {
    const other = createKeyring([{ id: 'k9', secret: 'some-other-secret-value-of-32-bytes' }], 86_400);
    expect(verifyRoutePrefix(keyring, prefixed(signRoutePrefix(other, 'a', now)), now)).toMatchObject({ reason: 'unknown_key' });
    expect(verifyRoutePrefix(keyring, prefixed(signRoutePrefix(keyring, 'a', now)), now + 86_401)).toMatchObject({ reason: 'expired' });
    expect(verifyRoutePrefix(keyring, prefixed(signRoutePrefix(keyring, 'a', now + 3600)), now)).toMatchObject({ reason: 'expired' });
  });

  it('paths that are not prefixed are left alone', () => {
    expect(splitPrefixedPath('/v1/statement')).toBeUndefined();
    expect(splitPrefixedPath('/_tr/a')).toBeUndefined();
    expect(splitPrefixedPath('/_tr/a/k1.x.y.z/v1/info')).toBeUndefined();
  });

  it('no random path verifies (property)', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (backend, token) => {
      const split = splitPrefixedPath(`/_tr/${backend}/${token}/v1/info`);
      if (split === undefined) return true;
      return verifyRoutePrefix(keyring, split, now).valid === false;
    }), { numRuns: 2000 });
  });
});
