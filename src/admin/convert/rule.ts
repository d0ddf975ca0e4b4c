/**
 * Routing rules and their conditions between the API's messages and the routing model.
 * Absent conditions stay absent (never `undefined` properties), so a rule read back equals
 * the one written. Value checks (regexes, ports, empty lists) are validate.ts's job.
 */
import type {
  Rule as ApiRule,
  RuleMatch as ApiRuleMatch,
  StringMatch as ApiStringMatch,
  TagsMatch as ApiTagsMatch,
} from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { RoutingRule, RuleMatch, StringMatch, TagsMatch } from '../../routing/model.js';
import { InvalidArgumentError } from '../errors.js';
import { maskedFields } from './update-mask.js';

/** Rules without a priority run after the ones that have one, as in the config file. */
export const DEFAULT_PRIORITY = 100;

export const UPDATABLE_RULE_FIELDS = ['priority', 'group', 'match'] as const;
type RuleField = (typeof UPDATABLE_RULE_FIELDS)[number];

const STRING_FIELDS = [
  ['method', 'method'],
  ['path', 'path'],
  ['host', 'host'],
  ['user', 'user'],
  ['source', 'source'],
  ['catalog', 'catalog'],
  ['schema', 'schema'],
  ['clientInfo', 'client_info'],
] as const;

export function ruleToApi(rule: RoutingRule): ApiRule {
  return { name: rule.name, priority: rule.priority, group: rule.group, match: matchToApi(rule.match) };
}

export function ruleFromApi(api: ApiRule | undefined): RoutingRule {
  const given = required(api);
  return { name: given.name, priority: given.priority ?? DEFAULT_PRIORITY, group: given.group, match: matchFromApi(given.match, 'rule.match') };
}

export function mergeRule(current: RoutingRule, api: ApiRule, mask: readonly string[]): RoutingRule {
  const fields: ReadonlySet<RuleField> = maskedFields(mask, UPDATABLE_RULE_FIELDS);
  return {
    name: current.name,
    priority: fields.has('priority') ? api.priority ?? DEFAULT_PRIORITY : current.priority,
    group: fields.has('group') ? api.group : current.group,
    match: fields.has('match') ? matchFromApi(api.match, 'rule.match') : current.match,
  };
}

export function required(api: ApiRule | undefined): ApiRule {
  if (api === undefined) throw new InvalidArgumentError('rule', 'required');
  if (api.name === '') throw new InvalidArgumentError('rule.name', 'required');
  return api;
}

export function matchToApi(match: RuleMatch): ApiRuleMatch {
  const api: ApiRuleMatch = { listenerPort: [...(match.listenerPort ?? [])], sessionProperties: { ...match.sessionProperties } };
  for (const [field] of STRING_FIELDS) {
    const spec = match[field];
    if (spec !== undefined) api[field] = stringMatchToApi(spec);
  }
  if (match.clientTags !== undefined) api.clientTags = tagsMatchToApi(match.clientTags);
  return api;
}

/** `at` is the field path of the match in the request, for error messages. */
export function matchFromApi(api: ApiRuleMatch | undefined, at: string): RuleMatch {
  const match: { -readonly [K in keyof RuleMatch]: RuleMatch[K] } = {};
  if (api === undefined) return match;
  for (const [field, apiName] of STRING_FIELDS) {
    const spec = api[field];
    if (spec !== undefined) match[field] = stringMatchFromApi(spec, `${at}.${apiName}`);
  }
  if (api.listenerPort.length > 0) match.listenerPort = [...api.listenerPort];
  if (api.clientTags !== undefined) match.clientTags = tagsMatchFromApi(api.clientTags, `${at}.client_tags`);
  if (Object.keys(api.sessionProperties).length > 0) match.sessionProperties = { ...api.sessionProperties };
  return match;
}

function stringMatchToApi(spec: StringMatch): ApiStringMatch {
  if ('exact' in spec) return { kind: { $case: 'exact', value: spec.exact } };
  if ('anyOf' in spec) return { kind: { $case: 'anyOf', value: { values: [...spec.anyOf] } } };
  return { kind: { $case: 'regex', value: spec.regex } };
}

function stringMatchFromApi(api: ApiStringMatch, at: string): StringMatch {
  switch (api.kind?.$case) {
    case 'exact':
      return { exact: api.kind.value };
    case 'anyOf':
      return { anyOf: [...api.kind.value.values] };
    case 'regex':
      return { regex: api.kind.value };
    case undefined:
      throw new InvalidArgumentError(at, 'set exactly one of exact, any_of, regex');
  }
}

function tagsMatchToApi(spec: TagsMatch): ApiTagsMatch {
  if ('containsAll' in spec) return { kind: { $case: 'containsAll', value: { values: [...spec.containsAll] } } };
  return { kind: { $case: 'containsAny', value: { values: [...spec.containsAny] } } };
}

function tagsMatchFromApi(api: ApiTagsMatch, at: string): TagsMatch {
  switch (api.kind?.$case) {
    case 'containsAll':
      return { containsAll: [...api.kind.value.values] };
    case 'containsAny':
      return { containsAny: [...api.kind.value.values] };
    case undefined:
      throw new InvalidArgumentError(at, 'set exactly one of contains_any, contains_all');
  }
}
