/**
 * The gateway queue in SQLite (the QueueStore port) for one router. Every claim is a
 * conditional UPDATE on the router's one connection, so no entry is claimed twice.
 */
import type Database from 'better-sqlite3';
import type { ClaimedEntry, DispatchRecord, NewQueueEntry, PollResult, QueueEntry, QueueState, QueueStore } from '../../queue/queue-store.js';
import { dispatchFromRow, QUEUE_COLUMNS, queueEntryFromRow, type DispatchRow, type QueueRow } from '../queue-rows.js';
import type { SqliteConnection } from './connection.js';

/** Waiting: queued, or claimed by a replica whose lease has ended. `?` is now. */
const WAITING = "(state = 'queued' OR (state = 'claimed' AND lease_until < ?))";

export class SqliteQueueStore implements QueueStore {
  private readonly sql: QueueStatements;

  constructor(private readonly connection: SqliteConnection) {
    this.sql = prepareQueueStatements(connection.db);
  }

  enqueue(entry: NewQueueEntry): Promise<void> {
    return this.connection.run('queue a submission', () => {
      this.sql.insert.run({
        id: entry.id, group_name: entry.group, rule: entry.rule ?? null, user_name: entry.user ?? null, source: entry.source ?? null,
        priority: entry.priority, user_limit: entry.userLimit ?? null, enqueued_at: entry.enqueuedAt, request: entry.request,
      });
    });
  }

  poll(id: string, now: number, touchBefore = now): Promise<PollResult | undefined> {
    return this.connection.run('poll a queued query', () => {
      let row = this.sql.read.get(id);
      if (row === undefined) return undefined;
      if (Number(row.last_poll_at) < touchBefore) row = this.sql.touch.get(now, id) ?? row;
      const ahead = this.sql.ahead.get(row.group_name, now, row.priority, row.priority, row.seq)?.ahead ?? 0;
      return { entry: queueEntryFromRow(row), ahead };
    });
  }

  waiting(group: string, now: number, limit: number): Promise<QueueEntry[]> {
    return this.connection.run('read the queue', () => this.sql.waiting.all(group, now, limit).map(queueEntryFromRow));
  }

  waitingGroups(now: number): Promise<Map<string, number>> {
    return this.connection.run('read the queue', () => new Map(this.sql.waitingGroups.all(now).map((r) => [r.group_name, r.waiting])));
  }

  claim(id: string, replica: string, now: number, leaseUntil: number, backend: string): Promise<ClaimedEntry | undefined> {
    return this.connection.run('claim a queued query', () => {
      const row = this.sql.claim.get(replica, leaseUntil, backend, id, now);
      if (row === undefined || row.request === null) return undefined;
      return { ...queueEntryFromRow(row), request: row.request };
    });
  }

  dispatched(id: string, replica: string, handOver: { backend: string; queryId: string; answer: string; at: number }): Promise<boolean> {
    return this.connection.run('hand a queued query over', () =>
      this.sql.dispatched.run(handOver.backend, handOver.queryId, handOver.answer, handOver.at, id, replica).changes === 1);
  }

  release(id: string, replica: string): Promise<void> {
    return this.connection.run('give a claim back', () => {
      this.sql.release.run(id, replica);
    });
  }

  fail(id: string, replica: string, answer: string, at: number): Promise<boolean> {
    return this.connection.run('fail a queued query', () => this.sql.fail.run(answer, at, id, replica).changes === 1);
  }

  cancel(id: string, now: number): Promise<QueueState | undefined> {
    return this.connection.run('cancel a queued query', (db) => db.transaction(() => {
      const found = this.sql.stateOf.get(id);
      if (found === undefined) return undefined;
      if (found.state === 'queued' || found.state === 'claimed') this.sql.cancel.run(now, id);
      return found.state as QueueState;
    })());
  }

  dropAbandoned(pollBefore: number, now: number): Promise<string[]> {
    return this.connection.run('drop abandoned queued queries', () => this.sql.abandon.all(now, pollBefore, now).map((r) => r.id));
  }

  admittedSince(since: number, now: number): Promise<DispatchRecord[]> {
    return this.connection.run('read dispatched queries', () => this.sql.admittedSince.all(since, now).map(dispatchFromRow));
  }

