/**
 * Rule conditions compiled once per configuration snapshot into predicates, so the request
 * path does no parsing or regex compilation.
 */
import type { RequestFacts, RuleMatch, StringMatch, TagsMatch } from './model.js';

export type StringPredicate = (value: string | undefined) => boolean;

export function compileStringMatch(match: StringMatch): StringPredicate {
  if ('exact' in match) {
    const expected = match.exact;
    return (value) => value === expected;
  }
  if ('anyOf' in match) {
    const allowed = new Set(match.anyOf);
    return (value) => value !== undefined && allowed.has(value);
  }
  // Anchored by the operator if wanted; `u` so user names with non-ASCII letters behave.
  const pattern = new RegExp(match.regex, 'u');
  const prefix = literalPrefix(match.regex);
  if (prefix === '') return (value) => value !== undefined && pattern.test(value);
  // With many regex rules, running each regex was the rule walk's main cost; a string compare
  // turns most non-matching values away first.
  return (value) => value !== undefined && value.startsWith(prefix) && pattern.test(value);
}

const REGEX_SYNTAX = new Set('\\^$.|?*+()[]{}');
const QUANTIFIERS = new Set('*+?{');

/**
 * The text every match of `regex` must start with: the ASCII literal right after a leading
 * `^` (no multiline flag, so `^` is the start of the value), less its last character when a
 * quantifier follows it (`^ab*` needs only "a"). Empty when unsure: no leading `^`, or a `|`
 * anywhere (an alternative may start differently).
 */
export function literalPrefix(regex: string): string {
  if (!regex.startsWith('^') || regex.includes('|')) return '';
  let end = 1;
  while (end < regex.length) {
    const c = regex[end]!;
    if (REGEX_SYNTAX.has(c) || c.charCodeAt(0) > 0x7e || c.charCodeAt(0) < 0x20) break;
    end++;
  }
  const quantified = end < regex.length && QUANTIFIERS.has(regex[end]!);
  return regex.slice(1, quantified ? end - 1 : end);
}

export function describeStringMatch(match: StringMatch): string {
  if ('exact' in match) return `= ${JSON.stringify(match.exact)}`;
  if ('anyOf' in match) return `any of ${JSON.stringify(match.anyOf)}`;
  return `~ /${match.regex}/`;
}

export function compileTagsMatch(match: TagsMatch): (tags: readonly string[]) => boolean {
  // Plain loops: no callback closure allocated per request and rule.
  if ('containsAll' in match) {
    const required = match.containsAll;
    return (tags) => {
      for (const tag of required) if (!tags.includes(tag)) return false;
      return true;
    };
  }
  const wanted = match.containsAny;
  return (tags) => {
    for (const tag of wanted) if (tags.includes(tag)) return true;
    return false;
  };
}

/** One condition of a rule, evaluated alone (used by explain). */
export interface CompiledCondition {
  readonly field: keyof RuleMatch;
  readonly expected: string;
  readonly test: (facts: RequestFacts) => boolean;
  /** What the request had for this field, for explanations. */
  readonly actual: (facts: RequestFacts) => string;
}

type StringField = 'method' | 'path' | 'host' | 'user' | 'source' | 'catalog' | 'schema' | 'clientInfo';
const STRING_FIELDS: readonly StringField[] = [
  'method', 'path', 'host', 'user', 'source', 'catalog', 'schema', 'clientInfo',
];

/**
 * The condition's test with the field read by its own function literal, so each read is a
 * monomorphic property load instead of a megamorphic `facts[field]` (the rule walk's main cost
 * with many rules).
 */
function fieldTest(field: StringField, predicate: StringPredicate): (facts: RequestFacts) => boolean {
  switch (field) {
    case 'method': return (facts) => predicate(facts.method);
    case 'path': return (facts) => predicate(facts.path);
    case 'host': return (facts) => predicate(facts.host);
    case 'user': return (facts) => predicate(facts.user);
    case 'source': return (facts) => predicate(facts.source);
    case 'catalog': return (facts) => predicate(facts.catalog);
    case 'schema': return (facts) => predicate(facts.schema);
    case 'clientInfo': return (facts) => predicate(facts.clientInfo);
  }
}

function show(value: string | undefined): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

export function compileConditions(match: RuleMatch): CompiledCondition[] {
  const conditions: CompiledCondition[] = [];
  for (const field of STRING_FIELDS) {
    const spec = match[field];
    if (spec === undefined) continue;
    const predicate = compileStringMatch(spec);
    conditions.push({
      field,
      expected: describeStringMatch(spec),
      test: fieldTest(field, predicate),
      actual: (facts) => show(facts[field]),
    });
  }
  if (match.listenerPort !== undefined) {
    const ports = new Set(match.listenerPort);
    conditions.push({
      field: 'listenerPort',
      expected: `any of ${JSON.stringify([...ports])}`,
      test: (facts) => facts.listenerPort !== undefined && ports.has(facts.listenerPort),
      actual: (facts) => (facts.listenerPort === undefined ? '(absent)' : String(facts.listenerPort)),
    });
  }
  if (match.clientTags !== undefined) {
    const predicate = compileTagsMatch(match.clientTags);
    const spec = match.clientTags;
    conditions.push({
      field: 'clientTags',
      expected: 'containsAll' in spec
        ? `contains all of ${JSON.stringify(spec.containsAll)}`
        : `contains any of ${JSON.stringify(spec.containsAny)}`,
      test: (facts) => predicate(facts.clientTags),
      actual: (facts) => JSON.stringify(facts.clientTags),
    });
  }
  if (match.sessionProperties !== undefined) {
    const required = Object.entries(match.sessionProperties);
    conditions.push({
      field: 'sessionProperties',
      expected: required.map(([k, v]) => `${k}=${v}`).join(', '),
      test: (facts) => {
        for (const [k, v] of required) if (facts.sessionProperties.get(k) !== v) return false;
        return true;
      },
      actual: (facts) => required.map(([k]) => `${k}=${facts.sessionProperties.get(k) ?? '(absent)'}`).join(', '),
    });
  }
  return conditions;
}
