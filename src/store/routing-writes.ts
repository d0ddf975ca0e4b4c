/**
 * What a store writes to turn the current routing config into the next one: the entities
 * that are new, changed or moved, and the names that are gone. Unchanged rows are left alone,
 * so their `updated_at` keeps saying when they last changed. Shared by every store backend.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Backend, RoutingConfig, RoutingGroup, RoutingRule } from '../routing/model.js';

export interface EntityWrites<T> {
  /** New or changed entities with their position (their index in the list). */
  readonly upsert: readonly { readonly entity: T; readonly position: number; readonly isNew: boolean }[];
  readonly remove: readonly string[];
}

export interface RoutingWrites {
  readonly backends: EntityWrites<Backend>;
  readonly groups: EntityWrites<RoutingGroup>;
  readonly rules: EntityWrites<RoutingRule>;
  /** Set when the default group changes. */
  readonly defaultGroup: string | undefined;
  readonly changed: boolean;
}

export function routingWrites(current: RoutingConfig, next: RoutingConfig, defaultGroupStored: boolean): RoutingWrites {
  const backends = entityWrites(current.backends, next.backends);
  const groups = entityWrites(current.groups, next.groups);
  const rules = entityWrites(current.rules, next.rules);
  const defaultGroup = next.defaultGroup !== current.defaultGroup || (!defaultGroupStored && next.defaultGroup !== '')
    ? next.defaultGroup
    : undefined;
  const changed = [backends, groups, rules].some((w) => w.upsert.length > 0 || w.remove.length > 0) || defaultGroup !== undefined;
  return { backends, groups, rules, defaultGroup, changed };
}

function entityWrites<T extends { readonly name: string }>(current: readonly T[], next: readonly T[]): EntityWrites<T> {
  const before = new Map(current.map((entity, position) => [entity.name, { entity, position }]));
  const upsert: { entity: T; position: number; isNew: boolean }[] = [];
  next.forEach((entity, position) => {
    const old = before.get(entity.name);
    if (old === undefined) upsert.push({ entity, position, isNew: true });
    else if (old.position !== position || !isDeepStrictEqual(comparable(old.entity), comparable(entity))) upsert.push({ entity, position, isNew: false });
  });
  const kept = new Set(next.map((entity) => entity.name));
  return { upsert, remove: current.filter((entity) => !kept.has(entity.name)).map((entity) => entity.name) };
}

/** Drops `undefined` properties, so a config built in code compares equal to the stored one. */
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
