/**
 * config_history rows (SQLite migration 6, PostgreSQL migration 7) <-> the config history
 * records both stores serve, and the retention both apply on every recorded change.
 */
import type { AuditRetention } from '../config/router-config.js';
import type { ChangeOrigin, ConfigChangeRecord, ConfigRevisionRecord, RecordedDiff } from '../routing/config-history.js';
import type { RoutingConfig } from '../routing/model.js';
import { diffRouting } from '../routing/routing-diff.js';

export const DEFAULT_AUDIT_RETENTION: AuditRetention = { maxRevisions: 1000, maxAgeDays: 90 };

/** One page is at most this long, whatever the caller asks. */
export const MAX_HISTORY_PAGE = 1000;

export interface ConfigHistoryRow {
  readonly revision: number | string;
  readonly recorded_at: number | string;
  readonly method: string;
  readonly author: string;
  readonly diff: string;
  readonly config?: string;
}

export interface ConfigHistoryParams {
  readonly revision: number;
  readonly recorded_at: number;
  readonly method: string;
  readonly author: string;
  readonly diff: string;
  readonly config: string;
}

/** What the store writes for the change `current` -> `next` committed as `revision`. */
export function historyParams(revision: number, at: number, origin: ChangeOrigin, current: RoutingConfig, next: RoutingConfig): ConfigHistoryParams {
  const { changed: _changed, ...diff } = diffRouting(current, next);
  return {
    revision,
    recorded_at: at,
    method: origin.method,
    author: JSON.stringify(origin.author),
    diff: JSON.stringify(diff),
    config: JSON.stringify(next),
  };
}

/** Rows older than this (epoch ms) or at or below the returned revision are pruned. */
export function pruneBounds(retention: AuditRetention, revision: number, now: number): { readonly olderThan: number; readonly upToRevision: number } {
  return { olderThan: now - retention.maxAgeDays * 86_400_000, upToRevision: revision - retention.maxRevisions };
}

export function changeFromRow(row: ConfigHistoryRow): ConfigChangeRecord {
  return {
    revision: Number(row.revision),
    at: Number(row.recorded_at),
    method: row.method,
    author: JSON.parse(row.author) as ConfigChangeRecord['author'],
    diff: JSON.parse(row.diff) as RecordedDiff,
  };
}

export function revisionFromRow(row: ConfigHistoryRow & { readonly config: string }): ConfigRevisionRecord {
  return { ...changeFromRow(row), config: JSON.parse(row.config) as RoutingConfig };
}

export function pageLimit(limit: number): number {
  return Math.max(1, Math.min(MAX_HISTORY_PAGE, Math.floor(limit)));
}
