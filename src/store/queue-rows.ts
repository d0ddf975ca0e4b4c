/** Rows of queue_entries <-> queue entries, shared by both stores (absent values stay absent). */
import type { DispatchRecord, QueueEntry, QueueState } from '../queue/queue-store.js';

export interface QueueRow {
  readonly id: string;
  readonly group_name: string;
  readonly rule: string | null;
  readonly user_name: string | null;
  readonly source: string | null;
  readonly priority: number;
  readonly user_limit: number | null;
  readonly state: string;
  readonly enqueued_at: number | string;
  readonly last_poll_at: number | string;
  readonly backend: string | null;
  readonly query_id: string | null;
  readonly ended_at: number | string | null;
  readonly answer: string | null;
}

/** The columns a QueueRow is read from (never `request`: only a claim returns it). */
export const QUEUE_COLUMNS = 'id, group_name, rule, user_name, source, priority, user_limit, state, enqueued_at, last_poll_at, backend, query_id, ended_at, answer';

export function queueEntryFromRow(row: QueueRow): QueueEntry {
  return {
    id: row.id,
    group: row.group_name,
    rule: row.rule ?? undefined,
    user: row.user_name ?? undefined,
    source: row.source ?? undefined,
    priority: row.priority,
    userLimit: row.user_limit ?? undefined,
    state: row.state as QueueState,
    enqueuedAt: Number(row.enqueued_at),
    lastPollAt: Number(row.last_poll_at),
    backend: row.backend ?? undefined,
    queryId: row.query_id ?? undefined,
    endedAt: row.ended_at === null ? undefined : Number(row.ended_at),
    answer: row.answer ?? undefined,
  };
}

export interface DispatchRow {
  readonly backend: string;
  readonly rule: string | null;
  readonly user_name: string | null;
  readonly ended_at: number | string;
}

export function dispatchFromRow(row: DispatchRow): DispatchRecord {
  return { backend: row.backend, rule: row.rule ?? undefined, user: row.user_name ?? undefined, at: Number(row.ended_at) };
}
