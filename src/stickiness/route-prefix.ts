/**
 * Signed URL prefixes that name the cluster owning a query.
 *
 * On a submission the router sends `X-Forwarded-Prefix: /_tr/<backend>/<kid>.<issued>.<sig>`;
 * Trino 458+ (with http-server.process-forwarded=true) puts it in front of every URI it hands
 * the client (452-457 URL-escape its slashes, which breaks a multi-segment prefix), so each follow-up names its cluster and any router replica can route it without
 * shared state. The HMAC binds backend and issue time, so a client can neither craft a prefix
 * for a cluster of its choosing nor reuse one forever; follow-ups are re-signed with a fresh
 * time so a long query never outlives its prefix.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const ROUTE_PREFIX_ROOT = '/_tr/';
const SIGNATURE_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9]{1,16}$/;
const BACKEND_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export interface PrefixKey {
  readonly id: string;
  readonly secret: string;
}

export interface PrefixKeyring {
  /** Signs new prefixes. */
  readonly current: PrefixKey;
  /** Every key that verifies, the current one included (rotation). */
  readonly verifiers: ReadonlyMap<string, PrefixKey>;
  readonly maxAgeSeconds: number;
}

export function createKeyring(keys: readonly PrefixKey[], maxAgeSeconds: number): PrefixKeyring {
  const current = keys[0];
  if (current === undefined) throw new Error('a prefix keyring needs at least one key');
  for (const key of keys) {
    if (!KEY_ID.test(key.id)) throw new Error(`prefix key id ${JSON.stringify(key.id)} must be 1-16 letters or digits`);
  }
  return { current, verifiers: new Map(keys.map((k) => [k.id, k])), maxAgeSeconds };
}

function signature(key: PrefixKey, backend: string, issued: string): Buffer {
  return createHmac('sha256', key.secret).update(backend).update('\n').update(issued).digest().subarray(0, SIGNATURE_BYTES);
}

/**
 * The same HMAC over fields joined by newlines, for the router's other signed tokens (the UI
 * session cookie): a purpose as the first field keeps them from ever passing as a prefix.
 */
export function signFields(key: PrefixKey, fields: readonly string[]): string {
  return createHmac('sha256', key.secret).update(fields.join('\n')).digest().subarray(0, SIGNATURE_BYTES).toString('base64url');
}

/** Constant-time comparison of a given signature text with the expected one (canonical spelling only). */
export function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Backend names a signed token may carry. */
export function isBackendName(name: string): boolean {
  return BACKEND_NAME.test(name);
}

export function signRoutePrefix(keyring: PrefixKeyring, backend: string, nowSeconds: number): string {
  const issued = Math.floor(nowSeconds).toString(36);
  const sig = signature(keyring.current, backend, issued).toString('base64url');
  return `${ROUTE_PREFIX_ROOT}${backend}/${keyring.current.id}.${issued}.${sig}`;
}

/** A path that starts with a route prefix, split into its parts (not yet verified). */
export interface PrefixedPath {
  readonly backend: string;
  readonly keyId: string;
  readonly issued: string;
  readonly signature: string;
  /** The path the coordinator knows, with the prefix removed (starts with '/'). */
  readonly rest: string;
}

export function splitPrefixedPath(path: string): PrefixedPath | undefined {
  if (!path.startsWith(ROUTE_PREFIX_ROOT)) return undefined;
  const backendEnd = path.indexOf('/', ROUTE_PREFIX_ROOT.length);
  if (backendEnd < 0) return undefined;
  const tokenEnd = path.indexOf('/', backendEnd + 1);
  if (tokenEnd < 0) return undefined;
  const backend = path.slice(ROUTE_PREFIX_ROOT.length, backendEnd);
  const [keyId, issued, sig, extra] = path.slice(backendEnd + 1, tokenEnd).split('.');
  if (keyId === undefined || issued === undefined || sig === undefined || extra !== undefined) return undefined;
  return { backend, keyId, issued, signature: sig, rest: path.slice(tokenEnd) };
}

/**
 * The signatures of genuine prefixes verified lately, by keyring, then key id, backend and issue
 * time. An HMAC per follow-up was most of the prefix path's cost, while the polls of a query
 * carry the same prefix (follow-ups are re-signed once per backend per second). Looked up by
 * the prefix's public parts only and still compared in constant time, so nothing about the
 * secret leaks through the lookup; only prefixes that verified are remembered, so forged ones
 * can neither fill nor flush it. A new keyring (rotation) starts empty.
 */
const genuine = new WeakMap<PrefixKeyring, Map<string, string>>();
const GENUINE_SIGNATURES_MAX = 4096;

function genuineSignatures(keyring: PrefixKeyring): Map<string, string> {
  let memo = genuine.get(keyring);
  if (memo === undefined) genuine.set(keyring, (memo = new Map()));
  return memo;
}

export type PrefixVerdict =
  | { readonly valid: true }
  | { readonly valid: false; readonly reason: 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' };

export function verifyRoutePrefix(keyring: PrefixKeyring, prefix: PrefixedPath, nowSeconds: number): PrefixVerdict {
  if (!BACKEND_NAME.test(prefix.backend) || !/^[0-9a-z]{1,11}$/.test(prefix.issued)) {
    return { valid: false, reason: 'malformed' };
  }
  const key = keyring.verifiers.get(prefix.keyId);
  if (key === undefined) return { valid: false, reason: 'unknown_key' };
  const memo = genuineSignatures(keyring);
  const signed = `${prefix.keyId}\n${prefix.backend}\n${prefix.issued}`;
  const remembered = memo.get(signed);
  const expectedText = remembered ?? signature(key, prefix.backend, prefix.issued).toString('base64url');
  // Compared as text, not as decoded bytes: Node's base64 decoder skips characters outside the
  // alphabet, accepts padding and either alphabet, and ignores the last character's spare bits,
  // so many different strings decode to the genuine signature. Only its canonical spelling counts.
  const given = Buffer.from(prefix.signature, 'utf8');
  const expected = Buffer.from(expectedText, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'bad_signature' };
  }
  if (remembered === undefined) {
    if (memo.size >= GENUINE_SIGNATURES_MAX) memo.clear();
    memo.set(signed, expectedText);
  }
  const age = nowSeconds - parseInt(prefix.issued, 36);
  // A little clock skew between replicas is tolerated in the future direction.
  if (age > keyring.maxAgeSeconds || age < -300) return { valid: false, reason: 'expired' };
  return { valid: true };
}
