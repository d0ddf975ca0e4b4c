/**
 * How current what a replica shows of the routing state is. A fleet replica keeps routing from
 * memory while PostgreSQL is down or its change feed is cut; whatever reads that memory (the
 * admin API) says since when it has not heard from the store. Pure: the caller gives the clock.
 */

export interface StoreFreshness {
  /** When this replica last heard from the store (epoch ms). */
  readonly syncedAt: number;
  /** 0 when current; else how long changes committed elsewhere may have gone unseen. */
  readonly staleForMs: number;
  /** Why it may be stale; null when current. */
  readonly staleReason: string | null;
}

export interface SyncFacts {
  /** Last successful read of the store (epoch ms). */
  readonly syncedAt: number;
  readonly now: number;
  /** The store's error while its reads fail; null while they work. */
  readonly storeError: string | null;
  /** The change feed's state: undefined for a store without one (SQLite: the file is read at each poll). */
  readonly feedConnected: boolean | undefined;
}

/** Freshness of a reply read from the store just now. */
export function readNow(now: number): StoreFreshness {
  return { syncedAt: now, staleForMs: 0, staleReason: null };
}

/**
 * Freshness of the in-memory snapshot. With a live feed every commit is announced at once, so
 * the snapshot is current; with the feed cut it is only as current as the last poll, and with
 * the store failing, as the last read that worked.
 */
export function snapshotFreshness(facts: SyncFacts): StoreFreshness {
  const since = Math.max(0, facts.now - facts.syncedAt);
  if (facts.storeError !== null) return { syncedAt: facts.syncedAt, staleForMs: since, staleReason: `the store cannot be read: ${facts.storeError}` };
  if (facts.feedConnected === false) return { syncedAt: facts.syncedAt, staleForMs: since, staleReason: 'the change feed is cut; following other replicas by polling only' };
  return { syncedAt: facts.syncedAt, staleForMs: 0, staleReason: null };
}

/** What the replica knows of its link to the store, without the clock. */
export type SyncState = Omit<SyncFacts, 'now'>;
