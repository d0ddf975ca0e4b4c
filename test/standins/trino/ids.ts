/**
 * Identifiers a Trino coordinator hands out: coordinator ids, query ids, slugs, spooled segment
 * ids and transaction ids. Formats follow Trino so code that parses them (a router learning
 * which coordinator owns a query) sees what it would see in production.
 */
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';

/** a-z and 2-9 without l, o, 0, 1: 32 symbols that cannot be misread. */
export const COORDINATOR_ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const COORDINATOR_ID_PATTERN = /^[a-km-np-z2-9]{5}$/;

export function randomCoordinatorId(): string {
  let id = '';
  for (let i = 0; i < 5; i++) id += COORDINATOR_ID_ALPHABET.charAt(randomInt(COORDINATOR_ID_ALPHABET.length));
  return id;
}

export function isValidCoordinatorId(id: string): boolean {
  return COORDINATOR_ID_PATTERN.test(id);
}

/** Trino accepts query ids made of lower-case letters, digits and underscores. */
export function isValidQueryId(id: string): boolean {
  return /^[a-z0-9_]+$/.test(id);
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/** yyyyMMdd_HHmmss in UTC. */
function utcStamp(millis: number): string {
  const d = new Date(millis);
  return `${d.getUTCFullYear()}${twoDigits(d.getUTCMonth() + 1)}${twoDigits(d.getUTCDate())}` +
    `_${twoDigits(d.getUTCHours())}${twoDigits(d.getUTCMinutes())}${twoDigits(d.getUTCSeconds())}`;
}

const MILLIS_PER_DAY = 86_400_000;

/** Query ids `yyyyMMdd_HHmmss_NNNNN_<coordinatorId>`; the counter restarts each UTC day. */
export class QueryIdGenerator {
  private counter = 0;
  private day = -1;

  constructor(public coordinatorId: string, private readonly clock: () => number = Date.now) {}

  next(): string {
    const now = this.clock();
    const day = Math.floor(now / MILLIS_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      this.counter = 0;
    }
    // Trino waits for the next second after 100,000 ids; a stand-in never gets there, so wrap.
    if (this.counter > 99_999) this.counter = 0;
    const sequence = String(this.counter++).padStart(5, '0');
    return `${utcStamp(now)}_${sequence}_${this.coordinatorId}`;
  }
}

export type SlugContext = 'QUEUED_QUERY' | 'EXECUTING_QUERY';
const SLUG_CONTEXT_ORDINAL: Record<SlugContext, number> = { QUEUED_QUERY: 0, EXECUTING_QUERY: 1 };

/**
 * Per-query secret that signs each (path kind, token) pair, as Trino's Slug does: "y" + the hex
 * HMAC-SHA1 of the context ordinal and the token (little-endian, as Guava hashers write them).
 * Only the coordinator that created the query can tell a valid follow-up URL from a forged one.
 */
export class Slug {
  private readonly key = randomBytes(16);

  make(context: SlugContext, token: number): string {
    const message = Buffer.alloc(12);
    message.writeInt32LE(SLUG_CONTEXT_ORDINAL[context], 0);
    message.writeBigInt64LE(BigInt(token), 4);
    return 'y' + createHmac('sha1', this.key).update(message).digest('hex');
  }

  isValid(context: SlugContext, slug: string, token: number): boolean {
    return this.make(context, token) === slug;
  }
}

/** Opaque, like Trino's encrypted segment handles: it must not reveal the query id. */
export function newSegmentId(): string {
  return randomBytes(24).toString('base64url');
}

export function newTransactionId(): string {
  return randomUUID();
}

export function newNodeId(): string {
  return randomUUID();
}
