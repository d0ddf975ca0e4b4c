/** Load: running and queued queries from system.runtime.queries, the monitor's own left out. */
import { HealthCheckError } from '../check-error.js';
import type { StatementResult } from '../trino-statement.js';
import type { Check, CheckResult, LoadSample } from './check.js';

/** Trino query states before execution starts, and while it executes. */
const QUEUED_STATES = ['QUEUED', 'WAITING_FOR_RESOURCES', 'DISPATCHING'] as const;
const RUNNING_STATES = ['PLANNING', 'STARTING', 'RUNNING', 'FINISHING'] as const;
const QUEUED: ReadonlySet<string> = new Set(QUEUED_STATES);
const RUNNING: ReadonlySet<string> = new Set(RUNNING_STATES);

export const LOAD_SQL = 'SELECT query_id, state, "user" FROM system.runtime.queries WHERE state IN ('
  + [...QUEUED_STATES, ...RUNNING_STATES].map((s) => `'${s}'`).join(', ') + ')';

export const loadQueryCheck: Check = {
  name: 'load',
  role: 'load',
  async run(session): Promise<CheckResult> {
    const result = await session.statement('load', LOAD_SQL);
    return { outcome: 'pass', facts: { load: countQueries(result, session.user), queryId: result.queryId } };
  },
};

/** Counts the rows of LOAD_SQL by state, leaving out the monitor's own queries. */
export function countQueries(result: StatementResult, monitorUser: string): LoadSample {
  const stateAt = result.columns.indexOf('state');
  const userAt = result.columns.indexOf('user');
  if (stateAt < 0 || userAt < 0) {
    throw new HealthCheckError('load', `system.runtime.queries answered without state and user columns (got ${result.columns.join(', ') || 'none'})`);
  }
  let running = 0;
  let queued = 0;
  const byUser: Record<string, number> = {};
  for (const row of result.rows) {
    if (row[userAt] === monitorUser) continue;
    const state = String(row[stateAt]);
    if (RUNNING.has(state)) running++;
    else if (QUEUED.has(state)) queued++;
    else continue;
    const user = String(row[userAt]);
    byUser[user] = (Object.hasOwn(byUser, user) ? byUser[user]! : 0) + 1;
  }
  return { running, queued, source: 'runtime_queries', byUser };
}
