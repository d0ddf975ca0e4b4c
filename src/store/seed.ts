/**
 * The config file seeds the store's routing tables; afterwards the store (changed through the
 * admin API) is the source of truth.
 */
import type { SeedMode } from '../config/router-config.js';
import { replaceAll } from '../routing/config-edits.js';
import type { RoutingConfig } from '../routing/model.js';
import type { RoutingStore } from '../routing/routing-store.js';
import { FILE_METHODS, type ChangeOrigin } from '../routing/config-history.js';

export type { SeedMode };

export interface SeedOutcome {
  /** True when the routing tables were written. */
  readonly seeded: boolean;
  readonly revision: number;
}

/**
 * Seeds in one store transaction, so replicas starting together seed once. An overwrite that
 * would write what is already stored changes nothing, so a restart does not bump the
 * revision (and wake every replica) for nothing.
 */
export function seedFromConfig(
  routing: RoutingStore,
  config: RoutingConfig,
  mode: SeedMode,
  origin: ChangeOrigin = { method: FILE_METHODS.seed, author: {} },
): Promise<SeedOutcome> {
  return routing.transaction(async (tx) => {
    const current = await tx.read();
    if (mode === 'if-empty' && !current.empty) return { seeded: false, revision: current.revision };
    const revision = await tx.write(replaceAll(current.config, config), origin);
    return { seeded: revision !== current.revision, revision };
  });
}
