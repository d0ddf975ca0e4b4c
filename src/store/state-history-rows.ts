/**
 * Rows of the backend state history table <-> BackendStateChange, the same for every store
 * backend; and the step size both prune in.
 */
import type { BackendState, BackendStateChange } from '../health/status.js';

export interface StateChangeRow {
  backend: string;
  from_state: string;
  to_state: string;
  reason: string;
  changed_at: number;
}

/** Rows deleted by one statement at most, so pruning a backlog never holds the store long. */
export const STATE_HISTORY_PRUNE_STEP = 5_000;

export function stateChangeFromRow(row: StateChangeRow): BackendStateChange {
  return {
    backend: row.backend,
    from: row.from_state as BackendState,
    to: row.to_state as BackendState,
    reason: row.reason,
    at: row.changed_at,
  };
}
