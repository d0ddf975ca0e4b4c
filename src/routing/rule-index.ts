/**
 * The first matching rule without walking every rule. With 1,000 rules the walk tested about
 * half of them per request (the engine's whole cost: ~45k decisions/s); most rules name an
 * exact value somewhere (a user, a source, a tag, a session property, a port), which a request
 * either has or not. Each rule is filed under one such condition (any one will do: a rule can
 * match only if that condition holds), so a request looks up its own values and tests only the
 * rules filed under them, plus the rules with nothing to file under (regexes, containsAll of
 * nothing…), in priority order. The answer is the walk's answer: the first rule in snapshot
 * order whose every condition holds (tests in rule-index.test.ts compare both).
 */
import { RULE_FIELDS, type FieldDefinition, type FieldKind, type FieldKinds } from './fields.js';
import type { RequestFacts, StringMatch } from './model.js';
import type { CompiledRule } from './snapshot.js';

/** Up to this many rules, first() walks them all (the example config has 2). */
const WALK_BELOW = 8;

/** Rule positions (indexes into the snapshot's rules), ascending. */
type Positions = number[];

function file<K>(map: Map<K, Positions>, key: K, position: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [position]);
  else if (list[list.length - 1] !== position) list.push(position);
}

/** The values a string condition accepts, or undefined for a regex (not indexable). */
function acceptedValues(match: StringMatch | { readonly present: boolean }): readonly string[] | undefined {
  if ('exact' in match) return [match.exact];
  if ('anyOf' in match) return match.anyOf;
  return undefined;
}

/** The first matching position of `list` below `best`, else `best`. */
function scan(rules: readonly CompiledRule[], list: Positions | undefined, facts: RequestFacts, best: number): number {
  if (list === undefined) return best;
  for (const position of list) {
    if (position >= best) return best;
    if (rules[position]!.matches(facts)) return position;
  }
  return best;
}

/** The rules filed under one field, and how a request finds its own. */
interface FieldIndex {
  /** Files the rule if the condition names values a matching request must have; false if not. */
  file(spec: unknown, position: number): boolean;
  readonly empty: boolean;
  scan(rules: readonly CompiledRule[], facts: RequestFacts, best: number): number;
}

/** A single value (string or port): one lookup per request. */
class ValueIndex<V> implements FieldIndex {
  private readonly byValue = new Map<V, Positions>();
  constructor(
    private readonly read: (facts: RequestFacts) => V | undefined,
    private readonly accepted: (spec: never) => readonly V[] | undefined,
  ) {}
  get empty(): boolean { return this.byValue.size === 0; }
  file(spec: unknown, position: number): boolean {
    const values = this.accepted(spec as never);
    // A regex, or anyOf [] (never matches): not filed here; the rule goes under another
    // condition or to `always`, where testing it gives the right answer either way.
    if (values === undefined || values.length === 0) return false;
    for (const value of values) file(this.byValue, value, position);
    return true;
  }
  scan(rules: readonly CompiledRule[], facts: RequestFacts, best: number): number {
    const value = this.read(facts);
    return value === undefined ? best : scan(rules, this.byValue.get(value), facts, best);
  }
}

/** A set of values (tags): containsAny files under each, containsAll under its first. */
class ListIndex implements FieldIndex {
  private readonly byValue = new Map<string, Positions>();
  constructor(private readonly read: (facts: RequestFacts) => readonly string[]) {}
  get empty(): boolean { return this.byValue.size === 0; }
  file(spec: unknown, position: number): boolean {
    const tags = spec as FieldKinds['tags']['spec'];
    const wanted = 'containsAny' in tags ? tags.containsAny : tags.containsAll.slice(0, 1);
    if (wanted.length === 0) return false;
    for (const tag of wanted) file(this.byValue, tag, position);
    return true;
  }
  scan(rules: readonly CompiledRule[], facts: RequestFacts, best: number): number {
    for (const tag of this.read(facts)) best = scan(rules, this.byValue.get(tag), facts, best);
    return best;
  }
}

