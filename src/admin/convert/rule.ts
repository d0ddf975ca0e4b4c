/**
 * Routing rules and their conditions between the API's messages and the routing model.
 * Absent conditions stay absent (never `undefined` properties), so a rule read back equals
 * the one written. Value checks (regexes, ports, empty lists) are validate.ts's job.
 */
import type {
  HeaderMatch as ApiHeaderMatch,
  NamesMatch as ApiNamesMatch,
  Rule as ApiRule,
  RuleMatch as ApiRuleMatch,
  StringMatch as ApiStringMatch,
  TagsMatch as ApiTagsMatch,
} from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { RULE_FIELDS, type FieldKind, type FieldKinds } from '../../routing/fields.js';
import type { HeaderMatch, NamesMatch, RoutingRule, RuleMatch, StringMatch, TagsMatch } from '../../routing/model.js';
import { InvalidArgumentError } from '../errors.js';
import { maskedFields } from './update-mask.js';

/** Rules without a priority run after the ones that have one, as in the config file. */
export const DEFAULT_PRIORITY = 100;

export const UPDATABLE_RULE_FIELDS = ['priority', 'group', 'match', 'backend', 'requested_groups', 'no_fallback'] as const;
type RuleField = (typeof UPDATABLE_RULE_FIELDS)[number];

export function ruleToApi(rule: RoutingRule): ApiRule {
  return {
    name: rule.name,
    priority: rule.priority,
    group: rule.group,
    match: matchToApi(rule.match),
    backend: rule.backend,
    requestedGroups: [...(rule.requestedGroups ?? [])],
    noFallback: rule.fallback === false,
  };
}

/** The target options of a rule message; absent ones stay absent. */
function targetFromApi(api: ApiRule): Pick<RoutingRule, 'backend' | 'requestedGroups' | 'fallback'> {
  return {
    ...(api.backend === undefined || api.backend === '' ? {} : { backend: api.backend }),
    ...(api.requestedGroups.length === 0 ? {} : { requestedGroups: [...api.requestedGroups] }),
    ...(api.noFallback ? { fallback: false as const } : {}),
  };
}

export function ruleFromApi(api: ApiRule | undefined): RoutingRule {
  const given = required(api);
  return {
    name: given.name,
    priority: given.priority ?? DEFAULT_PRIORITY,
    group: given.group,
    match: matchFromApi(given.match, 'rule.match'),
    ...targetFromApi(given),
  };
}

export function mergeRule(current: RoutingRule, api: ApiRule, mask: readonly string[]): RoutingRule {
  const fields: ReadonlySet<RuleField> = maskedFields(mask, UPDATABLE_RULE_FIELDS);
  const given = targetFromApi(api);
  const pick = <K extends 'backend' | 'requestedGroups' | 'fallback'>(key: K, field: RuleField) =>
    (fields.has(field) ? given[key] : current[key]);
  const backend = pick('backend', 'backend');
  const requestedGroups = pick('requestedGroups', 'requested_groups');
  const fallback = pick('fallback', 'no_fallback');
  return {
    name: current.name,
    priority: fields.has('priority') ? api.priority ?? DEFAULT_PRIORITY : current.priority,
    group: fields.has('group') ? api.group : current.group,
    match: fields.has('match') ? matchFromApi(api.match, 'rule.match') : current.match,
    ...(backend === undefined ? {} : { backend }),
    ...(requestedGroups === undefined ? {} : { requestedGroups }),
    ...(fallback === undefined ? {} : { fallback }),
  };
}

export function required(api: ApiRule | undefined): ApiRule {
  if (api === undefined) throw new InvalidArgumentError('rule', 'required');
  if (api.name === '') throw new InvalidArgumentError('rule.name', 'required');
  return api;
}

type ApiValue = ApiRuleMatch[keyof ApiRuleMatch];

