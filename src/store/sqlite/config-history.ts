/**
 * The config history in SQLite (migration 6). Rows are written by the routing store inside
 * the change's own transaction (recordChange); this class serves the reads.
 */
import type Database from 'better-sqlite3';
import type { AuditRetention } from '../../config/router-config.js';
import type { ConfigHistoryPage, ConfigHistoryStore, ConfigRevisionRecord } from '../../routing/config-history.js';
import { changeFromRow, pageLimit, pruneBounds, revisionFromRow, type ConfigHistoryParams, type ConfigHistoryRow } from '../config-history-rows.js';
import type { SqliteConnection } from './connection.js';

const SUMMARY_COLUMNS = 'revision, recorded_at, method, author, diff';

export class SqliteConfigHistoryStore implements ConfigHistoryStore {
  private readonly sql: ReturnType<typeof prepareReads>;

  constructor(private readonly connection: SqliteConnection) {
    this.sql = prepareReads(connection.db);
  }

  list(options: { readonly beforeRevision?: number | undefined; readonly limit: number }): Promise<ConfigHistoryPage> {
    const limit = pageLimit(options.limit);
    return this.connection.run('list config history', () => {
      // One row beyond the page tells whether there is a next page.
      const rows = this.sql.page.all(options.beforeRevision ?? Number.MAX_SAFE_INTEGER, limit + 1);
      const changes = rows.slice(0, limit).map(changeFromRow);
      return { changes, nextBeforeRevision: rows.length > limit ? changes[changes.length - 1]?.revision : undefined };
    });
  }

  get(revision: number): Promise<ConfigRevisionRecord | undefined> {
    return this.connection.run('read a config revision', () => {
      const row = this.sql.one.get(revision);
      return row === undefined ? undefined : revisionFromRow(row);
    });
  }

  range(): Promise<{ readonly oldest: number; readonly newest: number } | undefined> {
    return this.connection.run('read the config history range', () => {
      const row = this.sql.range.get();
      return row?.oldest == null || row.newest == null ? undefined : { oldest: row.oldest, newest: row.newest };
    });
  }
}

function prepareReads(db: Database.Database) {
  return {
    page: db.prepare<[number, number], ConfigHistoryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM config_history WHERE revision < ? ORDER BY revision DESC LIMIT ?`),
    one: db.prepare<[number], ConfigHistoryRow & { config: string }>(`SELECT ${SUMMARY_COLUMNS}, config FROM config_history WHERE revision = ?`),
    range: db.prepare<[], { oldest: number | null; newest: number | null }>('SELECT min(revision) AS oldest, max(revision) AS newest FROM config_history'),
  };
}

/** Writes one change's row and prunes beyond retention; runs inside the routing transaction. */
export function prepareHistoryWrites(db: Database.Database, retention: AuditRetention) {
  const insert = db.prepare<[ConfigHistoryParams]>(
    `INSERT INTO config_history (revision, recorded_at, method, author, diff, config)
     VALUES (@revision, @recorded_at, @method, @author, @diff, @config)
     ON CONFLICT (revision) DO UPDATE SET recorded_at = excluded.recorded_at, method = excluded.method,
       author = excluded.author, diff = excluded.diff, config = excluded.config`);
  const prune = db.prepare<[number, number]>('DELETE FROM config_history WHERE revision <= ? OR recorded_at < ?');
  return (params: ConfigHistoryParams): void => {
    insert.run(params);
    const bounds = pruneBounds(retention, params.revision, params.recorded_at);
    prune.run(bounds.upToRevision, bounds.olderThan);
  };
}
