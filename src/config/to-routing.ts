/**
 * The file's routing sections in the engine's shape, and the way back from an engine field
 * path (as validate.ts reports it) to the file's field path (as the operator wrote it).
 */
import { RULE_FIELDS, type FieldKind, type FieldKinds } from '../routing/fields.js';
import type { Backend, RoutingConfig, RoutingGroup, RoutingRule, RuleMatch } from '../routing/model.js';
import type { PathSegment } from '../routing/validate.js';
import type { FileKindInput, RoutingPart, RuleMatchInput } from './schema.js';

/** Builds the RoutingConfig; absent optional values are left out, never set to undefined. */
export function toRoutingConfig(file: RoutingPart): RoutingConfig {
  return {
    backends: file.backends.map((b): Backend => ({
      name: b.name,
      url: b.url,
      enabled: b.enabled,
      prefixRouting: b.prefixRouting,
      schedules: b.schedules.map((s) => ({ cron: s.cron, timeZone: s.timeZone })),
      ...(b.maxLoad === null ? {} : { maxLoad: b.maxLoad }),
      ...(b.draining ? { draining: true } : {}),
      ...(b.maxRunningQueries === null ? {} : { maxRunningQueries: b.maxRunningQueries }),
    })),
    groups: file.groups.map((g): RoutingGroup => ({
      name: g.name,
      strategy: g.strategy,
      members: g.backends.map((m) => (typeof m === 'string' ? { backend: m, weight: 1 } : { backend: m.name, weight: m.weight })),
      ...(g.fallback === null ? {} : { fallback: g.fallback }),
      ...(g.maxRunningQueries === null ? {} : { maxRunningQueries: g.maxRunningQueries }),
    })),
    rules: file.rules.map((r): RoutingRule => ({
      name: r.name,
      priority: r.priority,
      group: r.group,
      ...(r.backend === null ? {} : { backend: r.backend }),
      ...(r.requestedGroups === null ? {} : { requestedGroups: [...r.requestedGroups] }),
      ...(r.fallback === null ? {} : { fallback: false as const }),
      ...(r.queuePriority === null ? {} : { queuePriority: r.queuePriority }),
      ...(r.maxRunningPerUser === null ? {} : { maxRunningPerUser: r.maxRunningPerUser }),
      match: toRuleMatch(r.match),
    })),
    defaultGroup: file.routing.defaultGroup,
  };
}

/** The file's shorthands, per kind of field: a plain string is `{exact}`, one port or header condition a list of one. */
const FROM_FILE: { readonly [K in FieldKind]: (input: FileKindInput<K>) => FieldKinds[K]['spec'] } = {
  string: (input) => (typeof input === 'string' ? { exact: input } : input),
  tags: (input) => input,
  ports: (input) => (typeof input === 'number' ? [input] : [...input]),
  properties: (input) => ({ ...input }),
  headers: (input) => (Array.isArray(input) ? [...input] : [input]),
  names: (input) => (typeof input === 'string' ? { glob: [input] } : Array.isArray(input) ? { glob: [...input] } : input),
};

function toRuleMatch(input: RuleMatchInput): RuleMatch {
  const match: Record<string, unknown> = {};
  for (const definition of RULE_FIELDS) {
    const spec = input[definition.key];
    if (spec !== undefined) match[definition.key] = (FROM_FILE[definition.kind] as (i: unknown) => unknown)(spec);
  }
  return match as RuleMatch;
}

/**
 * The file path of an engine path: `defaultGroup` lives under `routing`, group `members` are
 * the file's `backends` (a plain name has no `.name`/`.weight`), and shorthand values (a plain
 * string for `{exact}`, one port for a list) are reported at the value itself.
 */
export function fileFieldPath(enginePath: readonly PathSegment[], rawFile: unknown): PathSegment[] {
  const [head, ...rest] = enginePath;
  let path: PathSegment[];
  if (head === 'defaultGroup') path = ['routing', 'defaultGroup', ...rest];
  else if (head === 'groups' && rest[1] === 'members') {
    const [index, , memberIndex, field] = rest;
    path = ['groups', index as PathSegment, 'backends'];
    if (memberIndex !== undefined) path.push(memberIndex);
    if (field !== undefined) path.push(field === 'backend' ? 'name' : field);
  } else path = [...enginePath];
  return longestPresentPrefix(path, rawFile);
}

/** Cuts the path where the raw data stops having objects (shorthand values). */
function longestPresentPrefix(path: readonly PathSegment[], raw: unknown): PathSegment[] {
  const kept: PathSegment[] = [];
  let node = raw;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') break;
    // One condition written without its list (`header: {...}`): the engine's [0] is the object itself.
    if (typeof segment === 'number' && !Array.isArray(node) && segment === 0) continue;
    kept.push(segment);
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return kept;
}
