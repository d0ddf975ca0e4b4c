/**
 * What an import would change: entities added, changed and removed by name, the default
 * group, and the settings outside routing that only a restart applies.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RouterConfig } from '../config/index.js';
import type { RoutingConfig } from '../routing/model.js';

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
    changed: !sameValue(current, next),
  };
}

function diffByName<T extends { readonly name: string }>(current: readonly T[], next: readonly T[]): NameDiff {
  const before = new Map(current.map((item) => [item.name, item]));
  const after = new Map(next.map((item) => [item.name, item]));
  return {
    added: next.filter((item) => !before.has(item.name)).map((item) => item.name),
    changed: next.filter((item) => before.has(item.name) && !sameValue(before.get(item.name), item)).map((item) => item.name),
    removed: current.filter((item) => !after.has(item.name)).map((item) => item.name),
  };
}

/** Where a RouterConfig part lives in the file, when it is not a top-level key of its own. */
const FILE_KEYS: Readonly<Record<string, string>> = {
  requests: 'routing.unavailable / routing.jwtUserClaim',
  prefix: 'routing.prefix',
  queryIds: 'routing.queryIds',
  loginFlows: 'routing.loginFlows',
};

/** File keys outside the routing tables whose value differs between the two configs. */
export function settingsNeedingRestart(running: RouterConfig, imported: RouterConfig): string[] {
  const parts = new Set([...Object.keys(running), ...Object.keys(imported)]);
  parts.delete('routing');
  const differing: string[] = [];
  for (const part of parts) {
    const a = (running as unknown as Record<string, unknown>)[part];
    const b = (imported as unknown as Record<string, unknown>)[part];
    if (!sameValue(a, b)) differing.push(FILE_KEYS[part] ?? part);
  }
  return differing;
}

/** Deep equality of the JSON forms (absent and undefined properties compare equal). */
function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
