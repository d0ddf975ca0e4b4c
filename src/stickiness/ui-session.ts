/**
 * The web UI session pin: a cookie the router signs naming the cluster a browser logged in
 * to. Trino's Trino-UI-Token is signed with web-ui.shared-secret or a random key per
 * coordinator process (server/ui/FormWebUiAuthenticationFilter.java), so without a shared
 * secret it is valid only where it was issued; the pin sends the browser's UI calls there.
 * Signed and rotated with the prefix keys (route-prefix.ts), valid as long as a prefix.
 *
 * Value: `<keyId>.<issued base36>.<signature>.<backend>` (backend names may hold dots, so it goes last).
 */
import { isBackendName, sameSignature, signFields, type PrefixKeyring } from './route-prefix.js';

export const UI_SESSION_COOKIE = 'trino_router_ui';
/** Keeps the cookie's signature from ever verifying as a route prefix, and the reverse. */
const PURPOSE = 'ui-session';

export type UiSessionVerdict =
  | { readonly valid: true; readonly backend: string }
  | { readonly valid: false; readonly reason: 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' };

export function signUiSession(keyring: PrefixKeyring, backend: string, nowSeconds: number): string {
  const issued = Math.floor(nowSeconds).toString(36);
  const key = keyring.current;
  return `${key.id}.${issued}.${signFields(key, [PURPOSE, backend, issued])}.${backend}`;
}

/** The Set-Cookie line of a pin (Path=/ui: Trino's own UI cookie path; gone when the prefix would expire). */
export function uiSessionSetCookie(keyring: PrefixKeyring, backend: string, nowSeconds: number, secure: boolean): string {
  const value = signUiSession(keyring, backend, nowSeconds);
  return `${UI_SESSION_COOKIE}=${value}; Path=/ui; Max-Age=${keyring.maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function verifyUiSession(keyring: PrefixKeyring, value: string, nowSeconds: number): UiSessionVerdict {
  const first = value.indexOf('.');
  const second = value.indexOf('.', first + 1);
  const third = value.indexOf('.', second + 1);
  if (first <= 0 || second < 0 || third < 0) return { valid: false, reason: 'malformed' };
  const keyId = value.slice(0, first);
  const issued = value.slice(first + 1, second);
  const signature = value.slice(second + 1, third);
  const backend = value.slice(third + 1);
  if (!/^[0-9a-z]{1,11}$/.test(issued) || !isBackendName(backend)) return { valid: false, reason: 'malformed' };
  const key = keyring.verifiers.get(keyId);
  if (key === undefined) return { valid: false, reason: 'unknown_key' };
  if (!sameSignature(signature, signFields(key, [PURPOSE, backend, issued]))) return { valid: false, reason: 'bad_signature' };
  const age = nowSeconds - parseInt(issued, 36);
  if (age > keyring.maxAgeSeconds || age < -300) return { valid: false, reason: 'expired' };
  return { valid: true, backend };
}