/** Each kind between the routing model and its message; absent or empty on the wire is absent. */
const KIND_CONVERTERS: {
  readonly [K in FieldKind]: {
    readonly toApi: (spec: FieldKinds[K]['spec']) => ApiValue;
    readonly fromApi: (api: never, at: string) => FieldKinds[K]['spec'] | undefined;
  }
} = {
  string: { toApi: stringMatchToApi, fromApi: (api: ApiStringMatch | undefined, at) => (api === undefined ? undefined : stringMatchFromApi(api, at)) },
  tags: { toApi: tagsMatchToApi, fromApi: (api: ApiTagsMatch | undefined, at) => (api === undefined ? undefined : tagsMatchFromApi(api, at)) },
  ports: { toApi: (spec) => [...spec], fromApi: (api: number[]) => (api.length === 0 ? undefined : [...api]) },
  properties: {
    toApi: (spec) => ({ ...spec }),
    fromApi: (api: Record<string, string>) => (Object.keys(api).length === 0 ? undefined : { ...api }),
  },
  headers: {
    toApi: (spec) => spec.map(headerMatchToApi),
    fromApi: (api: ApiHeaderMatch[], at) => (api.length === 0 ? undefined : api.map((h, k) => headerMatchFromApi(h, `${at}[${k}]`))),
  },
  names: { toApi: namesMatchToApi, fromApi: (api: ApiNamesMatch | undefined, at) => (api === undefined ? undefined : namesMatchFromApi(api, at)) },
};

/** The message's defaults for the fields that cannot be absent on the wire (repeated, maps). */
function emptyApiMatch(): ApiRuleMatch {
  return { listenerPort: [], sessionProperties: {}, header: [] };
}

export function matchToApi(match: RuleMatch): ApiRuleMatch {
  const api = emptyApiMatch() as unknown as Record<string, ApiValue>;
  for (const definition of RULE_FIELDS) {
    const spec = match[definition.key];
    if (spec !== undefined) api[definition.key] = (KIND_CONVERTERS[definition.kind].toApi as (s: unknown) => ApiValue)(spec);
  }
  return api as unknown as ApiRuleMatch;
}

/** `at` is the field path of the match in the request, for error messages. */
export function matchFromApi(api: ApiRuleMatch | undefined, at: string): RuleMatch {
  const match: Record<string, unknown> = {};
  if (api === undefined) return match as RuleMatch;
  const given = { ...emptyApiMatch(), ...api } as unknown as Record<string, unknown>;
  for (const definition of RULE_FIELDS) {
    const fromApi = KIND_CONVERTERS[definition.kind].fromApi as (a: unknown, at: string) => unknown;
    const spec = fromApi(given[definition.key], `${at}.${definition.apiName}`);
    if (spec !== undefined) match[definition.key] = spec;
  }
  return match as RuleMatch;
}

function headerMatchToApi(spec: HeaderMatch): ApiHeaderMatch {
  if ('present' in spec) return { name: spec.name, kind: { $case: 'present', value: spec.present } };
  const kind = stringMatchToApi(spec).kind;
  return { name: spec.name, kind };
}

function headerMatchFromApi(api: ApiHeaderMatch, at: string): HeaderMatch {
  if (api.kind?.$case === 'present') return { name: api.name, present: api.kind.value };
  if (api.kind === undefined) throw new InvalidArgumentError(at, 'set exactly one of exact, any_of, regex, present');
  return { name: api.name, ...stringMatchFromApi({ kind: api.kind }, at) };
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

function namesMatchToApi(spec: NamesMatch): ApiNamesMatch {
  if ('glob' in spec) return { kind: { $case: 'glob', value: { values: [...spec.glob] } } };
  return { kind: { $case: 'regex', value: spec.regex } };
}

function namesMatchFromApi(api: ApiNamesMatch, at: string): NamesMatch {
  switch (api.kind?.$case) {
    case 'glob':
      return { glob: [...api.kind.value.values] };
    case 'regex':
      return { regex: api.kind.value };
    case undefined:
      throw new InvalidArgumentError(at, 'set exactly one of glob, regex');
  }
}
