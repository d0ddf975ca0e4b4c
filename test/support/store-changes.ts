/** Routing changes the way the admin API makes them (one store transaction), for tests. */
import { replaceAll } from '../../src/routing/config-edits.js';
import type { RoutingConfig } from '../../src/routing/model.js';
import type { RoutingStore } from '../../src/routing/routing-store.js';

export function changeRouting(store: RoutingStore, edit: (current: RoutingConfig) => RoutingConfig): Promise<number> {
  return store.transaction(async (tx) => tx.write(edit((await tx.read()).config)));
}

export function replaceRouting(store: RoutingStore, config: RoutingConfig): Promise<number> {
  return changeRouting(store, (current) => replaceAll(current, config));
}
