/**
 * The router's own path for a queued query: `/_router/queue/<entry id>/<kid>.<sig>`, the
 * signature an HMAC of the entry id under the prefix keys (as route prefixes are signed), so
 * a client can neither guess another query's path nor craft one. Ids are 128 random bits.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PrefixKeyring } from '../stickiness/route-prefix.js';

export const QUEUE_ROOT = '/_router/queue/';
const ENTRY_ID = /^[A-Za-z0-9_-]{22}$/;

export function newEntryId(): string {
  return randomBytes(16).toString('base64url');
}

function signature(secret: string, id: string): string {
  return createHmac('sha256', secret).update('queue\n').update(id).digest().subarray(0, 16).toString('base64url');
}

export function queuePath(keyring: PrefixKeyring, id: string): string {
  return `${QUEUE_ROOT}${id}/${keyring.current.id}.${signature(keyring.current.secret, id)}`;
}

export type QueuePathVerdict =
  | { readonly valid: true; readonly id: string }
  | { readonly valid: false; readonly reason: 'malformed' | 'unknown_key' | 'bad_signature' };

/** The entry a router queue path names, if its signature holds (query string ignored). */
export function verifyQueuePath(keyring: PrefixKeyring, path: string): QueuePathVerdict {
  if (!path.startsWith(QUEUE_ROOT)) return { valid: false, reason: 'malformed' };
  const [id, token, extra] = path.slice(QUEUE_ROOT.length).split(/[?#]/, 1)[0]!.split('/');
  if (id === undefined || token === undefined || extra !== undefined || !ENTRY_ID.test(id)) return { valid: false, reason: 'malformed' };
  const [keyId, sig, more] = token.split('.');
  if (keyId === undefined || sig === undefined || more !== undefined) return { valid: false, reason: 'malformed' };
  const key = keyring.verifiers.get(keyId);
  if (key === undefined) return { valid: false, reason: 'unknown_key' };
  const given = Buffer.from(sig, 'utf8');
  const expected = Buffer.from(signature(key.secret, id), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { valid: false, reason: 'bad_signature' };
  return { valid: true, id };
}
