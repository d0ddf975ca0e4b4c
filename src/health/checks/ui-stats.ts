/**
 * Load from /ui/api/stats, a fallback when the load query failed (`monitor.uiLogin`): the page
 * needs a web UI login (the Trino-UI-Token cookie; X-Trino-User is ignored), so the monitor
 * logs in (POST /ui/login as its user, no password: Trino's form login over plain HTTP,
 * server/ui/FormWebUiAuthenticationFilter.java) once the health query is over, so the stats
 * count none of the monitor's queries. Blocked queries are running ones that wait.
 */
import { HealthCheckError } from '../check-error.js';
import type { Check, CheckResult } from './check.js';

const UI_TOKEN_COOKIE = 'Trino-UI-Token';

export const uiStatsCheck: Check = {
  name: 'ui_stats',
  role: 'load',
  async run(session): Promise<CheckResult> {
    if ((await session.resultOf('load')).outcome === 'pass') return { outcome: 'skip' };
    await session.resultOf('query');
    const { http } = session;
    const login = await http.postForm('ui_stats', session.url('ui/login'), new URLSearchParams({ username: session.user, password: '', redirectPath: '' }));
    const cookie = login.cookies.map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith(`${UI_TOKEN_COOKIE}=`));
    if (cookie === undefined) throw new HealthCheckError('ui_stats', `POST /ui/login: no ${UI_TOKEN_COOKIE} cookie (HTTP ${login.status}; is form login on, and the user allowed without a password?)`);
    const body = await http.json('ui_stats', session.url('ui/api/stats'), { headers: { Cookie: cookie } });
    const record = body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
    const { runningQueries, blockedQueries, queuedQueries } = record;
    if (!isCount(runningQueries) || !isCount(queuedQueries)) {
      throw new HealthCheckError('ui_stats', 'GET /ui/api/stats: expected runningQueries and queuedQueries');
    }
    const load = { running: runningQueries + (isCount(blockedQueries) ? blockedQueries : 0), queued: queuedQueries, source: 'ui_stats' as const };
    return { outcome: 'pass', facts: { load } };
  },
};

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
