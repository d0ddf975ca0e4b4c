/**
 * The router as Envoy's cluster source: a state-of-the-world ADS server whose clusters (one
 * per backend) follow the routing snapshot. resources.ts builds them (pure), ads-stream.ts
 * is the per-stream protocol, ads-server.ts the gRPC binding, resource-source.ts keeps the
 * resources in step with routing.
 */
import type { Logger } from 'pino';
import type { XdsSettings } from '../config/router-config.js';
import { createAdsService, type AdsService } from './ads-server.js';
import { combineXdsObservers, xdsLogObserver, type XdsObserver } from './observer.js';
import { XdsResourceSource, type SnapshotSource } from './resource-source.js';

export { AggregatedDiscoveryServiceService } from './ads-server.js';
export type { AdsService } from './ads-server.js';
export type { XdsObserver } from './observer.js';
export { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, type ResourceSet } from './resources.js';

export interface XdsOptions {
  readonly routing: SnapshotSource;
  readonly settings: XdsSettings;
  readonly logger: Logger;
  /** Besides the log lines (e.g. metrics). */
  readonly observers?: readonly XdsObserver[];
}

/** The ADS service over the routing snapshot's backends; add `implementation` to a gRPC server. */
export function createXdsService(options: XdsOptions): AdsService {
  const resources = new XdsResourceSource(options.routing, options.settings, options.logger);
  return createAdsService({
    resources,
    observer: combineXdsObservers([xdsLogObserver(options.logger), ...(options.observers ?? [])]),
    logger: options.logger,
  });
}
