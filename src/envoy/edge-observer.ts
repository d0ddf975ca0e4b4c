/**
 * What the Envoy-facing edges report as they work: streams and calls, routing outcomes and
 * errors. Metrics and logs implement it; the edges know nothing of either.
 */
import type { RequestContext } from '../routing/request-router.js';

export type Edge = 'ext_proc' | 'ext_authz';

export interface EdgeObserver {
  /** An ext_proc stream or an ext_authz call began. */
  streamOpened(edge: Edge): void;
  streamClosed(edge: Edge): void;
  streamError(edge: Edge, kind: string, error: unknown): void;
  /**
   * A request was answered (forwarded or replied to). `decisionSeconds` is the time the router
   * took to decide, probes included.
   */
  routed(edge: Edge, context: RequestContext, decisionSeconds: number): void;
}

/** Fans every report out to several observers (logs, metrics, load tracking). */
export function combineObservers(observers: readonly EdgeObserver[]): EdgeObserver {
  return {
    streamOpened: (edge) => {
      for (const o of observers) o.streamOpened(edge);
    },
    streamClosed: (edge) => {
      for (const o of observers) o.streamClosed(edge);
    },
    streamError: (edge, kind, error) => {
      for (const o of observers) o.streamError(edge, kind, error);
    },
    routed: (edge, context, decisionSeconds) => {
      for (const o of observers) o.routed(edge, context, decisionSeconds);
    },
  };
}

/**
 * Reports a stream or call opened now and returns the function that reports it closed; calling
 * that more than once (the call ended, then was cancelled) reports it once.
 */
export function openStream(observer: EdgeObserver, edge: Edge): () => void {
  observer.streamOpened(edge);
  let open = true;
  return () => {
    if (open) {
      open = false;
      observer.streamClosed(edge);
    }
  };
}
