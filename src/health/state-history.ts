/**
 * Where backend state changes are kept: the store (the StateHistoryStore port) for the admin API,
 * bounded by age and by a cap per backend, with a small in-memory copy of the newest changes
 * that answers when the store cannot.
 */
import type { BackendStateChange } from './status.js';

/** Changes older than this are pruned. */
export const STATE_HISTORY_RETENTION_MS = 30 * 24 * 3600_000;
/** At most this many changes are kept per backend (the newest). */
export const STATE_HISTORY_MAX_PER_BACKEND = 10_000;
/** How often old changes are pruned. */
export const STATE_HISTORY_PRUNE_INTERVAL_MS = 3600_000;

/** What the monitor needs of the store (BackendStateRepository implements it). */
export interface StateHistoryStore {
  append(change: BackendStateChange, maxPerBackend: number): Promise<void>;
  /** Newest first. */
  list(backend: string, limit: number): Promise<readonly BackendStateChange[]>;
  pruneOlderThan(olderThan: number): Promise<number>;
}

/** The newest changes per backend in memory, newest first. */
export class RecentChanges {
  private readonly byBackend = new Map<string, BackendStateChange[]>();

  constructor(private readonly perBackend = 100) {}

  add(change: BackendStateChange): void {
    let list = this.byBackend.get(change.backend);
    if (list === undefined) this.byBackend.set(change.backend, (list = []));
    list.unshift(change);
    if (list.length > this.perBackend) list.length = this.perBackend;
  }

  list(backend: string, limit: number): readonly BackendStateChange[] {
    return (this.byBackend.get(backend) ?? []).slice(0, Math.max(0, limit));
  }
}
