/**
 * The query history table (migration 2): routed queries, appended in batches by the history
 * writer, listed newest first by the admin API, pruned in bounded steps by age and row cap.
 * Never used on the request path.
 */
import type Database from 'better-sqlite3';
import { resolveHistoryFilter, type ResolvedHistoryFilter } from '../../history/filter.js';
import type { HistoryPruneCounts, QueryHistoryStore } from '../../history/query-history.js';
import type { QueryHistoryFilter, QueryRecord } from '../../history/query-record.js';
import { HISTORY_COLUMNS as COLUMNS, recordFromRow, statementText, type HistoryRow } from '../history-rows.js';
import type { SqliteConnection } from './connection.js';

export interface HistoryPruneOptions {
  /** Rows submitted before this time (epoch ms) are deleted. */
  readonly olderThan: number;
  /** At most this many rows are kept (the newest). */
  readonly maxRows: number;
  /** At most this many rows are deleted by this call, so one call never holds the store long. */
  readonly limit: number;
}

export type { HistoryPruneCounts };

/** Filter fields in a fixed order: a bit each, so every combination has one cached statement. */
const FILTER_CONDITIONS = [
  ['user', 'user_name = @user'],
  ['source', 'source = @source'],
  ['backend', 'backend = @backend'],
  ['group', 'group_name = @group'],
  ['from', 'submitted_at >= @from'],
  ['to', 'submitted_at <= @to'],
] as const satisfies readonly (readonly [keyof ResolvedHistoryFilter, string])[];

export class SqliteQueryHistoryStore implements QueryHistoryStore {
  private readonly insert: Database.Statement;
  private readonly listStatements = new Map<number, Database.Statement<[Record<string, unknown>], HistoryRow>>();
  private readonly pruneByAge: Database.Statement;
  private readonly newestId: Database.Statement<[], { id: number | null }>;
  private readonly pruneUpToId: Database.Statement;
  private readonly countRows: Database.Statement<[], { count: number }>;

  private readonly db: Database.Database;

  constructor(private readonly connection: SqliteConnection) {
    const db = connection.db;
    this.db = db;
    // A query already recorded (a retried batch, another replica) keeps its first row. Not
    // INSERT OR IGNORE: that would also swallow NOT NULL and CHECK failures.
    this.insert = db.prepare(
      `INSERT INTO query_history (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (query_id) DO NOTHING`);
    this.pruneByAge = db.prepare(
      `DELETE FROM query_history WHERE id IN (
         SELECT id FROM query_history WHERE submitted_at < ? ORDER BY submitted_at LIMIT ?)`);
    this.newestId = db.prepare('SELECT max(id) AS id FROM query_history');
    this.pruneUpToId = db.prepare(
      'DELETE FROM query_history WHERE id IN (SELECT id FROM query_history WHERE id <= ? ORDER BY id LIMIT ?)');
    this.countRows = db.prepare('SELECT count(*) AS count FROM query_history');
  }

  /** Appends a batch in one transaction; returns how many rows were new. */
  append(records: readonly QueryRecord[]): Promise<number> {
    return this.connection.run('write query history', () => this.db.transaction(() => {
      let added = 0;
      for (const r of records) {
        added += this.insert.run(
          r.queryId, r.backend, r.group, r.rule, r.mechanism, r.user, r.source, JSON.stringify(r.clientTags), r.submittedAt, statementText(r.statement), r.queuedMs,
        ).changes;
      }
      return added;
    })());
  }

  /** Newest first (ties: the later-written row first). Throws InvalidHistoryFilterError on a bad filter. */
  async list(filter: QueryHistoryFilter): Promise<QueryRecord[]> {
    // A bad filter is refused before any store work.
    const resolved = resolveHistoryFilter(filter);
    let mask = 0;
    const params: Record<string, unknown> = { limit: resolved.limit };
    FILTER_CONDITIONS.forEach(([field], bit) => {
      const value = resolved[field];
      if (value === undefined) return;
      mask |= 1 << bit;
      params[field] = value;
    });
    return this.connection.run('read query history', () => this.listStatement(mask).all(params).map(recordFromRow));
  }

  /**
   * Deletes rows past retention, then the oldest beyond the cap, at most `limit` in all.
   * Call again while it returns `limit` deletions. The cap keeps the newest `maxRows` ids: ids
   * follow insertion order and only the oldest are ever deleted, so they stay contiguous.
   */
  prune(options: HistoryPruneOptions): Promise<HistoryPruneCounts> {
    const limit = Math.max(0, Math.floor(options.limit));
    const maxRows = Math.max(0, Math.floor(options.maxRows));
    return this.connection.run('prune query history', () => this.db.transaction((): HistoryPruneCounts => {
      const retention = this.pruneByAge.run(options.olderThan, limit).changes;
      const newest = this.newestId.get()?.id ?? null;
      const room = limit - retention;
      const cap = newest === null || room <= 0 ? 0 : this.pruneUpToId.run(newest - maxRows, room).changes;
      return { retention, cap };
    })());
  }

  count(): Promise<number> {
    return this.connection.run('count query history', () => this.countRows.get()?.count ?? 0);
  }

  private listStatement(mask: number): Database.Statement<[Record<string, unknown>], HistoryRow> {
    let statement = this.listStatements.get(mask);
    if (statement === undefined) {
      const where = FILTER_CONDITIONS.filter((_, bit) => (mask & (1 << bit)) !== 0).map(([, condition]) => condition);
      statement = this.db.prepare<[Record<string, unknown>], HistoryRow>(
        `SELECT ${COLUMNS} FROM query_history${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
         ORDER BY submitted_at DESC, id DESC LIMIT @limit`);
      this.listStatements.set(mask, statement);
    }
    return statement;
  }
}
