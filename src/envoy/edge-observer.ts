/**
 * What the Envoy-facing edges report as they work: streams and calls, routing outcomes and
 * errors. Metrics and logs implement it; the edges know nothing of either.
 */
import type { RequestContext } from '../routing/request-router.js';

export type Edge = 'ext_proc' | 'ext_authz';

export interface EdgeObserver {
  streamOpened(): void;
  streamClosed(): void;
  streamError(kind: string, error: unknown): void;
  /** A request was answered (forwarded or replied to). */
  routed(context: RequestContext): void;
}
