/**
 * The config history in PostgreSQL (migration 7). Rows are written by the routing store inside
 * the change's own transaction (recordChange); this class serves the reads.
 */
import type pg from 'pg';
import type { AuditRetention } from '../../config/router-config.js';
import type { ConfigHistoryPage, ConfigHistoryStore, ConfigRevisionRecord } from '../../routing/config-history.js';
import { changeFromRow, pageLimit, pruneBounds, revisionFromRow, type ConfigHistoryParams, type ConfigHistoryRow } from '../config-history-rows.js';
import type { PostgresConnection } from './connection.js';

// JSON read back as text, as SQLite returns it (config-history-rows.ts parses both alike).
const SUMMARY_COLUMNS = 'revision, recorded_at, method, author::text AS author, diff::text AS diff';

export class PostgresConfigHistoryStore implements ConfigHistoryStore {
  constructor(private readonly connection: PostgresConnection) {}

  async list(options: { readonly beforeRevision?: number | undefined; readonly limit: number }): Promise<ConfigHistoryPage> {
    const limit = pageLimit(options.limit);
    const result = await this.connection.query<ConfigHistoryRow>('list config history',
      `SELECT ${SUMMARY_COLUMNS} FROM config_history WHERE revision < $1 ORDER BY revision DESC LIMIT $2`,
      [options.beforeRevision ?? Number.MAX_SAFE_INTEGER, limit + 1]);
    const changes = result.rows.slice(0, limit).map(changeFromRow);
    return { changes, nextBeforeRevision: result.rows.length > limit ? changes[changes.length - 1]?.revision : undefined };
  }

  async get(revision: number): Promise<ConfigRevisionRecord | undefined> {
    const result = await this.connection.query<ConfigHistoryRow & { config: string }>('read a config revision',
      `SELECT ${SUMMARY_COLUMNS}, config::text AS config FROM config_history WHERE revision = $1`, [revision]);
    const row = result.rows[0];
    return row === undefined ? undefined : revisionFromRow(row);
  }

  async range(): Promise<{ readonly oldest: number; readonly newest: number } | undefined> {
    const result = await this.connection.query<{ oldest: string | null; newest: string | null }>('read the config history range',
      'SELECT min(revision) AS oldest, max(revision) AS newest FROM config_history');
    const row = result.rows[0];
    return row?.oldest == null || row.newest == null ? undefined : { oldest: Number(row.oldest), newest: Number(row.newest) };
  }
}

/** Writes one change's row and prunes beyond retention, on the routing transaction's client. */
export async function recordChange(client: pg.PoolClient, retention: AuditRetention, params: ConfigHistoryParams): Promise<void> {
  await client.query(
    `INSERT INTO config_history (revision, recorded_at, method, author, diff, config) VALUES ($1, $2, $3, $4::json, $5::json, $6::json)
     ON CONFLICT (revision) DO UPDATE SET recorded_at = excluded.recorded_at, method = excluded.method,
       author = excluded.author, diff = excluded.diff, config = excluded.config`,
    [params.revision, params.recorded_at, params.method, params.author, params.diff, params.config]);
  const bounds = pruneBounds(retention, params.revision, params.recorded_at);
  await client.query('DELETE FROM config_history WHERE revision <= $1 OR recorded_at < $2', [bounds.upToRevision, bounds.olderThan]);
}
