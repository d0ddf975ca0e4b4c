/**
 * How every admin change lands: one IMMEDIATE store transaction (read, validate, write, bump
 * the revision; all or nothing, also against other replicas writing the same store), then
 * one swap of the routing snapshot, so the very next request is routed by the change.
 */
import type { AdminDeps } from './deps.js';
import { InvalidArgumentError } from './errors.js';

export function applyChange<T>(deps: Pick<AdminDeps, 'store' | 'refreshRouting'>, work: () => T): T {
  const result = deps.store.transaction(work);
  deps.refreshRouting();
  return result;
}

/** A name the request must carry; `field` is its path in the request. */
export function requiredName(name: string, field = 'name'): string {
  if (name === '') throw new InvalidArgumentError(field, 'required');
  return name;
}
