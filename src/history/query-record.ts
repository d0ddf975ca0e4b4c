/**
 * One routed query as the history keeps it, and the filters the admin API offers. The
 * history store implements QueryHistorySource; readers depend only on these types.
 */
import type { Mechanism } from '../routing/decision.js';
import type { RequestOutcome } from '../routing/replies.js';

/** A routed query, or a submission the router refused (outcome its reason, no backend). */
export interface QueryRecord {
  /** Trino's query id; a refusal has none, so the router makes one (`refused_…`). */
  readonly queryId: string;
  /** Null for a refusal. */
  readonly backend: string | null;
  readonly group: string | null;
  readonly rule: string | null;
  readonly mechanism: Mechanism;
  readonly user: string | null;
  readonly source: string | null;
  readonly clientTags: readonly string[];
  /** Epoch ms the router saw the query id. */
  readonly submittedAt: number;
  /** The statement as read for a statement rule; null when no rule needed it. */
  readonly statement: StatementSummary | null;
  /** `forwarded`, or the reason the router refused the submission. */
  readonly outcome: RequestOutcome;
  /** What the client was told when refused; null when forwarded. */
  readonly message: string | null;
  /** How long it waited in the gateway queue before its cluster got it; null: not queued. */
  readonly queuedMs: number | null;
}

/** What the history keeps of a statement read for a rule (never the SQL text). */
export interface StatementSummary {
  /** A statement kind, or `unknown`. */
  readonly kind: string;
  readonly tablesRead: readonly string[];
  readonly tablesWritten: readonly string[];
  /** Parse time (0 when unknown). */
  readonly parseMicros: number;
  /** Why it is unknown (too_large: the body was over the cap or cut); null when parsed. */
  readonly unknownReason: string | null;
}

export interface QueryHistoryFilter {
  readonly user?: string;
  readonly source?: string;
  readonly backend?: string;
  readonly group?: string;
  /** `forwarded` or a reply reason; anything else is refused (InvalidHistoryFilterError). */
  readonly outcome?: string;
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
