/**
 * What the router routes for each of Trino's spooling retrieval modes, end to end through the
 * Envoy stand-in with prefix routing (coordinator_proxy, where downloads pass through the
 * coordinator, is covered by the follow-up suite):
 * - storage (Trino's default): the segment uri is a pre-signed storage URL the client fetches
 *   straight from storage, so it never reaches Envoy; only the ackUri is routed.
 * - coordinator_storage_redirect: the download is routed to the owning cluster, which answers
 *   303 to storage; the ackUri is routed.
 * - small results come inline: nothing besides the statement's own polls is routed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runRaw } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';
import type { TrinoStandinOptions } from '../standins/trino/index.js';

const SPOOLED = { 'X-Trino-User': 'etl_spool', 'X-Trino-Query-Data-Encoding': 'json' };
interface Segment { type: string; uri?: string; ackUri?: string; data?: string }

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

async function spooledQuery(trino: TrinoStandinOptions): Promise<{ chain: Chain; segments: Segment[] }> {
  chain = await startChain({ edge: 'ext_proc', prefixRouting: true, trino: { rowsPerPage: 5, ...trino } });
  const answers = await runRaw(chain.envoy.url, 'SELECT * FROM t /* rows=12 */', SPOOLED);
  return { chain, segments: answers.flatMap((a) => (a.body.data?.segments ?? []) as Segment[]) };
}

function ownerOf(c: Chain, segment: Segment): string {
  const owner = /\/_tr\/(trino-[ab])\//.exec(segment.ackUri ?? '')?.[1];
  expect(owner).toBeDefined();
  return owner === 'trino-a' ? c.trinoA.url : c.trinoB.url;
}

describe('spooled segments through Envoy, per retrieval mode', () => {
  it('storage (default): the client fetches the pre-signed uri from storage, and only the ackUri goes through Envoy to the owner', async () => {
    const { chain: c, segments } = await spooledQuery({ spooling: { inlineMaxRows: 0 } });
    expect(segments.length).toBeGreaterThan(1);
    for (const segment of segments) {
      const owner = ownerOf(c, segment);
      expect(segment.uri?.startsWith(`${owner}/_storage/spooled/`)).toBe(true);
      expect(segment.ackUri?.startsWith(`${c.envoy.url}/_tr/`)).toBe(true);
      expect((await fetch(segment.uri!)).status).toBe(200);
      expect((await fetch(segment.ackUri!)).status).toBe(200);
    }
  });

  it('coordinator_storage_redirect: the download is routed to the owner, which answers 303 to storage', async () => {
    const { chain: c, segments } = await spooledQuery({ spooling: { mode: 'coordinator_storage_redirect', inlineMaxRows: 0 } });
    expect(segments.length).toBeGreaterThan(1);
    for (const segment of segments) {
      const owner = ownerOf(c, segment);
      expect(segment.uri).toMatch(new RegExp(`^${c.envoy.url}/_tr/trino-[ab]/[^/]+/v1/spooled/download/`));
      const redirect = await fetch(segment.uri!, { redirect: 'manual' });
      expect(redirect.status).toBe(303);
      const location = redirect.headers.get('location') ?? '';
      expect(location.startsWith(`${owner}/_storage/spooled/`)).toBe(true);
      expect((await fetch(location)).status).toBe(200);
      expect((await fetch(segment.ackUri!)).status).toBe(200);
    }
  });

  it('small results come inline: no segment request at all', async () => {
    const { segments } = await spooledQuery({});
    expect(segments.length).toBeGreaterThan(1);
    expect(segments.every((s) => s.type === 'inline' && s.uri === undefined && s.ackUri === undefined)).toBe(true);
  });
});
