/**
 * The backend state history table (migration 3): one row per state change the health monitor
 * saw, read newest first by the admin API and bounded by age and by a cap per backend. Written
 * only on a change (rare), never on the request path.
 */
import type Database from 'better-sqlite3';
import type { StateHistoryStore } from '../../health/state-history.js';
import type { BackendStateChange } from '../../health/status.js';
import { STATE_HISTORY_PRUNE_STEP, stateChangeFromRow, type StateChangeRow } from '../state-history-rows.js';
import type { SqliteConnection } from './connection.js';

export class SqliteStateHistoryStore implements StateHistoryStore {
  private readonly insert: Database.Statement;
  private readonly newest: Database.Statement<[string, number], StateChangeRow>;
  private readonly capCutoff: Database.Statement<[string, number], { id: number }>;
  private readonly deleteUpTo: Database.Statement<[string, number]>;
  private readonly deleteOlder: Database.Statement<[number, number]>;

  constructor(private readonly connection: SqliteConnection) {
    const db = connection.db;
    this.insert = db.prepare(
      'INSERT INTO backend_state_history (backend, from_state, to_state, reason, changed_at) VALUES (?, ?, ?, ?, ?)');
    this.newest = db.prepare(
      'SELECT backend, from_state, to_state, reason, changed_at FROM backend_state_history WHERE backend = ? ORDER BY id DESC LIMIT ?');
    // The id of the first row past the cap (newest first); it and everything older go.
    this.capCutoff = db.prepare('SELECT id FROM backend_state_history WHERE backend = ? ORDER BY id DESC LIMIT 1 OFFSET ?');
    this.deleteUpTo = db.prepare('DELETE FROM backend_state_history WHERE backend = ? AND id <= ?');
    this.deleteOlder = db.prepare(
      `DELETE FROM backend_state_history WHERE id IN (
         SELECT id FROM backend_state_history WHERE changed_at < ? ORDER BY changed_at LIMIT ?)`);
  }

  /** Appends a change and trims that backend's rows to the newest `maxPerBackend`, in one transaction. */
  append(change: BackendStateChange, maxPerBackend: number): Promise<void> {
    return this.connection.run('write a backend state change', (db) => db.transaction(() => {
      this.insert.run(change.backend, change.from, change.to, change.reason, change.at);
      const cutoff = this.capCutoff.get(change.backend, Math.max(0, Math.floor(maxPerBackend)));
      if (cutoff !== undefined) this.deleteUpTo.run(change.backend, cutoff.id);
    })());
  }

  /** The backend's newest `limit` changes, newest first. */
  list(backend: string, limit: number): Promise<BackendStateChange[]> {
    if (!(limit > 0)) return Promise.resolve([]);
    return this.connection.run('read backend state changes', () => this.newest.all(backend, Math.floor(limit)).map(stateChangeFromRow));
  }

  /** Deletes changes older than `olderThan` (epoch ms), in bounded steps; returns how many. */
  async pruneOlderThan(olderThan: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      // One step per queued call: other store work runs between the steps.
      const changes = await this.connection.run('prune backend state changes', () => this.deleteOlder.run(olderThan, STATE_HISTORY_PRUNE_STEP).changes);
      deleted += changes;
      if (changes < STATE_HISTORY_PRUNE_STEP) return deleted;
    }
  }
}
