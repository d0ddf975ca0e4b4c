/**
 * One routed query as the history keeps it, and the filters the admin API offers. The
 * history store implements QueryHistorySource; readers depend only on these types.
 */
import type { Mechanism } from '../routing/decision.js';

export interface QueryRecord {
  readonly queryId: string;
  readonly backend: string;
  readonly group: string | null;
  readonly rule: string | null;
  readonly mechanism: Mechanism;
  readonly user: string | null;
  readonly source: string | null;
  readonly clientTags: readonly string[];
  /** Epoch ms the router saw the query id. */
  readonly submittedAt: number;
}

export interface QueryHistoryFilter {
  readonly user?: string;
  readonly source?: string;
  readonly backend?: string;
  readonly group?: string;
  /** Inclusive epoch ms bounds on submittedAt. */
  readonly from?: number;
  readonly to?: number;
  /** Default 100, at most 10,000. */
  readonly limit?: number;
}

export interface QueryHistorySource {
  /** Newest first. */
  list(filter: QueryHistoryFilter): Promise<readonly QueryRecord[]>;
}
