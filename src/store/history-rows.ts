/**
 * Rows of the query history table <-> QueryRecord, the same for every store backend
 * (client_tags is JSON text in both).
 */
import type { QueryRecord, StatementSummary } from '../history/query-record.js';
import type { Mechanism } from '../routing/decision.js';
import { FORWARDED, isRequestOutcome, type RequestOutcome } from '../routing/replies.js';

/** The backend column of a refusal (the column predates refusals and is NOT NULL). */
const NO_BACKEND = '';

export interface HistoryRow {
  query_id: string;
  backend: string;
  group_name: string | null;
  rule: string | null;
  mechanism: string;
  user_name: string | null;
  source: string | null;
  client_tags: string;
  submitted_at: number;
  /** JSON text of a StatementSummary, or null. */
  statement: string | null;
  outcome: string;
  message: string | null;
  /** How long the query waited in the gateway queue; null when it was not queued. */
  queued_ms: number | string | null;
}

export const HISTORY_COLUMNS = 'query_id, backend, group_name, rule, mechanism, user_name, source, client_tags, submitted_at, statement, outcome, message, queued_ms';

/** A record's values in HISTORY_COLUMNS order. */
export function rowValues(r: QueryRecord): unknown[] {
  return [
    r.queryId, r.backend ?? NO_BACKEND, r.group, r.rule, r.mechanism, r.user, r.source, JSON.stringify(r.clientTags), r.submittedAt,
    statementText(r.statement), r.outcome, r.message, r.queuedMs,
  ];
}

export function recordFromRow(row: HistoryRow): QueryRecord {
  return {
    queryId: row.query_id,
    backend: row.backend === NO_BACKEND ? null : row.backend,
    group: row.group_name,
    rule: row.rule,
    mechanism: row.mechanism as Mechanism,
    user: row.user_name,
    source: row.source,
    clientTags: parseTags(row.client_tags),
    submittedAt: row.submitted_at,
    statement: parseStatement(row.statement),
    outcome: outcomeOf(row.outcome),
    message: row.message,
    queuedMs: row.queued_ms === null ? null : Number(row.queued_ms),
  };
}

/** A value a newer router wrote reads as itself where known, else as forwarded with the row kept. */
function outcomeOf(value: string): RequestOutcome {
  return isRequestOutcome(value) ? value : FORWARDED;
}

export function statementText(statement: StatementSummary | null): string | null {
  return statement === null ? null : JSON.stringify(statement);
}

/** Written by statementText; anything else (a hand-edited row) reads as no statement. */
function parseStatement(text: string | null): StatementSummary | null {
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { kind?: unknown }).kind !== 'string') return null;
  const s = parsed as Partial<StatementSummary>;
  const names = (v: unknown): string[] => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : []);
  return {
    kind: s.kind!,
    tablesRead: names(s.tablesRead),
    tablesWritten: names(s.tablesWritten),
    parseMicros: typeof s.parseMicros === 'number' ? s.parseMicros : 0,
    unknownReason: typeof s.unknownReason === 'string' ? s.unknownReason : null,
  };
}

/** The column is checked to be JSON; anything but an array of strings reads as no tags. */
function parseTags(text: string): readonly string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
}
