/**
 * The file's routing sections in the engine's shape, and the way back from an engine field
 * path (as validate.ts reports it) to the file's field path (as the operator wrote it).
 */
import type { Backend, RoutingConfig, RoutingGroup, RoutingRule, RuleMatch, StringMatch } from '../routing/model.js';
import type { PathSegment } from '../routing/validate.js';
import type { RoutingPart, RuleMatchInput, StringMatchInput } from './schema.js';

const STRING_FIELDS = ['method', 'path', 'host', 'user', 'source', 'catalog', 'schema', 'clientInfo'] as const;

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
    })),
    groups: file.groups.map((g): RoutingGroup => ({
      name: g.name,
      strategy: g.strategy,
      members: g.backends.map((m) => (typeof m === 'string' ? { backend: m, weight: 1 } : { backend: m.name, weight: m.weight })),
      ...(g.fallback === null ? {} : { fallback: g.fallback }),
    })),
    rules: file.rules.map((r): RoutingRule => ({
      name: r.name,
      priority: r.priority,
      group: r.group,
      match: toRuleMatch(r.match),
    })),
    defaultGroup: file.routing.defaultGroup,
  };
}

function toStringMatch(input: StringMatchInput): StringMatch {
  return typeof input === 'string' ? { exact: input } : input;
}

function toRuleMatch(input: RuleMatchInput): RuleMatch {
  const match: { -readonly [K in keyof RuleMatch]: RuleMatch[K] } = {};
  for (const field of STRING_FIELDS) {
    const spec = input[field];
    if (spec !== undefined) match[field] = toStringMatch(spec);
  }
  if (input.listenerPort !== undefined) {
    match.listenerPort = typeof input.listenerPort === 'number' ? [input.listenerPort] : [...input.listenerPort];
  }
  if (input.clientTags !== undefined) match.clientTags = input.clientTags;
  if (input.sessionProperties !== undefined) match.sessionProperties = { ...input.sessionProperties };
  return match;
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
    kept.push(segment);
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return kept;
}
