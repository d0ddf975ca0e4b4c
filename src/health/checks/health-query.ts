/**
 * The health query (SELECT 1) through the statement protocol as the monitor user: proves the
 * coordinator authenticates the monitor and runs queries, and its query id names the
 * coordinator (for query-id routing).
 */
import type { Check, CheckResult } from './check.js';

export const HEALTH_SQL = 'SELECT 1';

export const healthQueryCheck: Check = {
  name: 'query',
  role: 'health',
  async run(session): Promise<CheckResult> {
    const result = await session.statement('query', HEALTH_SQL);
    return { outcome: 'pass', facts: { queryId: result.queryId } };
  },
};
