/**
 * Spooled result segments (Trino's spooling protocol): pages stored by the coordinator and
 * fetched by the client from `/v1/spooled/download/{id}`, then acknowledged (and deleted) with
 * `/v1/spooled/ack/{id}`. Segment ids are opaque and carry no query id, as in Trino, so a
 * router cannot learn the owner from the path: it needs the prefix in the URI.
 */
import { newSegmentId } from './ids.js';
import type { Row } from './plan.js';

/** How long Trino keeps an unacknowledged segment by default. */
const SEGMENT_TTL_MS = 12 * 60 * 60 * 1000;

export interface SegmentRef {
  readonly id: string;
  readonly rowOffset: number;
  readonly rowsCount: number;
  readonly segmentSize: number;
  readonly expiresAt: string;
}

interface StoredSegment extends SegmentRef {
  readonly queryId: string;
  readonly bytes: Buffer;
}

export class SegmentStore {
  private readonly segments = new Map<string, StoredSegment>();

  create(queryId: string, rowOffset: number, rows: readonly Row[]): SegmentRef {
    const bytes = Buffer.from(JSON.stringify(rows));
    const segment: StoredSegment = {
      id: newSegmentId(),
      queryId,
      bytes,
      rowOffset,
      rowsCount: rows.length,
      segmentSize: bytes.length,
      expiresAt: new Date(Date.now() + SEGMENT_TTL_MS).toISOString(),
    };
    this.segments.set(segment.id, segment);
    return segment;
  }

  /** The query a segment belongs to, for per-query request counts. */
  ownerOf(id: string): string | undefined {
    return this.segments.get(id)?.queryId;
  }

  content(id: string): Buffer | undefined {
    return this.segments.get(id)?.bytes;
  }

  acknowledge(id: string): boolean {
    return this.segments.delete(id);
  }

  clear(): void {
    this.segments.clear();
  }
}
