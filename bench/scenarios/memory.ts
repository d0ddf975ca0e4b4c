/**
 * Scenario 6: resident memory of a process holding the router's real OwnershipIndex with
 * 1,000,000 remembered query ids (the default routing.queryIds.maxEntries), learned the way
 * the request path learns them (learnQuery with an id cut from a response, plus the
 * coordinator). Ids are made one at a time so the generator holds none of them.
 */
import { OwnershipIndex } from '../../src/stickiness/ownership.js';
import { coordinatorIds, queryIds, seededRandom } from '../lib/ids.js';
import { serve } from '../lib/ipc.js';

function settle(): void {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
}

function snapshot() {
  settle();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external + m.arrayBuffers };
}

serve({
  run({ count }: { count: number }) {
    if (globalThis.gc === undefined) throw new Error('run with --expose-gc');
    const random = seededRandom(99);
    const coordinators = coordinatorIds(16, random);
    const backends = ['trino-a', 'trino-b', 'trino-c', 'trino-d'];
    const before = snapshot();
    const index = new OwnershipIndex({ maxQueries: 1_000_000, retentionMs: 24 * 3600_000, transactionRetentionMs: 24 * 3600_000 });
    const started = Date.now() - 23 * 3600_000;
    const batch = 10_000;
    const t0 = process.hrtime.bigint();
    for (let from = 0; from < count; from += batch) {
      // A batch of ids at a time (the same format and spread as queryIds, continued).
      const ids = queryIds(Math.min(batch, count - from), coordinators, started + from * 80);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        // As from a response body: a substring of a bigger string (the index copies it).
        const body = `{"id":"${id}","infoUri":"http://trino.example.com:8080/ui/query.html?${id}"}`;
        const backend = backends[(from + i) % backends.length]!;
        index.learnQuery(body.slice(7, 34), backend, 'response', started + (from + i) * 80);
        index.learnCoordinator(id.slice(22), backend, started + (from + i) * 80);
      }
    }
    const learnMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const after = snapshot();
    const sizes = index.sizes();
    if (sizes.queries !== count) throw new Error(`the index holds ${sizes.queries} ids, not ${count}`);
    if (index.queryOwner(queryIds(1, coordinators, started)[0]!) === undefined) throw new Error('the first id is not known');
    return { count, sizes, before, after, learnMs };
  },
});
