/**
 * How every admin change lands: one store transaction (read under the write lock, edit, write
 * what differs, bump the revision; all or nothing, also against other replicas writing the
 * same store), then one swap of the routing snapshot, so the very next request is routed by it.
 */
import type { RoutingConfig } from '../routing/model.js';
import type { AdminDeps } from './deps.js';
import { InvalidArgumentError } from './errors.js';

export interface AppliedChange {
  /** The configuration as stored after the change (or as found, when nothing was written). */
  readonly config: RoutingConfig;
  readonly revision: number;
  /** False when `edit` wanted no change, or its result equals what was stored. */
  readonly changed: boolean;
}

/**
 * `edit` gets the current config and returns the next one (undefined: change nothing); it
 * throws the typed refusals of routing/config-edits.ts, which roll everything back.
 */
export async function applyChange(
  deps: Pick<AdminDeps, 'routingStore' | 'refreshRouting'>,
  edit: (current: RoutingConfig) => RoutingConfig | undefined,
): Promise<AppliedChange> {
  const applied = await deps.routingStore.transaction(async (tx): Promise<AppliedChange> => {
    const current = await tx.read();
    const next = edit(current.config);
    if (next === undefined) return { config: current.config, revision: current.revision, changed: false };
    const revision = await tx.write(next);
    if (revision === current.revision) return { config: current.config, revision, changed: false };
    return { config: (await tx.read()).config, revision, changed: true };
  });
  if (applied.changed) await deps.refreshRouting();
  return applied;
}

/** A name the request must carry; `field` is its path in the request. */
export function requiredName(name: string, field = 'name'): string {
  if (name === '') throw new InvalidArgumentError(field, 'required');
  return name;
}
