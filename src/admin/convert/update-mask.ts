/**
 * Update masks: which fields of an entity an Update call replaces. Paths are the API's field
 * names (snake_case); an empty mask replaces every updatable field.
 */
import { InvalidArgumentError } from '../errors.js';

export function maskedFields<F extends string>(mask: readonly string[], updatable: readonly F[]): ReadonlySet<F> {
  if (mask.length === 0) return new Set(updatable);
  const fields = new Set<F>();
  mask.forEach((path, i) => {
    if (!(updatable as readonly string[]).includes(path)) {
      throw new InvalidArgumentError(`update_mask[${i}]`, `cannot update ${JSON.stringify(path)}; expected one of ${updatable.join(', ')}`);
    }
    fields.add(path as F);
  });
  return fields;
}
