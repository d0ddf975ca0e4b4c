/**
 * The query history: every routed query, kept in the store for the admin API. The request
 * path only appends to a write-behind buffer (one small object per query); a timer writes
 * batches in one transaction, and another prunes by age and row cap in bounded steps that
 * yield to the event loop between them, so pruning a backlog never stalls routing.
 */
import type { Logger } from 'pino';
import type { QuerySubmitted, SubmissionRefused } from '../routing/request-router.js';
import { WriteBehind, type WriteBehindStats } from '../runtime/write-behind.js';
import type { QueryHistoryFilter, QueryHistorySource, QueryRecord } from './query-record.js';
import { refusalRecord, toQueryRecord } from './to-query-record.js';

/** What the history needs of the store (QueryHistoryRepository in production). */
export interface QueryHistoryStore {
  /** Appends a batch atomically (a query already recorded keeps its first row); resolves to how many were new. */
  append(records: readonly QueryRecord[]): Promise<number>;
  /** Newest first. Throws InvalidHistoryFilterError on a bad filter. */
  list(filter: QueryHistoryFilter): Promise<readonly QueryRecord[]>;
  /** Deletes at most `limit` rows past retention or beyond the cap. */
  prune(options: { olderThan: number; maxRows: number; limit: number }): Promise<HistoryPruneCounts>;
}

export interface HistoryPruneCounts {
  /** Rows deleted for being older than the retention period. */
  readonly retention: number;
  /** Rows deleted for being beyond the row cap. */
  readonly cap: number;
}

export interface HistoryRetention {
  readonly retentionDays: number;
  readonly maxRows: number;
}

export interface QueryHistoryOptions {
  readonly store: QueryHistoryStore;
  readonly retention: HistoryRetention;
  readonly logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  readonly now: () => number;
  /** Default 250 ms: history may lag a little more than ownership, in bigger batches. */
  readonly flushIntervalMs?: number;
  /** Default 60 s; 0 runs no timer (prune() still works). */
  readonly pruneIntervalMs?: number;
  /** Unwritten records kept during a store outage. Default 50,000. */
  readonly maxPending?: number;
  /** Rows deleted per step. Default 5,000 (a few ms of SQLite work). */
  readonly pruneStepRows?: number;
}

const DAY_MS = 86_400_000;

export class QueryHistory implements QueryHistorySource {
  private readonly writer: WriteBehind<QueryRecord>;
  private readonly store: QueryHistoryStore;
  private readonly options: QueryHistoryOptions;
  private readonly pruneStepRows: number;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<HistoryPruneCounts> | undefined;
  private pruned = { retention: 0, cap: 0 };
  /** Set while writes fail, so an outage is logged when it starts and ends, not per retry. */
  private failing = false;
  private closed = false;

  constructor(options: QueryHistoryOptions) {
    this.options = options;
    this.store = options.store;
    this.pruneStepRows = Math.max(1, Math.floor(options.pruneStepRows ?? 5_000));
    const { logger } = options;
    this.writer = new WriteBehind<QueryRecord>(
      { write: (batch) => this.store.append(batch) },
      {
        flushed: (count) => {
          if (!this.failing) return;
          this.failing = false;
          logger.info({ written: count }, 'query history is being written again');
        },
        failed: (error, pending) => {
          if (this.failing) {
            logger.debug({ err: error, pending }, 'query history write failed again');
            return;
          }
          this.failing = true;
          logger.error({ err: error, pending }, 'could not write query history; will retry (routing is not affected)');
        },
      },
      { flushIntervalMs: options.flushIntervalMs ?? 250, maxPending: options.maxPending ?? 50_000 },
    );
  }

  /** Starts the prune timer and prunes once now (a restart after a long stop catches up). */
  start(): this {
    const interval = this.options.pruneIntervalMs ?? 60_000;
    if (interval > 0 && this.pruneTimer === undefined) {
      this.pruneTimer = setInterval(() => void this.prune(), interval);
      this.pruneTimer.unref();
    }
    void this.prune();
    return this;
  }

  /** The query listener (request path): converts and buffers, no I/O. */
  readonly record = (query: QuerySubmitted): void => {
    this.writer.append(toQueryRecord(query));
  };

  /** The refusal listener (request path), likewise. */
  readonly recordRefusal = (refusal: SubmissionRefused): void => {
    this.writer.append(refusalRecord(refusal));
  };

  /** Newest first; what is still buffered is written first, so a listing includes it. */
  async list(filter: QueryHistoryFilter): Promise<readonly QueryRecord[]> {
    await this.writer.flush();
    return this.store.list(filter);
  }

  /** Writes buffered records now. Resolves to false if the store refused them (they are retried). */
  flush(): Promise<boolean> {
    return this.writer.flush();
  }

  /**
   * Deletes what is past retention or beyond the cap, a step at a time. Concurrent calls share
   * one run. Resolves to what this run deleted; failures are logged, never thrown.
   */
  prune(): Promise<HistoryPruneCounts> {
    this.pruning ??= this.pruneInSteps().finally(() => {
      this.pruning = undefined;
    });
    return this.pruning;
  }

  writerStats(): WriteBehindStats {
    return this.writer.stats();
  }

  /** Rows deleted since start, by cause. */
  prunedTotals(): HistoryPruneCounts {
    return { ...this.pruned };
  }

  /** Stops pruning and writes what is buffered; call before the store closes. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.pruning;
    if (!(await this.writer.close())) this.options.logger.warn({ lost: this.writer.pendingCount }, 'query history not written at shutdown');
  }

  private async pruneInSteps(): Promise<HistoryPruneCounts> {
    const { retention, logger, now } = this.options;
    let total = { retention: 0, cap: 0 };
    try {
      for (;;) {
        // Yield first: a step never runs inside the caller's turn of the event loop.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.closed) break;
        const step = await this.store.prune({
          olderThan: now() - retention.retentionDays * DAY_MS,
          maxRows: retention.maxRows,
          limit: this.pruneStepRows,
        });
        total = { retention: total.retention + step.retention, cap: total.cap + step.cap };
        this.pruned = { retention: this.pruned.retention + step.retention, cap: this.pruned.cap + step.cap };
        if (step.retention + step.cap < this.pruneStepRows) break;
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not prune the query history; will retry');
    }
    if (total.retention + total.cap > 0) logger.debug({ deleted: total }, 'query history pruned');
    return total;
  }
}
