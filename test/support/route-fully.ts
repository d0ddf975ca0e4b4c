/**
 * A RequestRouter driven as an edge drives it: a submission held for its body (AwaitingBody)
 * is given `sql` as that body, the way Envoy sends it after READ_BODY.
 */
import { AwaitingBody, type Incoming, type RequestContext, type RequestRouter } from '../../src/routing/request-router.js';

export function routeFully(router: RequestRouter, incoming: Incoming, sql = ''): RequestContext | Promise<RequestContext> {
  const routed = router.route(incoming);
  if (!(routed instanceof AwaitingBody)) return routed;
  return router.routeWithBody(routed, { bytes: Buffer.from(sql, 'utf8'), complete: true, sent: true });
}

/** route() for a request the router answers at once (no probe, no body): fails the test otherwise. */
export function routeNow(router: RequestRouter, incoming: Incoming): RequestContext {
  const routed = router.route(incoming);
  if (routed instanceof AwaitingBody || routed instanceof Promise) throw new Error('expected the router to answer at the headers, synchronously');
  return routed;
}
