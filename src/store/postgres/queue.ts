/**
 * The gateway queue in PostgreSQL (the QueueStore port), shared by the fleet. A claim locks
 * the row with FOR UPDATE SKIP LOCKED, so two replicas never submit one entry; the lease
 * returns a dead replica's claims to the queue.
 */
import type { ClaimedEntry, DispatchRecord, NewQueueEntry, PollResult, QueueEntry, QueueState, QueueStore } from '../../queue/queue-store.js';
import { dispatchFromRow, QUEUE_COLUMNS, queueEntryFromRow, type DispatchRow, type QueueRow } from '../queue-rows.js';
import type pg from 'pg';
import type { PostgresConnection } from './connection.js';

/** Any fixed 64-bit number the router alone uses: "trino-router queue". */
const QUEUE_PASS_LOCK = 0x7472_7175_6575_6531n;

/** Waiting: queued, or claimed by a replica whose lease has ended; `$n` is now. */
const waiting = (now: string): string => `(state = 'queued' OR (state = 'claimed' AND lease_until < ${now}))`;

export class PostgresQueueStore implements QueueStore {
  constructor(private readonly connection: PostgresConnection) {}

  async enqueue(entry: NewQueueEntry): Promise<void> {
    await this.connection.query('queue a submission',
      `INSERT INTO queue_entries (id, group_name, rule, user_name, source, priority, user_limit, state, enqueued_at, last_poll_at, request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $9)`,
      [entry.id, entry.group, entry.rule ?? null, entry.user ?? null, entry.source ?? null, entry.priority, entry.userLimit ?? null, entry.enqueuedAt, entry.request]);
  }

  async poll(id: string, now: number, touchBefore = now): Promise<PollResult | undefined> {
    // One round trip: the entry and how many go before it (the touch, when due, is a second one).
    const read = await this.connection.query<QueueRow & { ahead: string }>('poll a queued query',
      `SELECT ${QUEUE_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ')},
         (SELECT count(*) FROM queue_entries o WHERE o.group_name = e.group_name AND ${waiting('$2').replaceAll('state', 'o.state').replaceAll('lease_until', 'o.lease_until')}
            AND (o.priority > e.priority OR (o.priority = e.priority AND o.seq < e.seq))) AS ahead
       FROM queue_entries e WHERE e.id = $1`, [id, now]);
    let row = read.rows[0];
    if (row === undefined) return undefined;
    const ahead = Number(row.ahead);
    if (Number(row.last_poll_at) < touchBefore) {
      const touched = await this.connection.query<QueueRow>('poll a queued query',
        `UPDATE queue_entries SET last_poll_at = greatest(last_poll_at, $1) WHERE id = $2 RETURNING ${QUEUE_COLUMNS}`, [now, id]);
      if (touched.rows[0] !== undefined) row = { ...touched.rows[0], ahead: row.ahead };
    }
    return { entry: queueEntryFromRow(row), ahead };
  }

  async waiting(group: string, now: number, limit: number): Promise<QueueEntry[]> {
    const result = await this.connection.query<QueueRow>('read the queue',
      `SELECT ${QUEUE_COLUMNS} FROM queue_entries WHERE group_name = $1 AND ${waiting('$2')} ORDER BY priority DESC, seq LIMIT $3`, [group, now, limit]);
    return result.rows.map(queueEntryFromRow);
  }

  async waitingGroups(now: number): Promise<Map<string, number>> {
    const result = await this.connection.query<{ group_name: string; waiting: string }>('read the queue',
      `SELECT group_name, count(*) AS waiting FROM queue_entries WHERE ${waiting('$1')} GROUP BY group_name`, [now]);
    return new Map(result.rows.map((r) => [r.group_name, Number(r.waiting)]));
  }

  claim(id: string, replica: string, now: number, leaseUntil: number, backend: string): Promise<ClaimedEntry | undefined> {
    return this.connection.transaction('claim a queued query', async (client) => {
      // SKIP LOCKED: an entry another replica is claiming right now is simply not ours.
      const locked = await client.query<{ id: string }>(
        `SELECT id FROM queue_entries WHERE id = $1 AND ${waiting('$2')} FOR UPDATE SKIP LOCKED`, [id, now]);
      if (locked.rows.length === 0) return undefined;
      const claimed = await client.query<QueueRow & { request: string | null }>(
        `UPDATE queue_entries SET state = 'claimed', claimed_by = $1, lease_until = $2, backend = $4 WHERE id = $3 RETURNING ${QUEUE_COLUMNS}, request`,
        [replica, leaseUntil, id, backend]);
      const row = claimed.rows[0];
      if (row === undefined || row.request === null) return undefined;
      return { ...queueEntryFromRow(row), request: row.request };
    });
  }

