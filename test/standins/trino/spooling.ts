/**
 * Spooled result segments (Trino's spooling protocol). Follows
 * core/trino-main/src/main/java/io/trino/server/protocol/spooling/SpoolingConfig.java,
 * SpoolingQueryDataProducer.java and CoordinatorSegmentResource.java:
 *
 * - a small page comes inline (`type: inline`, base64 data), whatever the retrieval mode;
 * - `storage` (Trino's default): the segment `uri` is the storage's pre-signed URL, fetched by
 *   the client straight from storage (never through the coordinator or a proxy in front of it);
 *   the coordinator's download path answers 503;
 * - `coordinator_storage_redirect`: the `uri` is the coordinator's `/v1/spooled/download/{id}`,
 *   answered with a 303 to the pre-signed storage URL;
 * - `coordinator_proxy`: the coordinator serves the bytes itself.
 *
 * In every mode the `ackUri` (`/v1/spooled/ack/{id}`) goes through the coordinator. Segment ids
 * are opaque and carry no query id, as in Trino, so a router cannot learn the owner from the
 * path: it needs the prefix in the URI. The stand-in's "storage" is a path on its own listener,
 * addressed directly (not through the request's forwarded origin), with an HMAC signature.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { newSegmentId } from './ids.js';
import type { Row } from './plan.js';

/** How long Trino keeps an unacknowledged segment by default. */
const SEGMENT_TTL_MS = 12 * 60 * 60 * 1000;

export type SpoolingMode = 'storage' | 'coordinator_storage_redirect' | 'coordinator_proxy';

export interface SpoolingSettings {
  readonly mode: SpoolingMode;
  /** A page with at most this many rows (and bytes) comes inline. */
  readonly inlineMaxRows: number;
  readonly inlineMaxBytes: number;
}

/** Trino's defaults: storage retrieval, pages up to 50,000 rows or 3 MB inline. */
export const DEFAULT_SPOOLING: SpoolingSettings = { mode: 'storage', inlineMaxRows: 50_000, inlineMaxBytes: 3 * 1024 * 1024 };

/** Where the stand-in's storage serves segments. */
export const STORAGE_PATH = '/_storage/spooled';

export interface SegmentRef {
  /** '' for an inline segment. */
  readonly id: string;
  readonly rowOffset: number;
  readonly rowsCount: number;
  readonly segmentSize: number;
  readonly expiresAt: string;
  /** The rows themselves, for an inline segment. */
  readonly inline?: Buffer;
  /** The pre-signed storage URL the client fetches (storage mode). */
  readonly directUri?: string;
}

interface StoredSegment {
  readonly queryId: string;
  readonly bytes: Buffer;
}

export class SegmentStore {
  private readonly segments = new Map<string, StoredSegment>();
  private readonly key = randomBytes(32);

  /**
   * A page of rows as the client gets it: inline when small, else stored. `storageOrigin` is
   * the storage's own address (scheme://host:port), used for pre-signed URLs.
   */
  create(queryId: string, rowOffset: number, rows: readonly Row[], settings: SpoolingSettings, storageOrigin: string): SegmentRef {
    const bytes = Buffer.from(JSON.stringify(rows));
    const common = { rowOffset, rowsCount: rows.length, segmentSize: bytes.length };
    if (rows.length <= settings.inlineMaxRows && bytes.length <= settings.inlineMaxBytes) {
      return { id: '', ...common, expiresAt: new Date(Date.now() + SEGMENT_TTL_MS).toISOString(), inline: bytes };
    }
    const id = newSegmentId();
    this.segments.set(id, { queryId, bytes });
    return {
      id,
      ...common,
      expiresAt: new Date(Date.now() + SEGMENT_TTL_MS).toISOString(),
      ...(settings.mode === 'storage' ? { directUri: this.directUri(id, storageOrigin) } : {}),
    };
  }

  /** The pre-signed storage URL of a stored segment. */
  directUri(id: string, storageOrigin: string): string {
    return `${storageOrigin}${STORAGE_PATH}/${id}?signature=${this.sign(id)}`;
  }

  /** What storage answers for a pre-signed URL: the bytes, or undefined (unknown or bad signature). */
  fromStorage(id: string, signature: string | null): Buffer | undefined {
    if (signature === null) return undefined;
    const expected = Buffer.from(this.sign(id));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    return this.content(id);
  }

  /** The query a segment belongs to, for per-query request counts. */
  ownerOf(id: string): string | undefined {
    return this.segments.get(id)?.queryId;
  }

  content(id: string): Buffer | undefined {
    return this.segments.get(id)?.bytes;
  }

  has(id: string): boolean {
    return this.segments.has(id);
  }

  acknowledge(id: string): boolean {
    return this.segments.delete(id);
  }

  clear(): void {
    this.segments.clear();
  }

  private sign(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('base64url');
  }
}
