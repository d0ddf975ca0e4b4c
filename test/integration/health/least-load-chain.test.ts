/**
 * least_load through the whole chain (trino-client -> Envoy stand-in -> router -> Trino
 * stand-ins): between two load polls the router counts the queries it sends, so a burst is
 * shared by size instead of all landing on the backend that was idle at the last poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { startChain, type Chain } from '../../e2e/harness.js';

// One round at start, the next an hour away: every query of the test is "in flight".
const HOURLY_MONITOR = '{ intervalSeconds: 3600 }';
const LEAST_LOAD = `groups:
  - { name: adhoc, strategy: least_load, backends: [{ name: trino-a, weight: 3 }, trino-b] }
`;

describe('least load between polls, end to end', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ monitor: HOURLY_MONITOR, routing: LEAST_LOAD });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('a burst of 20 queries splits 3:1 by weight, each query counted as it is routed', async () => {
    const trino = Trino.create({ server: chain.envoy.url, auth: new BasicAuth('burst'), source: 'e2e-health' });
    for (let i = 0; i < 20; i++) {
      for await (const result of await trino.query(`SELECT ${i}`)) {
        if (result.error) throw new Error(result.error.message);
      }
    }
    const ranOn = (trino: Chain['trinoA']) => trino.queries().filter((q) => q.user === 'burst').length;
    expect(ranOn(chain.trinoA) + ranOn(chain.trinoB)).toBe(20);
    expect(Math.abs(ranOn(chain.trinoA) - 15)).toBeLessThanOrEqual(1);
    const inFlight = Object.fromEntries((chain.router.health?.status() ?? []).map((s) => [s.backend, s.inFlight]));
    expect(inFlight).toEqual({ 'trino-a': ranOn(chain.trinoA), 'trino-b': ranOn(chain.trinoB) });
  });
});
