import type { EdgeObserver } from '../../src/envoy/edge-observer.js';

/** An EdgeObserver that records nothing (the in-process request path measures routing alone). */
export const noopEdgeObserver: EdgeObserver = {
  streamOpened() {},
  streamClosed() {},
  streamError() {},
  routed() {},
};
