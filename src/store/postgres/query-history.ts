/**
 * The query history in PostgreSQL (the QueryHistoryStore port): one history of the whole
 * fleet. Every replica appends its routed queries; a query already recorded keeps its first
 * row. Pruning deletes in bounded steps; the row cap counts rows (ids have gaps here: a
 * sequence value is used up by every conflicting insert and by every replica's rollback).
 */
import { resolveHistoryFilter } from '../../history/filter.js';
import type { HistoryPruneCounts, QueryHistoryStore } from '../../history/query-history.js';
import type { QueryHistoryFilter, QueryRecord } from '../../history/query-record.js';
import { HISTORY_COLUMNS, recordFromRow, rowValues, type HistoryRow } from '../history-rows.js';
import type { PostgresConnection } from './connection.js';

const FILTER_COLUMNS = {
  user: 'user_name = ',
  source: 'source = ',
  backend: 'backend = ',
  group: 'group_name = ',
  outcome: 'outcome = ',
  from: 'submitted_at >= ',
  to: 'submitted_at <= ',
} as const;

/** The types of HISTORY_COLUMNS, in order, for one array parameter per column. */
const COLUMN_TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'json', 'bigint', 'json', 'text', 'text', 'bigint'] as const;

export class PostgresQueryHistoryStore implements QueryHistoryStore {
  constructor(private readonly connection: PostgresConnection) {}

  async append(records: readonly QueryRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const rows = records.map(rowValues);
    const result = await this.connection.query('write query history',
      `INSERT INTO query_history (${HISTORY_COLUMNS})
       SELECT * FROM unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
       ON CONFLICT (query_id) DO NOTHING`,
      COLUMN_TYPES.map((_, column) => rows.map((row) => row[column])));
    return result.rowCount ?? 0;
  }

  async list(filter: QueryHistoryFilter): Promise<QueryRecord[]> {
    const resolved = resolveHistoryFilter(filter);
    const where: string[] = [];
    const values: unknown[] = [];
    for (const [field, condition] of Object.entries(FILTER_COLUMNS) as [keyof typeof FILTER_COLUMNS, string][]) {
      const value = resolved[field];
      if (value === undefined) continue;
      values.push(value);
      where.push(`${condition}$${values.length}`);
    }
    values.push(resolved.limit);
    const result = await this.connection.query<HistoryRow>('read query history',
      `SELECT ${HISTORY_COLUMNS.replace('client_tags', 'client_tags::text AS client_tags').replace('statement', 'statement::text AS statement')} FROM query_history
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY submitted_at DESC, id DESC LIMIT $${values.length}`, values);
    return result.rows.map(recordFromRow);
  }

  prune(options: { olderThan: number; maxRows: number; limit: number }): Promise<HistoryPruneCounts> {
    const limit = Math.max(0, Math.floor(options.limit));
    const maxRows = Math.max(0, Math.floor(options.maxRows));
    return this.connection.transaction('prune query history', async (client) => {
      const retention = (await client.query(
        'DELETE FROM query_history WHERE id IN (SELECT id FROM query_history WHERE submitted_at < $1 ORDER BY submitted_at LIMIT $2)',
        [options.olderThan, limit])).rowCount ?? 0;
      const room = limit - retention;
      const cap = room <= 0 ? 0 : (await client.query(
        `DELETE FROM query_history WHERE id IN (
           SELECT id FROM query_history ORDER BY id DESC OFFSET $1 LIMIT $2)`,
        [maxRows, room])).rowCount ?? 0;
      return { retention, cap };
    });
  }

  async count(): Promise<number> {
    const result = await this.connection.query<{ count: number }>('count query history', 'SELECT count(*)::bigint AS count FROM query_history');
    return result.rows[0]?.count ?? 0;
  }
}
