/**
 * Replicas that share one SQLite file (one pod with several workers, or a shared volume):
 * what one replica learns, the other routes by, without probing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import type { RequestContext } from '../../src/routing/request-router.js';
import { eventually, submit } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';
import { routeFully } from '../support/route-fully.js';

let chain: Chain;
let second: RunningRouter;
beforeAll(async () => {
  chain = await startChain({ prefixRouting: false });
  second = await startRouter({ configPath: chain.configPath });
});
afterAll(async () => {
  await second?.close();
  await chain?.close();
});

it('a query learned by one replica is routed by query id on the other after a sync', async () => {
  const first = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=5 duration=60000 */', { 'X-Trino-User': 'etl_shared' });
  const path = new URL(first.body.nextUri).pathname;
  const follow = (): RequestContext | Promise<RequestContext> => routeFully(second.router, {
    headers: [[':method', 'GET'], [':path', path], [':authority', 'envoy'], ['x-trino-user', 'etl_shared']],
    listenerPort: 8080,
  });
  // The first replica writes behind; once its batch is in the shared file, one sync suffices.
  await eventually(async () => (await second.store.ownership.findQueryOwner(first.body.id)) !== undefined);
  await second.syncOwnership();
  const context = await follow();
  expect(context.instruction).toMatchObject({ kind: 'forward', backend: 'trino-b', mechanism: 'query_id' });
});
