/**
 * The new rule fields end to end: trino-client through the Envoy stand-in and the router to two
 * Trino stand-ins, in both edge modes. X-Trino-Routing-Group picks the group as trino-gateway
 * users expect, a condition on any header picks the cluster, and a rule pinned to a disabled
 * backend with fallback: false is refused with a message the client prints, and the refusal is
 * in the query history and the info log with who sent it and why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceRouting } from '../support/store-changes.js';
import { captureLogs, type CapturedLogs } from '../unit/observability/log-capture.js';
import { SUBMISSION_REFUSED_MESSAGE } from '../../src/observability/query-log.js';
import { clusterOf as clusterOfSql, EDGES, startChain, type Chain } from './harness.js';

const ROUTING = `groups:
  - { name: adhoc, strategy: round_robin, backends: [trino-a] }
  - { name: etl, strategy: round_robin, backends: [trino-b] }
rules:
  - { name: team-header, priority: 10, group: etl, match: { header: { name: X-Team, exact: data-eng } } }
  - { name: canary, priority: 20, group: adhoc, backend: trino-b, fallback: false, match: { header: { name: X-Canary, present: true } } }
  - { name: by-routing-group, priority: 30, group: adhoc, requestedGroups: [adhoc, etl], match: {} }
`;

/** The cluster that served `SELECT 1` sent with these headers, or the error. */
function clusterOf(chain: Chain, headers: Record<string, string>): Promise<string> {
  return clusterOfSql(chain, 'SELECT 1 /* rows=2 */', { headers });
}

describe.each(EDGES)('rule fields end to end through Envoy\'s %s', (edge) => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ edge, routing: ROUTING });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('X-Trino-Routing-Group names the group when the rule lists it, else the rule group', async () => {
    expect(await clusterOf(chain, { 'X-Trino-Routing-Group': 'etl' })).toBe('trino-b');
    expect(await clusterOf(chain, { 'X-Trino-Routing-Group': 'adhoc' })).toBe('trino-a');
    expect(await clusterOf(chain, { 'X-Trino-Routing-Group': 'not-listed' })).toBe('trino-a');
    expect(await clusterOf(chain, {})).toBe('trino-a');
  });

  it('a condition on any header picks the cluster, whatever the case of its name', async () => {
    expect(await clusterOf(chain, { 'x-team': 'data-eng' })).toBe('trino-b');
    expect(await clusterOf(chain, { 'X-TEAM': 'data-eng', 'X-Trino-Routing-Group': 'adhoc' })).toBe('trino-b');
    expect(await clusterOf(chain, { 'X-Team': 'other' })).toBe('trino-a');
  });

  it('a rule naming one backend sends its queries there', async () => {
    expect(await clusterOf(chain, { 'X-Canary': 'yes' })).toBe('trino-b');
  });
});

describe.each(EDGES)('a pinned backend without fallback through Envoy\'s %s', (edge) => {
  let chain: Chain;
  let logs: CapturedLogs;
  beforeAll(async () => {
    logs = captureLogs('info');
    chain = await startChain({ edge, routing: ROUTING, logger: logs.logger });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('is refused with the backend named when that backend cannot take the query', async () => {
    // Disabled through the store as an operator would (admin API / CLI write the same rows).
    const { config } = await chain.router.store.routing.read();
    await replaceRouting(chain.router.store.routing, {
      ...config,
      backends: config.backends.map((b) => (b.name === 'trino-b' ? { ...b, enabled: false } : b)),
    });
    expect(await chain.router.refreshRouting()).toBe(true);
    const answer = await clusterOf(chain, { 'X-Canary': 'yes' });
    expect(answer).toMatch(/^error: No Trino cluster can take this query now \(rule backend trino-b disabled\)/);
    // Without the canary header the same disabled backend does not matter.
    expect(await clusterOf(chain, {})).toBe('trino-a');

    // The operator finds the refusal where the routed queries are, with what the client was told.
    const refused = await chain.router.history!.list({ outcome: 'no_backend_configured' });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ backend: null, rule: 'canary', group: 'adhoc', user: 'alice', source: 'e2e', outcome: 'no_backend_configured' });
    expect(answer).toContain(refused[0]!.message);
    expect(refused[0]!.queryId).toMatch(/^refused_[0-9a-f]{32}$/);
    const lines = logs.records().filter((r) => r.msg === SUBMISSION_REFUSED_MESSAGE);
    expect(lines).toEqual([expect.objectContaining({ level: 'info', reason: 'no_backend_configured', rule: 'canary', group: 'adhoc', user: 'alice', source: 'e2e', message: refused[0]!.message })]);
  });
});
