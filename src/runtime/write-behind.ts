/**
 * Write-behind batching, the one way the router persists what it learns on the request path
 * (query ownership, query history). The request path only appends to memory; a timer writes
 * everything pending to the sink in one call (one transaction). A failed write keeps the
 * batch and retries it with the next one; beyond `maxPending` unwritten items the oldest are
 * dropped, so a long store outage costs bounded memory and never blocks a request.
 */

export interface BatchSink<T> {
  /** Persists a batch atomically; throws or rejects on failure (the batch is then retried). */
  write(batch: readonly T[]): unknown;
}

/** Reports from the flushing side (timers, close), never from `append`. */
export interface WriteBehindObserver {
  flushed(count: number): void;
  failed(error: unknown, pending: number): void;
}

export interface WriteBehindOptions {
  /** How long an appended item may wait before the batch is written. Default 100 ms. */
  readonly flushIntervalMs?: number;
  /** Wait after a failed write before the next try. Default 1000 ms (at least flushIntervalMs). */
  readonly retryIntervalMs?: number;
  /** Unwritten items kept at most; the oldest beyond it are dropped. Default 100,000. */
  readonly maxPending?: number;
}

/** Cumulative counts since the writer was created, for metrics. */
export interface WriteBehindStats {
  readonly pending: number;
  readonly written: number;
  /** Writes the sink refused (each is retried). */
  readonly failures: number;
  /** Items given up on: over `maxPending`, or appended after close. */
  readonly dropped: number;
}

const DEFAULT_FLUSH_INTERVAL_MS = 100;
const DEFAULT_RETRY_INTERVAL_MS = 1000;
const DEFAULT_MAX_PENDING = 100_000;
/** Dropped slots at the head are compacted away once there are this many (amortised O(1)). */
const COMPACT_AFTER = 1024;

export class WriteBehind<T> {
  /** Pending items are `items[head..]`; dropping the oldest only moves `head`. */
  private items: T[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The write under way; a flush asked for meanwhile runs after it. */
  private writing: Promise<boolean> | undefined;
  private closed = false;
  private written = 0;
  private failures = 0;
  private dropped = 0;
  private readonly flushIntervalMs: number;
  private readonly retryIntervalMs: number;
  private readonly maxPending: number;

  constructor(
    private readonly sink: BatchSink<T>,
    private readonly observer: WriteBehindObserver,
    options: WriteBehindOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.retryIntervalMs = Math.max(this.flushIntervalMs, options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS);
    this.maxPending = Math.max(1, Math.floor(options.maxPending ?? DEFAULT_MAX_PENDING));
  }

  /** Request path: O(1), no I/O. */
  append(item: T): void {
    if (this.closed) {
      this.dropped++;
      return;
    }
    this.items.push(item);
    if (this.items.length - this.head > this.maxPending) this.dropOldest(1);
    if (this.timer === undefined) this.schedule(this.flushIntervalMs);
  }

  /**
   * Writes everything pending now (after the write under way, if any). Resolves to false if
   * the sink refused it (a retry is scheduled). Never rejects.
   */
  flush(): Promise<boolean> {
    this.cancelTimer();
    const previous = this.writing;
    const run: Promise<boolean> = (previous === undefined ? this.writeOnce() : previous.then(() => this.writeOnce()))
      .finally(() => {
        if (this.writing === run) this.writing = undefined;
      });
    this.writing = run;
    return run;
  }

  /** Flushes once more and stops: later appends are dropped. Resolves to false if that flush failed. */
  async close(): Promise<boolean> {
    this.closed = true;
    const flushed = await this.flush();
    this.cancelTimer();
    return flushed;
  }

  private async writeOnce(): Promise<boolean> {
    if (this.pendingCount === 0) return true;
    const batch = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    try {
      await this.sink.write(batch);
      this.written += batch.length;
      this.observer.flushed(batch.length);
      return true;
    } catch (error) {
      this.failures++;
      // The failed batch goes back in front: order is kept for the retry.
      this.items = batch.concat(this.items);
      const excess = this.items.length - this.maxPending;
      if (excess > 0) this.dropOldest(excess);
      this.observer.failed(error, this.pendingCount);
      if (!this.closed) this.schedule(this.retryIntervalMs);
      return false;
    }
  }

  get pendingCount(): number {
    return this.items.length - this.head;
  }

  stats(): WriteBehindStats {
    return { pending: this.pendingCount, written: this.written, failures: this.failures, dropped: this.dropped };
  }

  private dropOldest(count: number): void {
    this.head += count;
    this.dropped += count;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    // Pending writes never keep the process alive; close() flushes them on shutdown.
    this.timer.unref();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
