/**
 * What changed between two routing configurations: entities added, changed and removed by
 * name, and the default group. Used by import (what it would change), the config history
 * (what each revision changed) and the config file watcher.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RoutingConfig } from './model.js';

export interface NameDiff {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

export interface RoutingDiff {
  readonly backends: NameDiff;
  readonly groups: NameDiff;
  readonly rules: NameDiff;
  /** The new default group, when it changes. */
  readonly defaultGroup: string | undefined;
  /** Anything differs, order included (the store keeps the file's order). */
  readonly changed: boolean;
}

export function diffRouting(current: RoutingConfig, next: RoutingConfig): RoutingDiff {
  return {
    backends: diffByName(current.backends, next.backends),
    groups: diffByName(current.groups, next.groups),
    rules: diffByName(current.rules, next.rules),
    defaultGroup: current.defaultGroup === next.defaultGroup ? undefined : next.defaultGroup,
    changed: !sameJson(current, next),
  };
}

/** One short line, e.g. "backends +c ~a; rules -r1; default group adhoc" ("order only" when only the order moved). */
export function summarizeDiff(diff: Omit<RoutingDiff, 'changed'>): string {
  const parts: string[] = [];
  for (const kind of ['backends', 'groups', 'rules'] as const) {
    const names = diff[kind];
    const marks = [...names.added.map((n) => `+${n}`), ...names.changed.map((n) => `~${n}`), ...names.removed.map((n) => `-${n}`)];
    if (marks.length > 0) parts.push(`${kind} ${marks.join(' ')}`);
  }
  if (diff.defaultGroup !== undefined) parts.push(`default group ${diff.defaultGroup}`);
  return parts.length === 0 ? 'order only' : parts.join('; ');
}

function diffByName<T extends { readonly name: string }>(current: readonly T[], next: readonly T[]): NameDiff {
  const before = new Map(current.map((item) => [item.name, item]));
  const after = new Map(next.map((item) => [item.name, item]));
  return {
    added: next.filter((item) => !before.has(item.name)).map((item) => item.name),
    changed: next.filter((item) => before.has(item.name) && !sameJson(before.get(item.name), item)).map((item) => item.name),
    removed: current.filter((item) => !after.has(item.name)).map((item) => item.name),
  };
}

/** Deep equality of the JSON forms (absent and undefined properties compare equal). */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
