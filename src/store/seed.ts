/**
 * The config file seeds the store's routing tables; afterwards the store (changed through the
 * admin API) is the source of truth.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RoutingConfig } from '../routing/model.js';
import type { Store } from './open-store.js';

/** if-empty: seed only a store that never held routing; overwrite: replace it on every start. */
export type SeedMode = 'if-empty' | 'overwrite';

export interface SeedOutcome {
  /** True when the routing tables were written. */
  readonly seeded: boolean;
  readonly revision: number;
}

/**
 * Seeds in one IMMEDIATE transaction, so two replicas starting together seed once. An
 * overwrite that would write what is already stored is skipped, so a restart does not bump
 * the revision (and wake every watcher) for nothing.
 */
export function seedFromConfig(store: Store, config: RoutingConfig, mode: SeedMode): SeedOutcome {
  return store.transaction(() => {
    const empty = store.routing.isEmpty();
    if (mode === 'if-empty' && !empty) return { seeded: false, revision: store.routing.revision() };
    if (mode === 'overwrite' && !empty && isDeepStrictEqual(normalize(store.routing.load()), normalize(config))) {
      return { seeded: false, revision: store.routing.revision() };
    }
    return { seeded: true, revision: store.routing.replaceAll(config) };
  });
}

/** Drops `undefined` properties so a config built in code compares equal to the stored one. */
function normalize(config: RoutingConfig): unknown {
  return JSON.parse(JSON.stringify(config));
}
