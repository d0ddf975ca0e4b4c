/**
 * Ownership that survives restarts and is shared by replicas on one store: the in-memory
 * index is restored from the store at start, every change is written behind in batches, a
 * timer pulls what other replicas wrote, and retention is enforced in both. All store work
 * happens on timers, never on the request path; a store that fails costs retries, not routing.
 */
import type { Logger } from 'pino';
import { DEFAULT_LOGIN_FLOW_RETENTION_MS, DEFAULT_MAX_LOGIN_FLOWS, OwnershipIndex, type OwnershipLimits } from './ownership.js';
import { OwnershipJournal } from './ownership-journal.js';
import type { OwnershipStore } from './ownership-store.js';

export interface OwnershipPersistenceOptions {
  readonly store: OwnershipStore;
  readonly limits: OwnershipLimits;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  readonly now: () => number;
  /** How often to pull other replicas' writes; 0 turns it off. */
  readonly syncIntervalMs: number;
  readonly pruneIntervalMs: number;
}

export interface OwnershipPersistence {
  readonly index: OwnershipIndex;
  readonly journal: OwnershipJournal;
  /** Writes our pending changes, then pulls entries other replicas wrote since the last pull. */
  sync(): Promise<void>;
  /**
   * A login flow this replica does not know, asked of the store (learned when found and still
   * within the challenge timeout); undefined when unknown or the store cannot answer.
   */
  findLoginFlow(authIdHash: string): Promise<string | undefined>;
  /** Flushes pending writes and stops the timers. */
  close(): Promise<void>;
}

/** How long a replica waits before asking the store about an unknown login flow a second time. */
const LOGIN_FLOW_RETRY_MS = 150;

/** Entries a replica writes reach the store up to a flush interval late; pull with overlap. */
const SYNC_OVERLAP_MS = 10_000;

export async function startOwnershipPersistence(options: OwnershipPersistenceOptions): Promise<OwnershipPersistence> {
  const { store, limits, logger, now } = options;
  // An outage is logged when it starts and when it ends, not at every retry.
  let failing = false;
  const journal = new OwnershipJournal({ write: (changes) => store.applyChanges(changes) }, {
    flushed: (count) => {
      if (!failing) return;
      failing = false;
      logger.info({ written: count }, 'query ownership is being persisted again');
    },
    failed: (error, pending) => {
      if (failing) logger.debug({ err: error, pending }, 'query ownership still cannot be persisted');
      else logger.error({ err: error, pending }, 'could not persist query ownership; will retry (routing continues from memory)');
      failing = true;
    },
  });
  const index = new OwnershipIndex(limits, (change) => {
    journal.append(change);
    // A login's next step may reach another replica milliseconds after the challenge: written now, not with the next batch.
    if (change.kind === 'login_flow') void journal.flush();
  });

  const startedAt = now();
  const loginFlowRetentionMs = limits.loginFlowRetentionMs ?? DEFAULT_LOGIN_FLOW_RETENTION_MS;
  const maxLoginFlows = limits.maxLoginFlows ?? DEFAULT_MAX_LOGIN_FLOWS;
  const [queries, coordinators, transactions, loginFlows] = await Promise.all([
    store.loadRecentQueryOwners(startedAt - limits.retentionMs, limits.maxQueries),
    store.listCoordinators(),
    store.listTransactions(),
    store.loadRecentLoginFlows(startedAt - loginFlowRetentionMs, maxLoginFlows),
  ]);
  index.restore({ queries, coordinators, transactions, loginFlows });
  logger.info({ ...index.sizes() }, 'query ownership restored from the store');

  let lastSync = startedAt;
  let syncing: Promise<void> | undefined;
  const pull = async (): Promise<void> => {
    const at = now();
    // Our own pending changes first, so the store's view includes them.
    if (!(await journal.flush())) return;
    try {
      const [recent, knownCoordinators, openTransactions] = await Promise.all([
        store.loadRecentQueryOwners(lastSync - SYNC_OVERLAP_MS, limits.maxQueries),
        store.listCoordinators(),
        store.listTransactions(),
      ]);
      index.restore({ queries: recent, coordinators: knownCoordinators });
      index.replaceTransactions(openTransactions);
      lastSync = at;
    } catch (error) {
      logger.warn({ err: error }, 'could not read ownership written by other replicas; will retry');
    }
  };
  const sync = (): Promise<void> => {
    syncing ??= pull().finally(() => {
      syncing = undefined;
    });
    return syncing;
  };

  const prune = async (): Promise<void> => {
    const at = now();
    index.prune(at);
    try {
      await store.prune({
        olderThan: at - limits.retentionMs,
        maxRows: limits.maxQueries,
        transactionsOlderThan: at - limits.transactionRetentionMs,
        loginFlowsOlderThan: at - loginFlowRetentionMs,
        maxLoginFlows,
      });
    } catch (error) {
      logger.warn({ err: error }, 'could not prune the ownership tables; will retry');
    }
  };

  const syncTimer = options.syncIntervalMs > 0 ? setInterval(() => void sync(), options.syncIntervalMs) : undefined;
  syncTimer?.unref();
  const pruneTimer = setInterval(() => void prune(), options.pruneIntervalMs);
  pruneTimer.unref();

  const findLoginFlow = async (authIdHash: string): Promise<string | undefined> => {
    try {
      let found = await store.findLoginFlow(authIdHash);
      // The replica that saw the challenge may still be writing it: one more look, a moment later.
      if (found === undefined) {
        await new Promise((resolve) => setTimeout(resolve, LOGIN_FLOW_RETRY_MS));
        found = await store.findLoginFlow(authIdHash);
      }
      if (found === undefined || !index.loginFlowCurrent(found.at, now())) return undefined;
      index.applyPeerChanges([{ kind: 'login_flow', ...found }]);
      return found.backend;
    } catch (error) {
      logger.warn({ err: error }, 'could not read a login flow from the store');
      return undefined;
    }
  };

  return {
    index,
    journal,
    sync,
    findLoginFlow,
    async close() {
      if (syncTimer !== undefined) clearInterval(syncTimer);
      clearInterval(pruneTimer);
      await syncing;
      await journal.close();
    },
  };
}
