/**
 * What the gateway queue needs of the store (issue 22): held submissions, shared by every
 * replica. Order is FIFO within a priority (higher first); a claim is exclusive (PostgreSQL:
 * FOR UPDATE SKIP LOCKED) and leased, so a replica that dies while submitting gives its
 * entries back when the lease ends. The sealed request (headers with credentials, body) is
 * deleted the moment the entry is handed over or ends. Times are epoch milliseconds.
 */

export type QueueState = 'queued' | 'claimed' | 'dispatched' | 'cancelled' | 'abandoned' | 'failed';

/** States an entry never leaves. */
export const ENDED_STATES: readonly QueueState[] = ['dispatched', 'cancelled', 'abandoned', 'failed'];

/** What an entry is about, safe to show (no credentials, no SQL). */
export interface QueueEntryInfo {
  readonly id: string;
  readonly group: string;
  readonly rule: string | undefined;
  readonly user: string | undefined;
  readonly source: string | undefined;
  readonly priority: number;
  /** The rule's per-user limit when the query was queued. */
  readonly userLimit: number | undefined;
  readonly enqueuedAt: number;
}

export interface NewQueueEntry extends QueueEntryInfo {
  /** The sealed submission (queue/sealed-request.ts). */
  readonly request: string;
}

export interface QueueEntry extends QueueEntryInfo {
  readonly state: QueueState;
  readonly lastPollAt: number;
  readonly backend: string | undefined;
  readonly queryId: string | undefined;
  /** When it was handed over, cancelled, dropped or failed. */
  readonly endedAt: number | undefined;
  /** What the client's poll gets once the entry is handed over or failed (JSON, queue/answers.ts). */
  readonly answer: string | undefined;
}

/** A claimed entry, with its sealed request: only the claiming replica reads it. */
export interface ClaimedEntry extends QueueEntry {
  readonly request: string;
}

export interface PollResult {
  readonly entry: QueueEntry;
  /** Entries of the same group that go before it (0: it is next). */
  readonly ahead: number;
}

/** A query the fleet handed to a cluster (or is handing over), for the running counts. */
export interface DispatchRecord {
  readonly backend: string;
  readonly rule: string | undefined;
  readonly user: string | undefined;
  readonly at: number;
}

export interface QueueStore {
  enqueue(entry: NewQueueEntry): Promise<void>;
  /**
   * The entry as a poll sees it. The poll is noted (the abandonment clock restarts) only when
   * the last noted one is older than `touchBefore`: most polls then write nothing.
   */
  poll(id: string, now: number, touchBefore?: number): Promise<PollResult | undefined>;
  /** Waiting entries (queued, or claimed with a lease past `now`) of a group, in queue order. */
  waiting(group: string, now: number, limit: number): Promise<QueueEntry[]>;
  /** How many entries wait per group (groups with none are left out). */
  waitingGroups(now: number): Promise<Map<string, number>>;
  /**
   * Claims the entry for `replica` until `leaseUntil`, to submit it to `backend`, if it is still
   * waiting (queued, or its lease ended); the claimed entry with its sealed request, or
   * undefined when another took it. A claim counts as running on the backend.
   */
  claim(id: string, replica: string, now: number, leaseUntil: number, backend: string): Promise<ClaimedEntry | undefined>;
  /**
   * Hands a claimed entry over: state dispatched, the sealed request deleted, the answer kept
   * for the client's next poll. False when this replica no longer holds the claim (the client
   * cancelled meanwhile, or the lease ran out and another replica took it).
   */
  dispatched(id: string, replica: string, handOver: { backend: string; queryId: string; answer: string; at: number }): Promise<boolean>;
  /** Gives a claim back (the cluster could not be reached): queued again, order kept. */
  release(id: string, replica: string): Promise<void>;
  /** Ends a claimed entry with an answer (the cluster refused it); the request is deleted. */
  fail(id: string, replica: string, answer: string, at: number): Promise<boolean>;
  /** Cancels a waiting entry (DELETE on its nextUri); its previous state, undefined if unknown. */
  cancel(id: string, now: number): Promise<QueueState | undefined>;
  /** Drops waiting entries not polled since `pollBefore` (the client went away); their ids. */
  dropAbandoned(pollBefore: number, now: number): Promise<string[]>;
  /** Entries handed over at or after `since`, and claims still leased at `now`: the running counts' part the monitor cannot see yet. */
  admittedSince(since: number, now: number): Promise<DispatchRecord[]>;
  /**
   * The fleet's one admission pass at a time: a release function, or undefined while another
   * replica runs its pass (PostgreSQL: a session advisory lock, freed if the replica dies).
   */
  lockPass(): Promise<(() => Promise<void>) | undefined>;
  /** Every waiting entry, in queue order per group (the queue view). */
  list(now: number): Promise<QueueEntry[]>;
  /** Deletes ended entries that ended before `before`; how many. */
  prune(before: number): Promise<number>;
}
