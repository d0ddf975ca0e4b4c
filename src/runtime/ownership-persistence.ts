/**
 * Ownership that survives restarts and is shared by replicas on one store: the in-memory
 * index is restored from SQLite at start, every change is written behind in batches, a timer
 * pulls what other replicas wrote to the same store, and retention is enforced in both.
 * All disk work happens on timers, never on the request path.
 */
import type { Logger } from 'pino';
import { OwnershipIndex, type OwnershipLimits } from '../stickiness/ownership.js';
import { OwnershipJournal } from '../stickiness/ownership-journal.js';
import { ownershipStoreSink } from '../stickiness/ownership-store-sink.js';
import type { OwnershipRepository } from '../store/ownership-repository.js';

export interface OwnershipPersistenceOptions {
  readonly repository: OwnershipRepository;
  readonly limits: OwnershipLimits;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly now: () => number;
  /** How often to pull other replicas' writes; 0 turns it off. */
  readonly syncIntervalMs: number;
  readonly pruneIntervalMs: number;
}

export interface OwnershipPersistence {
  readonly index: OwnershipIndex;
  readonly journal: OwnershipJournal;
  /** Pulls entries other replicas wrote since the last pull. */
  sync(): void;
  /** Flushes pending writes and stops the timers. */
  close(): void;
}

/** Entries a replica writes reach the store up to a flush interval late; pull with overlap. */
const SYNC_OVERLAP_MS = 10_000;

export function startOwnershipPersistence(options: OwnershipPersistenceOptions): OwnershipPersistence {
  const { repository, limits, logger, now } = options;
  const journal = new OwnershipJournal(ownershipStoreSink(repository), {
    flushed: () => {},
    failed: (error, pending) => logger.error({ err: error, pending }, 'could not persist query ownership; will retry (routing continues from memory)'),
  });
  const index = new OwnershipIndex(limits, (change) => journal.append(change));

  const startedAt = now();
  index.restore({
    queries: repository.loadRecentQueryOwners(startedAt - limits.retentionMs, limits.maxQueries),
    coordinators: repository.listCoordinators(),
    transactions: repository.listTransactions(),
  });
  const restored = index.sizes();
  logger.info({ ...restored }, 'query ownership restored from the store');

  let lastSync = startedAt;
  const sync = (): void => {
    const at = now();
    // Our own pending changes first, so the store's view includes them.
    if (!journal.flush()) return;
    try {
      index.restore({
        queries: repository.loadRecentQueryOwners(lastSync - SYNC_OVERLAP_MS, limits.maxQueries),
        coordinators: repository.listCoordinators(),
      });
      index.replaceTransactions(repository.listTransactions());
      lastSync = at;
    } catch (error) {
      logger.warn({ err: error }, 'could not read ownership written by other replicas; will retry');
    }
  };

  const prune = (): void => {
    const at = now();
    index.prune(at);
    try {
      repository.prune({
        olderThan: at - limits.retentionMs,
        maxRows: limits.maxQueries,
        transactionsOlderThan: at - limits.transactionRetentionMs,
      });
    } catch (error) {
      logger.warn({ err: error }, 'could not prune the ownership tables; will retry');
    }
  };

  const syncTimer = options.syncIntervalMs > 0 ? setInterval(sync, options.syncIntervalMs) : undefined;
  syncTimer?.unref();
  const pruneTimer = setInterval(prune, options.pruneIntervalMs);
  pruneTimer.unref();

  return {
    index,
    journal,
    sync,
    close() {
      if (syncTimer !== undefined) clearInterval(syncTimer);
      clearInterval(pruneTimer);
      journal.flush();
    },
  };
}
