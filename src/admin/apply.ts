/**
 * How every admin change lands: one store transaction (read under the write lock, edit, write
 * what differs, bump the revision; all or nothing, also against other replicas writing the
 * same store), then one swap of the routing snapshot, so the very next request is routed by it.
 */
import { fileHolds } from '../config-watch/operational-state.js';
import type { RoutingConfig } from '../routing/model.js';
import { diffRouting, summarizeDiff } from '../routing/routing-diff.js';
import type { AdminCall } from './call.js';
import type { AdminDeps } from './deps.js';
import { FileRulesError, InvalidArgumentError } from './errors.js';

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
  deps: Pick<AdminDeps, 'routingStore' | 'refreshRouting' | 'configFile'>,
  call: AdminCall,
  edit: (current: RoutingConfig) => RoutingConfig | undefined,
  /** Set for the operational switches, which stay allowed under watch where the file does not hold them. */
  operational?: OperationalSwitch,
): Promise<AppliedChange> {
  refuseUnderWatch(deps, call, operational);
  const applied = await deps.routingStore.transaction(async (tx): Promise<AppliedChange> => {
    const current = await tx.read();
    const next = edit(current.config);
    if (next === undefined) return { config: current.config, revision: current.revision, changed: false };
    const revision = await tx.write(next, call);
    if (revision === current.revision) return { config: current.config, revision, changed: false };
    call.noteChange(revision, summarizeDiff(diffRouting(current.config, next)));
    return { config: (await tx.read()).config, revision, changed: true };
  });
  if (applied.changed) await deps.refreshRouting();
  return applied;
}

/**
 * Under `store.seed: watch` the config file owns the routing tables: only the operational
 * switches (enable, disable, drain) may change, and enable not where the file itself
 * disables or drains the backend.
 */
export interface OperationalSwitch {
  readonly backend: string;
  readonly switch: 'enable' | 'disable' | 'drain';
}

export function refuseUnderWatch(deps: Pick<AdminDeps, 'configFile'>, call: AdminCall, operational?: OperationalSwitch): void {
  const watched = deps.configFile?.watchedRouting();
  if (watched === undefined || deps.configFile === undefined) return;
  const path = deps.configFile.status().path;
  if (operational === undefined) throw new FileRulesError(path, call.method);
  const held = fileHolds(watched, operational.backend, operational.switch);
  if (held !== undefined) throw new FileRulesError(path, call.method, held);
}

/** A name the request must carry; `field` is its path in the request. */
export function requiredName(name: string, field = 'name'): string {
  if (name === '') throw new InvalidArgumentError(field, 'required');
  return name;
}
