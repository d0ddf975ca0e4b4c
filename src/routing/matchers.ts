/**
 * Rule conditions compiled once per configuration snapshot into predicates, so the request
 * path does no parsing or regex compilation.
 */
import { RULE_FIELDS, type FieldDefinition, type FieldKind, type FieldKinds, type FieldPhase } from './fields.js';
import type { HeaderMatch, NamesMatch, RequestFacts, RuleMatch, StringMatch, TagsMatch } from './model.js';

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

const GLOB_SPECIAL = /[\\^$.|+()[\]{}]/g;

/** A glob as a regex source: `*` any run of characters, `?` one, everything else literal. */
function globSource(glob: string): string {
  return glob.toLowerCase().replace(GLOB_SPECIAL, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
}

/** True when any of the names matches (names are lower-case: Trino lowercases them). */
export function compileNamesMatch(match: NamesMatch): (names: readonly string[]) => boolean {
  const pattern = 'glob' in match
    ? new RegExp(`^(?:${match.glob.map(globSource).join('|')})$`, 'su')
    : new RegExp(match.regex, 'u');
  return (names) => {
    for (const name of names) if (pattern.test(name)) return true;
    return false;
  };
}

export function describeNamesMatch(match: NamesMatch): string {
  return 'glob' in match ? `any like ${match.glob.join(', ')}` : `any ~ /${match.regex}/`;
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
  /** The rule field's key (fields.ts); a header condition's also names the header. */
  readonly field: string;
  /** When the request's value is known (a statement field: once the body is read). */
  readonly phase: FieldPhase;
  readonly expected: string;
  readonly test: (facts: RequestFacts) => boolean;
  /** What the request had for this field, for explanations. */
  readonly actual: (facts: RequestFacts) => string;
}

function show(value: string | undefined): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

export function describeTagsMatch(spec: TagsMatch): string {
  return 'containsAll' in spec
    ? `contains all of ${JSON.stringify(spec.containsAll)}`
    : `contains any of ${JSON.stringify(spec.containsAny)}`;
}

export function describeHeaderMatch(spec: HeaderMatch): string {
  if ('present' in spec) return spec.present ? 'present' : 'absent';
  return describeStringMatch(spec);
}

type Compiler<K extends FieldKind> = (
  definition: FieldDefinition<K>,
  spec: FieldKinds[K]['spec'],
  out: CompiledCondition[],
) => void;

/** How each kind of condition is compiled; the fields come from the table. */
const COMPILERS: { readonly [K in FieldKind]: Compiler<K> } = {
  string: ({ key, phase, read, test }, spec, out) => {
    out.push({ field: key, phase, expected: describeStringMatch(spec), test: test(compileStringMatch(spec)), actual: (facts) => show(read(facts)) });
  },
  ports: ({ key, phase, read, test }, spec, out) => {
    const ports = new Set(spec);
    out.push({
      field: key,
      phase,
      expected: `any of ${JSON.stringify([...ports])}`,
      test: test((port) => port !== undefined && ports.has(port)),
      actual: (facts) => String(read(facts) ?? '(absent)'),
    });
  },
  tags: ({ key, phase, read, test }, spec, out) => {
    out.push({ field: key, phase, expected: describeTagsMatch(spec), test: test(compileTagsMatch(spec)), actual: (facts) => JSON.stringify(read(facts)) });
  },
  properties: ({ key, phase, read, test }, spec, out) => {
    const required = Object.entries(spec);
    out.push({
      field: key,
      phase,
      expected: required.map(([k, v]) => `${k}=${v}`).join(', '),
      test: test((properties) => {
        for (const [k, v] of required) if (properties.get(k) !== v) return false;
        return true;
      }),
      actual: (facts) => required.map(([k]) => `${k}=${read(facts).get(k) ?? '(absent)'}`).join(', '),
    });
  },
  headers: ({ key, phase, read, test }, spec, out) => {
    // One condition per header named, so explain shows which one failed.
    for (const condition of spec) {
      const name = condition.name.toLowerCase();
      const predicate: StringPredicate = 'present' in condition
        ? (condition.present ? (value) => value !== undefined : (value) => value === undefined)
        : compileStringMatch(condition);
      out.push({
        field: `${key} ${name}`,
        phase,
        expected: describeHeaderMatch(condition),
        test: test((headers) => predicate(headers.get(name))),
        actual: (facts) => show(read(facts).get(name)),
      });
    }
  },
  names: ({ key, phase, read, test }, spec, out) => {
    out.push({ field: key, phase, expected: describeNamesMatch(spec), test: test(compileNamesMatch(spec)), actual: (facts) => JSON.stringify(read(facts)) });
  },
};

function compileField<K extends FieldKind>(definition: FieldDefinition<K>, spec: FieldKinds[K]['spec'], out: CompiledCondition[]): void {
  (COMPILERS[definition.kind] as Compiler<K>)(definition, spec, out);
}

/** The rule's conditions, in the field table's order. */
export function compileConditions(match: RuleMatch): CompiledCondition[] {
  const conditions: CompiledCondition[] = [];
  for (const definition of RULE_FIELDS) {
    const spec = match[definition.key];
    if (spec !== undefined) compileField(definition as FieldDefinition, spec as never, conditions);
  }
  return conditions;
}

const ABSENT = '(absent)';

/** The request's value of each kind of field, as explain prints it. */
const FACT_TEXT: { readonly [K in FieldKind]: (fact: FieldKinds[K]['fact']) => string } = {
  string: (value) => (value === undefined || value === '' ? ABSENT : value),
  ports: (port) => (port === undefined ? ABSENT : String(port)),
  tags: (tags) => (tags.length === 0 ? ABSENT : tags.join(', ')),
  properties: (map) => (map.size === 0 ? ABSENT : [...map].map(([k, v]) => `${k}=${v}`).join(', ')),
  headers: (map) => (map.size === 0 ? ABSENT : [...map].map(([k, v]) => `${k}: ${v}`).join('; ')),
  names: (names) => (names.length === 0 ? ABSENT : names.join(', ')),
};

/** Every field of the table with its explain label and the request's value. */
export function labeledFacts(facts: RequestFacts): { label: string; value: string }[] {
  return RULE_FIELDS.map((definition) => ({
    label: definition.label,
    value: (FACT_TEXT[definition.kind] as (fact: unknown) => string)((definition as FieldDefinition).read(facts)),
  }));
}