  /** One router per SQLite file: its dispatcher already runs one pass at a time. */
  lockPass(): Promise<(() => Promise<void>) | undefined> {
    return Promise.resolve(async () => {});
  }

  list(now: number): Promise<QueueEntry[]> {
    return this.connection.run('list the queue', () => this.sql.list.all(now).map(queueEntryFromRow));
  }

  prune(before: number): Promise<number> {
    return this.connection.run('prune the queue', () => this.sql.prune.run(before).changes);
  }
}

type SeqRow = QueueRow & { readonly seq: number };
type ClaimRow = QueueRow & { readonly request: string | null };

function prepareQueueStatements(db: Database.Database) {
  const prepare = <R = unknown>(text: string) => db.prepare<unknown[], R>(text);
  return {
    insert: prepare(
      `INSERT INTO queue_entries (id, group_name, rule, user_name, source, priority, user_limit, state, enqueued_at, last_poll_at, request)
       VALUES (@id, @group_name, @rule, @user_name, @source, @priority, @user_limit, 'queued', @enqueued_at, @enqueued_at, @request)`),
    read: prepare<SeqRow>(`SELECT seq, ${QUEUE_COLUMNS} FROM queue_entries WHERE id = ?`),
    touch: prepare<SeqRow>(`UPDATE queue_entries SET last_poll_at = max(last_poll_at, ?) WHERE id = ? RETURNING seq, ${QUEUE_COLUMNS}`),
    ahead: prepare<{ ahead: number }>(
      `SELECT count(*) AS ahead FROM queue_entries WHERE group_name = ? AND ${WAITING} AND (priority > ? OR (priority = ? AND seq < ?))`),
    waiting: prepare<QueueRow>(`SELECT ${QUEUE_COLUMNS} FROM queue_entries WHERE group_name = ? AND ${WAITING} ORDER BY priority DESC, seq LIMIT ?`),
    waitingGroups: prepare<{ group_name: string; waiting: number }>(`SELECT group_name, count(*) AS waiting FROM queue_entries WHERE ${WAITING} GROUP BY group_name`),
    claim: prepare<ClaimRow>(
      `UPDATE queue_entries SET state = 'claimed', claimed_by = ?, lease_until = ?, backend = ? WHERE id = ? AND ${WAITING} RETURNING ${QUEUE_COLUMNS}, request`),
    dispatched: prepare(
      `UPDATE queue_entries SET state = 'dispatched', backend = ?, query_id = ?, answer = ?, ended_at = ?, request = NULL, lease_until = NULL
       WHERE id = ? AND state = 'claimed' AND claimed_by = ?`),
    release: prepare("UPDATE queue_entries SET state = 'queued', claimed_by = NULL, lease_until = NULL, backend = NULL WHERE id = ? AND state = 'claimed' AND claimed_by = ?"),
    fail: prepare(
      "UPDATE queue_entries SET state = 'failed', answer = ?, ended_at = ?, request = NULL, lease_until = NULL WHERE id = ? AND state = 'claimed' AND claimed_by = ?"),
    stateOf: prepare<{ state: string }>('SELECT state FROM queue_entries WHERE id = ?'),
    cancel: prepare("UPDATE queue_entries SET state = 'cancelled', ended_at = ?, request = NULL, lease_until = NULL WHERE id = ?"),
    abandon: prepare<{ id: string }>(
      `UPDATE queue_entries SET state = 'abandoned', ended_at = ?, request = NULL, lease_until = NULL WHERE last_poll_at < ? AND ${WAITING} RETURNING id`),
    admittedSince: prepare<DispatchRow>(
      `SELECT backend, rule, user_name, coalesce(ended_at, lease_until) AS ended_at FROM queue_entries
       WHERE (state = 'dispatched' AND ended_at >= ?) OR (state = 'claimed' AND lease_until >= ?)`),
    list: prepare<QueueRow>(`SELECT ${QUEUE_COLUMNS} FROM queue_entries WHERE ${WAITING} ORDER BY group_name, priority DESC, seq`),
    prune: prepare("DELETE FROM queue_entries WHERE state IN ('dispatched', 'cancelled', 'abandoned', 'failed') AND ended_at < ?"),
  };
}

type QueueStatements = ReturnType<typeof prepareQueueStatements>;
