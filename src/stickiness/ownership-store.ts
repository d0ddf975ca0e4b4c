/**
 * What ownership persistence needs of the store: batches of learned owners written behind,
 * recent owners read to warm a (re)starting router and to follow other replicas, retention.
 * Never used on the request path. Times are milliseconds since the epoch.
 */
import type { LearnedBy, OwnershipChange } from './ownership.js';

export interface QueryOwnerRecord {
  readonly queryId: string;
  readonly backend: string;
  readonly learnedBy: LearnedBy;
  readonly at: number;
}

export interface CoordinatorRecord {
  readonly coordinatorId: string;
  readonly backend: string;
  readonly at: number;
}

export interface TransactionRecord {
  readonly transactionId: string;
  readonly backend: string;
  readonly at: number;
}

export interface LoginFlowRecord {
  readonly authIdHash: string;
  readonly backend: string;
  readonly at: number;
}

export interface PruneOptions {
  /** Query owners learned before this time are deleted. */
  readonly olderThan: number;
  /** At most this many query owners are kept (the newest). */
  readonly maxRows: number;
  /** Open transactions started before this time are deleted (default: kept). */
  readonly transactionsOlderThan?: number;
  /** Coordinator ids first seen before this time are deleted (default: kept; the table is tiny). */
  readonly coordinatorsOlderThan?: number;
  /** Login flows challenged before this time are deleted (default: kept). */
  readonly loginFlowsOlderThan?: number;
  /** At most this many login flows are kept (the newest; default: no cap). */
  readonly maxLoginFlows?: number;
}

export interface PruneCounts {
  readonly queryOwners: number;
  readonly transactions: number;
  readonly coordinators: number;
  readonly loginFlows: number;
}

export interface OwnershipStore {
  /** Persists a journal batch in one transaction, in order (a re-learned query takes the newer owner). */
  applyChanges(changes: readonly OwnershipChange[]): Promise<void>;
  findQueryOwner(queryId: string): Promise<QueryOwnerRecord | undefined>;
  /** The newest `limit` owners learned at or after `since`, oldest first (insertion order for a warm start). */
  loadRecentQueryOwners(since: number, limit: number): Promise<QueryOwnerRecord[]>;
  listCoordinators(): Promise<CoordinatorRecord[]>;
  listTransactions(): Promise<TransactionRecord[]>;
  /** The cluster that challenged an OAuth2 login (a replica's local miss asks here). */
  findLoginFlow(authIdHash: string): Promise<LoginFlowRecord | undefined>;
  /** The newest `limit` login flows challenged at or after `since`, oldest first (a warm start). */
  loadRecentLoginFlows(since: number, limit: number): Promise<LoginFlowRecord[]>;
  /** Deletes what is past retention, then the oldest query owners beyond `maxRows`. */
  prune(options: PruneOptions): Promise<PruneCounts>;
}
