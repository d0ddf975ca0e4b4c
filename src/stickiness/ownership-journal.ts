/**
 * Write-behind persistence of ownership changes. The request path only appends to an array;
 * a timer flushes batches to the store in one transaction. A failed write is retried with the
 * next batch and reported, and routing goes on from memory meanwhile.
 */
import type { OwnershipChange } from './ownership.js';

export interface OwnershipSink {
  /** Persists a batch atomically; throws on failure. */
  write(changes: readonly OwnershipChange[]): void;
}

export interface JournalObserver {
  flushed(count: number): void;
  failed(error: unknown, pending: number): void;
}

export class OwnershipJournal {
  private pending: OwnershipChange[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: OwnershipSink,
    private readonly observer: JournalObserver,
    private readonly flushIntervalMs = 100,
    /** Beyond this many unwritten changes the oldest are dropped (memory still has them). */
    private readonly maxPending = 100_000,
  ) {}

  append(change: OwnershipChange): void {
    this.pending.push(change);
    if (this.pending.length > this.maxPending) this.pending.splice(0, this.pending.length - this.maxPending);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes everything pending now. Returns false if the store refused it. */
  flush(): boolean {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return true;
    const batch = this.pending;
    this.pending = [];
    try {
      this.sink.write(batch);
      this.observer.flushed(batch.length);
      return true;
    } catch (error) {
      this.pending = batch.concat(this.pending);
      this.observer.failed(error, this.pending.length);
      this.timer = setTimeout(() => this.flush(), Math.max(this.flushIntervalMs, 1000));
      this.timer.unref();
      return false;
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }
}
