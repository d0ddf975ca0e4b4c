/** The router's web UI session cookie (src/stickiness/ui-session.ts): signed, rotated, expiring, never a prefix. */
import { describe, expect, it } from 'vitest';
import { createKeyring, signRoutePrefix } from '../../../src/stickiness/route-prefix.js';
import { signUiSession, uiSessionSetCookie, verifyUiSession } from '../../../src/stickiness/ui-session.js';

const NOW = 1_800_000_000;
const old = { id: 'k0', secret: 'the-previous-key-long-enough-for-hmac' };
const current = { id: 'k1', secret: 'the-current-key-long-enough-for-hmac-sha' };
const keyring = createKeyring([current, old], 3600);

describe('UI session cookie', () => {
  it('names its cluster (dots in the name too) and verifies under the current and previous keys', () => {
    expect(verifyUiSession(keyring, signUiSession(keyring, 'trino.a-1', NOW), NOW + 10)).toEqual({ valid: true, backend: 'trino.a-1' });
    const before = createKeyring([old], 3600);
    expect(verifyUiSession(keyring, signUiSession(before, 'trino-b', NOW), NOW)).toEqual({ valid: true, backend: 'trino-b' });
  });

  it('refuses edits, other keys, age past the prefix max age, and garbage', () => {
    const genuine = signUiSession(keyring, 'trino-a', NOW);
    expect(verifyUiSession(keyring, genuine.replace(/trino-a$/, 'trino-b'), NOW)).toEqual({ valid: false, reason: 'bad_signature' });
    expect(verifyUiSession(keyring, genuine, NOW + 3601)).toEqual({ valid: false, reason: 'expired' });
    const stranger = createKeyring([{ id: 'k1', secret: 'somebody-elses-key-long-enough-for-hmac' }], 3600);
    expect(verifyUiSession(keyring, signUiSession(stranger, 'trino-a', NOW), NOW)).toEqual({ valid: false, reason: 'bad_signature' });
    expect(verifyUiSession(keyring, signUiSession(createKeyring([{ id: 'k9', secret: current.secret }], 3600), 'trino-a', NOW), NOW))
      .toEqual({ valid: false, reason: 'unknown_key' });
    for (const garbage of ['', 'x', 'k1.', 'k1.abc.sig', 'k1.ABC.sig.trino-a', 'k1.abc.sig.trino a', 'k1.abc.sig.', '...', 'k1.%%.s.b']) {
      expect(verifyUiSession(keyring, garbage, NOW).valid, garbage).toBe(false);
    }
  });

  it('a genuine route prefix signature does not pass as a UI session (purpose-bound)', () => {
    const prefix = signRoutePrefix(keyring, 'trino-a', NOW); // /_tr/trino-a/k1.<issued>.<sig>
    const [kid, issued, sig] = prefix.split('/')[3]!.split('.');
    expect(verifyUiSession(keyring, `${kid}.${issued}.${sig}.trino-a`, NOW)).toEqual({ valid: false, reason: 'bad_signature' });
  });

  it('the Set-Cookie line: path /ui, HttpOnly, its max age, Secure over https', () => {
    expect(uiSessionSetCookie(keyring, 'trino-a', NOW, true)).toMatch(/^trino_router_ui=k1\.[0-9a-z]+\.[\w-]+\.trino-a; Path=\/ui; Max-Age=3600; HttpOnly; SameSite=Lax; Secure$/);
    expect(uiSessionSetCookie(keyring, 'trino-a', NOW, false)).not.toContain('Secure');
  });
});
