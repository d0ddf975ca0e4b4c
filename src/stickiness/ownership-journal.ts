/**
 * Write-behind persistence of ownership changes: the generic write-behind batcher
 * (runtime/write-behind.ts) over OwnershipChange. The request path only appends; a timer
 * flushes batches to the store in one transaction. A failed write is retried with the next
 * batch and reported, and routing goes on from memory meanwhile.
 */
import { WriteBehind, type BatchSink, type WriteBehindObserver } from '../runtime/write-behind.js';
import type { OwnershipChange } from './ownership.js';

export type OwnershipSink = BatchSink<OwnershipChange>;

export type JournalObserver = WriteBehindObserver;

export class OwnershipJournal extends WriteBehind<OwnershipChange> {
  constructor(
    sink: OwnershipSink,
    observer: JournalObserver,
    flushIntervalMs = 100,
    /** Beyond this many unwritten changes the oldest are dropped (memory still has them). */
    maxPending = 100_000,
  ) {
    super(sink, observer, { flushIntervalMs, maxPending });
  }
}
