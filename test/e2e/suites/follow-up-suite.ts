/**
 * The rest of a query's life through Envoy and the router, written once and run for each edge
 * (ext_proc, ext_authz): info, UI, kill and partial-cancel requests reach the cluster that owns
 * the query, forged or tampered route prefixes and unknown query ids are refused with a
 * Trino-shaped error (never guessed), spooled segments download through their prefixed URIs,
 * and a refused submission reaches the official JavaScript client as an error it shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicAuth, Trino } from 'trino-client';
import { collect, follow, get, rowsOf, runRaw, submit } from '../../support/statement-protocol.js';
import { startChain, type Chain, type Edge } from '../harness.js';

export function followUpSuite(edge: Edge): void {
  describe(`per-query requests through Envoy's ${edge} without prefix routing`, () => {
    let chain: Chain;
    beforeAll(async () => {
      chain = await startChain({ edge, prefixRouting: false });
    });
    afterAll(async () => {
      await chain?.close();
    });

    it('info, UI, kill and partial-cancel requests of a query reach the cluster that owns it', async () => {
      const etl = { 'X-Trino-User': 'etl_ui' };
      const first = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=50 duration=60000 */', etl);
      const queryId: string = first.body.id;
      expect(chain.trinoB.query(queryId)).toBeDefined();
      // Before its first poll Trino only registered the query: /v1/query/{id} would be 410.
      expect((await get(first.body.nextUri, etl)).status).toBe(200);
      // A paged query hands out a partialCancelUri with its first data page.
      const paged = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=500 */', etl);
      const queued = await get(paged.body.nextUri, etl);
      const running = await get(queued.body.nextUri, etl);

      const info = await get(`${chain.envoy.url}/v1/query/${queryId}`, etl);
      expect(info.status).toBe(200);
      expect(info.body.queryId).toBe(queryId);
      await get(`${chain.envoy.url}/ui/query.html?${queryId}`, etl);
      await get(`${chain.envoy.url}/ui/api/query/${queryId}`, etl);
      expect(running.body.partialCancelUri).toBeDefined();
      const partialCancelPath = new URL(running.body.partialCancelUri).pathname;
      await fetch(running.body.partialCancelUri, { method: 'DELETE', headers: etl });
      const killed = await fetch(`${chain.envoy.url}/v1/query/${queryId}/killed`, { method: 'PUT', headers: etl, body: 'operator said so' });
      expect(killed.status).toBe(202); // server/QueryResource.java accepts a kill with 202
      expect(chain.trinoB.query(queryId)?.state).toBe('FAILED');

      const pathsAtB = chain.trinoB.requestLog().map((r) => r.path);
      expect(pathsAtB).toContain(`/ui/query.html?${queryId}`);
      expect(pathsAtB).toContain(`/ui/api/query/${queryId}`);
      expect(pathsAtB).toContain(`/v1/query/${queryId}/killed`);
      expect(pathsAtB).toContain(partialCancelPath);
      // ext_proc learned the owner from the submission's response. ext_authz never sees one, so
      // its first follow-up asked both clusters (GET /v1/info names trino-b's coordinator id;
      // GET /v1/query/{id} in parallel); nothing else about the query went to a.
      const seenByA = chain.trinoA.requestLog().filter((r) => r.path.includes(queryId));
      if (edge === 'ext_proc') expect(seenByA).toEqual([]);
      else expect(seenByA.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/query/${queryId}`]);
    });
  });

  describe(`forged prefixes and unknown ids through Envoy's ${edge}`, () => {
    let chain: Chain;
    beforeAll(async () => {
      chain = await startChain({ edge, prefixRouting: true, trino: { rowsPerPage: 5, spooling: { mode: 'coordinator_proxy', inlineMaxRows: 0 } } });
    });
    afterAll(async () => {
      await chain?.close();
    });

    it('a prefix re-pointed at another cluster or with a bad signature is refused', async () => {
      const first = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=20 duration=2000 */', { 'X-Trino-User': 'alice' });
      const nextUri: string = first.body.nextUri;
      expect(nextUri).toMatch(/\/_tr\/trino-a\/[^/]+\/v1\/statement\//);
      const seenByB = chain.trinoB.requestLog().length;

      const repointed = await get(nextUri.replace('/_tr/trino-a/', '/_tr/trino-b/'));
      expect(repointed.status).toBe(200);
      expect(repointed.body.stats.state).toBe('FAILED');
      expect(repointed.body.error.errorName).toBe('PERMISSION_DENIED');
      expect(repointed.body.error.message).toMatch(/route prefix is not valid/);

      const tampered = await get(nextUri.replace(/(\/_tr\/trino-a\/[^/]+\.)[^/.]+\//, '$1AAAAAAAAAAAAAAAAAAAAAA/'));
      expect(tampered.body.error.errorName).toBe('PERMISSION_DENIED');
      expect(chain.trinoB.requestLog().length).toBe(seenByB);

      // The genuine URL still works and the query finishes with every row on trino-a.
      const answers = await follow(first);
      expect(rowsOf(answers)).toHaveLength(20);
      expect(new Set(rowsOf(answers).map((r) => r[1]))).toEqual(new Set(['trino-a']));
      // Trino only ever saw paths without the prefix: the router stripped it from each one.
      expect(chain.trinoA.requestLog().some((r) => r.path.startsWith('/_tr/'))).toBe(false);
    });

    it('spooled segments download from the cluster that made them, through their prefixed URIs', async () => {
      const answers = await runRaw(chain.envoy.url, 'SELECT * FROM t /* rows=12 */', { 'X-Trino-User': 'etl_spool', 'X-Trino-Query-Data-Encoding': 'json' });
      const segments = answers.flatMap((a) => (a.body.data?.segments ?? []) as { uri: string; ackUri: string }[]);
      expect(segments.length).toBeGreaterThan(1);
      const rows: unknown[][] = [];
      for (const segment of segments) {
        expect(segment.uri).toMatch(/\/_tr\/trino-b\/[^/]+\/v1\/spooled\/download\//);
        const download = await fetch(segment.uri);
        expect(download.status).toBe(200);
        rows.push(...(JSON.parse(await download.text()) as unknown[][]));
        expect((await fetch(segment.ackUri)).status).toBe(200);
      }
      expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['trino-b']));
    });

    it('a spooled segment URL without a prefix is refused with a reason, not guessed', async () => {
      const response = await fetch(`${chain.envoy.url}/v1/spooled/download/abc123`);
      expect(response.status).toBe(404);
      expect((await response.json()).message).toMatch(/carry no query id/);
    });

    it('an unknown query id gets a Trino error naming it, on every kind of follow-up path', async () => {
      const unknown = '20261122_101010_00042_zzzzz';
      const poll = await get(`${chain.envoy.url}/v1/statement/executing/${unknown}/y0123abcd/1`);
      expect(poll.status).toBe(200);
      expect(poll.body.error.errorName).toBe('NOT_FOUND');
      expect(poll.body.error.message).toContain(unknown);

      // /v1/query/{id} answers as Trino does for an unknown query: GET 410 Gone, DELETE 204.
      const info = await fetch(`${chain.envoy.url}/v1/query/${unknown}`, { headers: { 'X-Trino-User': 'alice' } });
      expect(info.status).toBe(410);
      expect(await info.text()).toContain(unknown);
      const forget = await fetch(`${chain.envoy.url}/v1/query/${unknown}`, { method: 'DELETE', headers: { 'X-Trino-User': 'alice' } });
      expect(forget.status).toBe(204);

      const cancel = await fetch(`${chain.envoy.url}/v1/statement/executing/${unknown}/y0123abcd/1`, { method: 'DELETE', headers: { 'X-Trino-User': 'alice' } });
      expect(cancel.status).toBe(200);
      expect((await cancel.json()).error.errorName).toBe('NOT_FOUND');
    });

    it('a malformed query id is refused without asking any cluster', async () => {
      const before = chain.trinoA.requestLog().length + chain.trinoB.requestLog().length;
      const malformed = await get(`${chain.envoy.url}/v1/statement/executing/20261399_000000_00000_aaaaa/y1/1`);
      expect(malformed.body.error.errorName).toBe('GENERIC_USER_ERROR');
      expect(malformed.body.error.message).toMatch(/Malformed/);
      expect(chain.trinoA.requestLog().length + chain.trinoB.requestLog().length).toBe(before);
    });
  });

  describe(`a refused submission through Envoy's ${edge}`, () => {
    let chain: Chain;
    beforeAll(async () => {
      chain = await startChain({ edge, backendFields: 'enabled: false' });
    });
    afterAll(async () => {
      await chain?.close();
    });

    it('shows as a query error in the JavaScript client, as Trino reports a query that fails at once', async () => {
      const run = await collect(Trino.create({ server: chain.envoy.url, auth: new BasicAuth('etl_x') }), 'SELECT 1');
      expect(run.error).toBe('No Trino cluster can take this query now (group etl: trino-b disabled)');
      expect(run.rows).toEqual([]);
      expect(chain.trinoA.requestLog()).toHaveLength(0);
      expect(chain.trinoB.requestLog()).toHaveLength(0);
    });

    it('answers the submission QUEUED with a nextUri on the same origin, and the poll FAILED', async () => {
      const first = await submit(chain.envoy.url, 'SELECT 1', { 'X-Trino-User': 'alice' });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toMatch(/^application\/json/);
      expect(first.body.stats.state).toBe('QUEUED');
      expect(first.body.nextUri.startsWith(`${chain.envoy.url}/_router/refused/`)).toBe(true);
      const polled = await get(first.body.nextUri);
      expect(polled.body.stats.state).toBe('FAILED');
      expect(polled.body.nextUri).toBeUndefined();
      expect(polled.body.error.errorName).toBe('QUERY_REJECTED');

      const forgedRefusal = await get(`${chain.envoy.url}/_router/refused/not-base64-json`);
      expect(forgedRefusal.status).toBe(400);
    });
  });
}
