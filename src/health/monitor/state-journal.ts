/**
 * The journal of backend state changes: each change is kept in memory (the newest) and
 * written behind to the store when there is one; reads prefer the store and fall back to
 * memory; old changes are pruned on a timer.
 */
import type { Clock, TimerHandle } from '../clock.js';
import {
  RecentChanges,
  STATE_HISTORY_MAX_PER_BACKEND,
  STATE_HISTORY_PRUNE_INTERVAL_MS,
  STATE_HISTORY_RETENTION_MS,
  type StateHistoryStore,
} from '../state-history.js';
import type { BackendStateChange } from '../status.js';
import { guarded, type MonitorLogger } from './timer-work.js';

export class StateJournal {
  private readonly recent = new RecentChanges();
  private pruneTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly store: StateHistoryStore | undefined,
    private readonly clock: Clock,
    private readonly logger: MonitorLogger,
  ) {}

  record(change: BackendStateChange): void {
    this.recent.add(change);
    this.store?.append(change, STATE_HISTORY_MAX_PER_BACKEND).catch((error: unknown) => {
      this.logger.warn({ err: error, backend: change.backend, from: change.from, to: change.to }, 'could not store a backend state change; it is kept in memory only');
    });
  }

  async list(backend: string, limit: number): Promise<readonly BackendStateChange[]> {
    if (!(limit > 0)) return [];
    if (this.store === undefined) return this.recent.list(backend, limit);
    try {
      return await this.store.list(backend, limit);
    } catch (error) {
      this.logger.warn({ err: error, backend }, 'could not read the backend state history from the store; showing the newest changes kept in memory');
      return this.recent.list(backend, limit);
    }
  }

  /** Prunes now and then every STATE_HISTORY_PRUNE_INTERVAL_MS until close(). */
  startPruning(): void {
    this.prune();
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.pruneTimer);
  }

  private prune(): void {
    if (this.closed) return;
    this.store?.pruneOlderThan(this.clock.now() - STATE_HISTORY_RETENTION_MS).then(
      (deleted) => {
        if (deleted > 0) this.logger.debug({ deleted }, 'pruned old backend state changes');
      },
      (error: unknown) => this.logger.warn({ err: error }, 'could not prune the backend state history; trying again later'),
    );
    this.pruneTimer = this.clock.setTimeout(() => guarded(this.logger, 'could not prune the backend state history', () => this.prune()), STATE_HISTORY_PRUNE_INTERVAL_MS);
  }
}