/** Named values (session properties, headers): filed under the first name with exact values. */
class NamedIndex implements FieldIndex {
  private readonly byName = new Map<string, Map<string, Positions>>();
  constructor(
    private readonly read: (facts: RequestFacts) => ReadonlyMap<string, string>,
    private readonly named: (spec: never) => readonly (readonly [string, readonly string[]])[],
  ) {}
  get empty(): boolean { return this.byName.size === 0; }
  file(spec: unknown, position: number): boolean {
    for (const [name, values] of this.named(spec as never)) {
      if (values.length === 0) continue;
      let byValue = this.byName.get(name);
      if (byValue === undefined) this.byName.set(name, (byValue = new Map()));
      for (const value of values) file(byValue, value, position);
      return true;
    }
    return false;
  }
  scan(rules: readonly CompiledRule[], facts: RequestFacts, best: number): number {
    const values = this.read(facts);
    if (values.size === 0) return best;
    for (const [name, byValue] of this.byName) {
      const value = values.get(name);
      if (value !== undefined) best = scan(rules, byValue.get(value), facts, best);
    }
    return best;
  }
}

/** Files nothing: a kind whose conditions have no exact value a request must have. */
class NoIndex implements FieldIndex {
  readonly empty = true;
  file(): boolean { return false; }
  scan(_rules: readonly CompiledRule[], _facts: RequestFacts, best: number): number { return best; }
}

/** How each kind of field is indexed; the fields come from the table. */
const INDEXES: { readonly [K in FieldKind]: (definition: FieldDefinition<K>) => FieldIndex } = {
  string: ({ read }) => new ValueIndex<string>(read, (spec: StringMatch) => acceptedValues(spec)),
  ports: ({ read }) => new ValueIndex<number>(read, (spec: readonly number[]) => spec),
  tags: ({ read }) => new ListIndex(read),
  properties: ({ read }) => new NamedIndex(read, (spec: Readonly<Record<string, string>>) => {
    const first = Object.entries(spec)[0];
    return first === undefined ? [] : [[first[0], [first[1]]]];
  }),
  headers: ({ read }) => new NamedIndex(read, (spec: FieldKinds['headers']['spec']) => {
    for (const condition of spec) {
      const values = acceptedValues(condition);
      if (values !== undefined) return [[condition.name.toLowerCase(), values]];
    }
    return [];
  }),
  // Globs and regexes: nothing to look up (and statement fields are never indexed: unknown at headers).
  names: () => new NoIndex(),
};

/** The indexable fields, most selective first. */
const INDEXED_FIELDS = RULE_FIELDS
  .filter((f) => f.indexRank !== undefined)
  .sort((a, b) => (a.indexRank ?? 0) - (b.indexRank ?? 0));

export class RuleIndex {
  /** Only the fields some rule is filed under, in filing order. */
  private readonly indexes: readonly FieldIndex[];
  /** Rules with no exact value to file under: tested for every request. */
  private readonly always: Positions = [];

  constructor(private readonly rules: readonly CompiledRule[]) {
    const indexes = INDEXED_FIELDS.map((f) => (INDEXES[f.kind] as (d: FieldDefinition) => FieldIndex)(f as FieldDefinition));
    rules.forEach((compiled, position) => {
      const match = compiled.rule.match as Readonly<Record<string, unknown>>;
      for (let i = 0; i < INDEXED_FIELDS.length; i++) {
        const spec = match[INDEXED_FIELDS[i]!.key];
        if (spec !== undefined && indexes[i]!.file(spec, position)) return;
      }
      this.always.push(position);
    });
    this.indexes = indexes.filter((index) => !index.empty);
  }

  /** The first rule, in snapshot order, that matches the request. */
  first(facts: RequestFacts): CompiledRule | undefined {
    const rules = this.rules;
    // A handful of rules: testing them in turn is cheaper than a dozen lookups.
    if (rules.length <= WALK_BELOW) {
      for (const rule of rules) if (rule.matches(facts)) return rule;
      return undefined;
    }
    let best = rules.length;
    for (const index of this.indexes) best = index.scan(rules, facts, best);
    best = scan(rules, this.always, facts, best);
    return rules[best];
  }
}
