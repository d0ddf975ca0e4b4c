/**
 * The admin API's reads of the routing state: from the store when it answers, else (the store
 * unavailable: PostgreSQL down or unreachable) from the snapshot this replica routes by, with
 * how stale that may be. Writes never fall back: they fail with UNAVAILABLE.
 */
import type { StoreFreshness as ApiStoreFreshness } from '../gen/trino_envoy_router/admin/v1/admin.js';
import { readNow, snapshotFreshness, type StoreFreshness } from '../routing/freshness.js';
import type { VersionedRoutingConfig } from '../routing/routing-store.js';
import { StoreError } from '../store/errors.js';
import type { AdminDeps } from './deps.js';

export interface FreshRouting extends VersionedRoutingConfig {
  readonly freshness: StoreFreshness;
}

export async function readRouting(deps: AdminDeps): Promise<FreshRouting> {
  try {
    const read = await deps.routingStore.read();
    return { ...read, freshness: readNow(Date.now()) };
  } catch (error) {
    if (!(error instanceof StoreError) || error.kind !== 'store_unavailable') throw error;
    const snapshot = deps.router.snapshot();
    const freshness = snapshotFreshness({ ...deps.storeSync(), storeError: error.message, now: Date.now() });
    deps.logger.debug({ err: error, revision: snapshot.revision, staleForMs: freshness.staleForMs }, 'admin read answered from memory: the store is unavailable');
    return { config: snapshot.config, revision: snapshot.revision, freshness };
  }
}

/** Freshness of the snapshot this replica routes by (GetStatus, which reads no store). */
export function servingFreshness(deps: AdminDeps): StoreFreshness {
  return snapshotFreshness({ ...deps.storeSync(), now: Date.now() });
}

export function freshnessToApi(freshness: StoreFreshness): ApiStoreFreshness {
  return { storeSyncedAt: new Date(freshness.syncedAt), staleForMs: freshness.staleForMs, staleReason: freshness.staleReason ?? '' };
}
