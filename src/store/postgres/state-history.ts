/**
 * Backend state changes in PostgreSQL (the StateHistoryStore port), newest first per backend,
 * bounded by a cap per backend and by age.
 */
import type { StateHistoryStore } from '../../health/state-history.js';
import type { BackendStateChange } from '../../health/status.js';
import { STATE_HISTORY_PRUNE_STEP, stateChangeFromRow, type StateChangeRow } from '../state-history-rows.js';
import type { PostgresConnection } from './connection.js';

export class PostgresStateHistoryStore implements StateHistoryStore {
  constructor(private readonly connection: PostgresConnection) {}

  append(change: BackendStateChange, maxPerBackend: number): Promise<void> {
    return this.connection.transaction('write a backend state change', async (client) => {
      await client.query(
        'INSERT INTO backend_state_history (backend, from_state, to_state, reason, changed_at) VALUES ($1, $2, $3, $4, $5)',
        [change.backend, change.from, change.to, change.reason, change.at]);
      await client.query(
        `DELETE FROM backend_state_history WHERE backend = $1 AND id <= (
           SELECT id FROM backend_state_history WHERE backend = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
        [change.backend, Math.max(0, Math.floor(maxPerBackend))]);
    });
  }

  async list(backend: string, limit: number): Promise<BackendStateChange[]> {
    if (!(limit > 0)) return [];
    const result = await this.connection.query<StateChangeRow>('read backend state changes',
      'SELECT backend, from_state, to_state, reason, changed_at FROM backend_state_history WHERE backend = $1 ORDER BY id DESC LIMIT $2',
      [backend, Math.floor(limit)]);
    return result.rows.map(stateChangeFromRow);
  }

  async pruneOlderThan(olderThan: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result = await this.connection.query('prune backend state changes',
        `DELETE FROM backend_state_history WHERE id IN (
           SELECT id FROM backend_state_history WHERE changed_at < $1 ORDER BY changed_at LIMIT $2)`,
        [olderThan, STATE_HISTORY_PRUNE_STEP]);
      const changes = result.rowCount ?? 0;
      deleted += changes;
      if (changes < STATE_HISTORY_PRUNE_STEP) return deleted;
    }
  }
}
