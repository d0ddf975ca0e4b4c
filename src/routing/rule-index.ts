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
import type { RequestFacts, StringMatch } from './model.js';
import type { CompiledRule } from './snapshot.js';

/** String fields a rule can be filed under, most selective first. */
const STRING_FIELDS = ['user', 'source', 'clientInfo', 'catalog', 'schema', 'host', 'path', 'method'] as const;
type StringField = (typeof STRING_FIELDS)[number];

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
function acceptedValues(match: StringMatch): readonly string[] | undefined {
  if ('exact' in match) return [match.exact];
  if ('anyOf' in match) return match.anyOf;
  return undefined;
}

export class RuleIndex {
  private readonly user = new Map<string, Positions>();
  private readonly source = new Map<string, Positions>();
  private readonly clientInfo = new Map<string, Positions>();
  private readonly catalog = new Map<string, Positions>();
  private readonly schema = new Map<string, Positions>();
  private readonly host = new Map<string, Positions>();
  private readonly path = new Map<string, Positions>();
  private readonly method = new Map<string, Positions>();
  /** Session property name -> value -> rules requiring exactly that. */
  private readonly session = new Map<string, Map<string, Positions>>();
  /** A tag -> rules that need it (containsAny: any of theirs; containsAll: their first). */
  private readonly tags = new Map<string, Positions>();
  private readonly ports = new Map<number, Positions>();
  /** Rules with no exact value to file under: tested for every request. */
  private readonly always: Positions = [];

  constructor(private readonly rules: readonly CompiledRule[]) {
    rules.forEach((compiled, position) => this.add(compiled, position));
  }

  private byField(field: StringField): Map<string, Positions> {
    return this[field];
  }

  private add(compiled: CompiledRule, position: number): void {
    const match = compiled.rule.match;
    for (const field of STRING_FIELDS) {
      const spec = match[field];
      const values = spec === undefined ? undefined : acceptedValues(spec);
      // A regex, or anyOf [] (never matches): not filed under this field; the rule goes under
      // another condition or to `always`, where testing it gives the right answer either way.
      if (values === undefined || values.length === 0) continue;
      const map = this.byField(field);
      for (const value of values) file(map, value, position);
      return;
    }
    const session = match.sessionProperties === undefined ? undefined : Object.entries(match.sessionProperties)[0];
    if (session !== undefined) {
      const [name, value] = session;
      let byValue = this.session.get(name);
      if (byValue === undefined) this.session.set(name, (byValue = new Map()));
      file(byValue, value, position);
      return;
    }
    const tags = match.clientTags;
    const wanted = tags === undefined ? undefined : 'containsAny' in tags ? tags.containsAny : tags.containsAll.slice(0, 1);
    if (wanted !== undefined && wanted.length > 0) {
      for (const tag of wanted) file(this.tags, tag, position);
      return;
    }
    if (match.listenerPort !== undefined && match.listenerPort.length > 0) {
      for (const port of match.listenerPort) file(this.ports, port, position);
      return;
    }
    this.always.push(position);
  }

  /** The first rule, in snapshot order, that matches the request. */
  first(facts: RequestFacts): CompiledRule | undefined {
    // A handful of rules: testing them in turn is cheaper than a dozen lookups.
    if (this.rules.length <= WALK_BELOW) {
      for (const rule of this.rules) if (rule.matches(facts)) return rule;
      return undefined;
    }
    let best = this.rules.length;
    best = this.scanValue(this.user, facts.user, facts, best);
    best = this.scanValue(this.source, facts.source, facts, best);
    best = this.scanValue(this.clientInfo, facts.clientInfo, facts, best);
    best = this.scanValue(this.catalog, facts.catalog, facts, best);
    best = this.scanValue(this.schema, facts.schema, facts, best);
    best = this.scanValue(this.host, facts.host, facts, best);
    best = this.scanValue(this.path, facts.path, facts, best);
    best = this.scanValue(this.method, facts.method, facts, best);
    if (this.session.size > 0 && facts.sessionProperties.size > 0) {
      for (const [name, byValue] of this.session) {
        const value = facts.sessionProperties.get(name);
        if (value !== undefined) best = this.scan(byValue.get(value), facts, best);
      }
    }
    if (this.tags.size > 0) for (const tag of facts.clientTags) best = this.scan(this.tags.get(tag), facts, best);
    if (this.ports.size > 0 && facts.listenerPort !== undefined) best = this.scan(this.ports.get(facts.listenerPort), facts, best);
    best = this.scan(this.always, facts, best);
    return this.rules[best];
  }

  private scanValue(map: Map<string, Positions>, value: string | undefined, facts: RequestFacts, best: number): number {
    return value === undefined || map.size === 0 ? best : this.scan(map.get(value), facts, best);
  }

  /** The first matching position of `list` below `best`, else `best`. */
  private scan(list: Positions | undefined, facts: RequestFacts, best: number): number {
    if (list === undefined) return best;
    for (const position of list) {
      if (position >= best) return best;
      if (this.rules[position]!.matches(facts)) return position;
    }
    return best;
  }
}
