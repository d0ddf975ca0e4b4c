/**
 * A held submission at rest: the client's headers (credentials included) and body, sealed with
 * AES-256-GCM under a key derived from the prefix keys (HKDF-SHA256, one key per key id), so
 * the store holds only ciphertext and the key id that opens it (rotation: every verifying
 * prefix key still opens what it sealed). Any replica with the same keys can open it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { PrefixKey, PrefixKeyring } from '../stickiness/route-prefix.js';
import type { HeaderList } from '../trino/header-list.js';

/** What the dispatcher needs to submit the query as the client did. */
export interface HeldRequest {
  readonly headers: HeaderList;
  readonly body: Uint8Array;
  /** `proto://authority` the client used: the cluster builds its URIs for it. */
  readonly origin: string;
}

export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

const IV_BYTES = 12;
const derived = new WeakMap<PrefixKey, Buffer>();

function keyOf(key: PrefixKey): Buffer {
  let bytes = derived.get(key);
  if (bytes === undefined) {
    bytes = Buffer.from(hkdfSync('sha256', key.secret, 'trino-envoy-router queue', key.id, 32));
    derived.set(key, bytes);
  }
  return bytes;
}

/** `kid.iv.tag.ciphertext`, base64url parts; the key id is bound as additional data. */
export function sealRequest(keyring: PrefixKeyring, request: HeldRequest): string {
  const key = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(key), iv);
  cipher.setAAD(Buffer.from(key.id, 'utf8'));
  const plain = Buffer.from(JSON.stringify({ h: request.headers, b: Buffer.from(request.body).toString('base64'), o: request.origin }), 'utf8');
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return [key.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
}

export function openRequest(keyring: PrefixKeyring, sealed: string): HeldRequest {
  const [keyId, iv, tag, data, extra] = sealed.split('.');
  if (keyId === undefined || iv === undefined || tag === undefined || data === undefined || extra !== undefined) throw new SealError('malformed sealed request');
  const key = keyring.verifiers.get(keyId);
  if (key === undefined) throw new SealError(`sealed with key ${keyId}, which this router no longer has (routing.prefix.keys)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(key), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
    const parsed = JSON.parse(plain.toString('utf8')) as { h: [string, string][]; b: string; o: string };
    return { headers: parsed.h, body: Buffer.from(parsed.b, 'base64'), origin: parsed.o };
  } catch {
    throw new SealError(`the sealed request does not open with key ${keyId} (tampered with, or the key changed)`);
  }
}