  async dispatched(id: string, replica: string, handOver: { backend: string; queryId: string; answer: string; at: number }): Promise<boolean> {
    const result = await this.connection.query('hand a queued query over',
      `UPDATE queue_entries SET state = 'dispatched', backend = $1, query_id = $2, answer = $3, ended_at = $4, request = NULL, lease_until = NULL
       WHERE id = $5 AND state = 'claimed' AND claimed_by = $6`,
      [handOver.backend, handOver.queryId, handOver.answer, handOver.at, id, replica]);
    return result.rowCount === 1;
  }

  async release(id: string, replica: string): Promise<void> {
    await this.connection.query('give a claim back',
      "UPDATE queue_entries SET state = 'queued', claimed_by = NULL, lease_until = NULL, backend = NULL WHERE id = $1 AND state = 'claimed' AND claimed_by = $2", [id, replica]);
  }

  async fail(id: string, replica: string, answer: string, at: number): Promise<boolean> {
    const result = await this.connection.query('fail a queued query',
      "UPDATE queue_entries SET state = 'failed', answer = $1, ended_at = $2, request = NULL, lease_until = NULL WHERE id = $3 AND state = 'claimed' AND claimed_by = $4",
      [answer, at, id, replica]);
    return result.rowCount === 1;
  }

  cancel(id: string, now: number): Promise<QueueState | undefined> {
    return this.connection.transaction('cancel a queued query', async (client) => {
      const found = await client.query<{ state: string }>('SELECT state FROM queue_entries WHERE id = $1 FOR UPDATE', [id]);
      const state = found.rows[0]?.state;
      if (state === undefined) return undefined;
      if (state === 'queued' || state === 'claimed') {
        await client.query("UPDATE queue_entries SET state = 'cancelled', ended_at = $1, request = NULL, lease_until = NULL WHERE id = $2", [now, id]);
      }
      return state as QueueState;
    });
  }

  async dropAbandoned(pollBefore: number, now: number): Promise<string[]> {
    const result = await this.connection.query<{ id: string }>('drop abandoned queued queries',
      `UPDATE queue_entries SET state = 'abandoned', ended_at = $1, request = NULL, lease_until = NULL
       WHERE id IN (SELECT id FROM queue_entries WHERE last_poll_at < $2 AND ${waiting('$1')} FOR UPDATE SKIP LOCKED) RETURNING id`,
      [now, pollBefore]);
    return result.rows.map((r) => r.id);
  }

  async admittedSince(since: number, now: number): Promise<DispatchRecord[]> {
    const result = await this.connection.query<DispatchRow>('read dispatched queries',
      `SELECT backend, rule, user_name, coalesce(ended_at, lease_until) AS ended_at FROM queue_entries
       WHERE (state = 'dispatched' AND ended_at >= $1) OR (state = 'claimed' AND lease_until >= $2)`, [since, now]);
    return result.rows.map(dispatchFromRow);
  }

  async lockPass(): Promise<(() => Promise<void>) | undefined> {
    let client: pg.PoolClient;
    try {
      client = await this.connection.pool.connect();
    } catch (error) {
      throw this.connection.translate('lock the queue pass', error);
    }
    // A checked-out client has no idle error listener: a server that ends the session must not crash us.
    const onError = (): void => undefined;
    client.on('error', onError);
    try {
      const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [QUEUE_PASS_LOCK.toString()]);
      if (locked.rows[0]?.locked !== true) {
        client.removeListener('error', onError);
        client.release();
        return undefined;
      }
    } catch (error) {
      client.removeListener('error', onError);
      client.release(true);
      throw this.connection.translate('lock the queue pass', error);
    }
    return async () => {
      try {
        await client.query('SELECT pg_advisory_unlock($1)', [QUEUE_PASS_LOCK.toString()]);
        client.removeListener('error', onError);
        client.release();
      } catch {
        // A broken connection ends the session, and with it the lock.
        client.removeListener('error', onError);
        client.release(true);
      }
    };
  }

  async list(now: number): Promise<QueueEntry[]> {
    const result = await this.connection.query<QueueRow>('list the queue',
      `SELECT ${QUEUE_COLUMNS} FROM queue_entries WHERE ${waiting('$1')} ORDER BY group_name, priority DESC, seq`, [now]);
    return result.rows.map(queueEntryFromRow);
  }

  async prune(before: number): Promise<number> {
    const result = await this.connection.query('prune the queue',
      "DELETE FROM queue_entries WHERE state IN ('dispatched', 'cancelled', 'abandoned', 'failed') AND ended_at < $1", [before]);
    return result.rowCount ?? 0;
  }
}
