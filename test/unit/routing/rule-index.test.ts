/**
 * The rule index finds exactly the rule the first-match walk finds: for arbitrary rule sets
 * (every condition kind, several per rule, priorities tied or not) and arbitrary requests
 * drawn from the same small vocabulary, so that rules match, partly match and miss. Regex
 * conditions screened by their literal prefix match exactly what the regex matches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RequestFacts, RoutingConfig, RoutingRule, RuleMatch, StringMatch, TagsMatch } from '../../../src/routing/model.js';
import { compileSnapshot, type CompiledRule } from '../../../src/routing/snapshot.js';
import { findRule } from '../../../src/routing/engine.js';
import { compileStringMatch, literalPrefix } from '../../../src/routing/matchers.js';
import { facts as baseFacts } from './fixtures.js';

const words = ['a', 'b', 'c', 'alice', 'Bob', ''] as const;
const word = fc.constantFrom(...words);

const stringMatch: fc.Arbitrary<StringMatch> = fc.oneof(
  word.map((exact) => ({ exact })),
  fc.array(word, { maxLength: 3 }).map((anyOf) => ({ anyOf })),
  fc.constantFrom('^a', 'b$', '^(alice|Bob)$', 'x', '^al+', '^Bo?b$', '^ali').map((regex) => ({ regex })),
);

const tagsMatch: fc.Arbitrary<TagsMatch> = fc.oneof(
  fc.array(word, { maxLength: 3 }).map((containsAny) => ({ containsAny })),
  fc.array(word, { maxLength: 3 }).map((containsAll) => ({ containsAll })),
);

const ruleMatch: fc.Arbitrary<RuleMatch> = fc.record({
  method: stringMatch, path: stringMatch, host: stringMatch, user: stringMatch, source: stringMatch,
  catalog: stringMatch, schema: stringMatch, clientInfo: stringMatch,
  listenerPort: fc.array(fc.constantFrom(8080, 8443), { maxLength: 2 }),
  clientTags: tagsMatch,
  sessionProperties: fc.dictionary(fc.constantFrom('p', 'q'), word, { maxKeys: 2 }),
}, { requiredKeys: [] });

const rules: fc.Arbitrary<RoutingRule[]> = fc.array(
  fc.record({ priority: fc.integer({ min: 1, max: 5 }), match: ruleMatch }),
  { maxLength: 40 },
).map((list) => list.map((r, i) => ({ name: `r${String(i).padStart(2, '0')}`, priority: r.priority, group: 'g', match: r.match })));

const optionalWord = fc.option(word, { nil: undefined });
const request: fc.Arbitrary<RequestFacts> = fc.record({
  method: word, path: word, host: word, user: optionalWord, source: optionalWord, catalog: optionalWord,
  schema: optionalWord, clientInfo: optionalWord,
  listenerPort: fc.option(fc.constantFrom(8080, 8443, 9000), { nil: undefined }),
  clientTags: fc.uniqueArray(word, { maxLength: 3 }),
  sessionProperties: fc.dictionary(fc.constantFrom('p', 'q', 'r'), word, { maxKeys: 3 }).map((o) => new Map(Object.entries(o))),
}).map((f) => baseFacts(f));

function walk(list: readonly CompiledRule[], f: RequestFacts): CompiledRule | undefined {
  for (const rule of list) if (rule.matches(f)) return rule;
  return undefined;
}

function config(list: RoutingRule[]): RoutingConfig {
  return { backends: [], groups: [], rules: list, defaultGroup: 'g' };
}

describe('RuleIndex', () => {
  it('finds the first matching rule exactly as walking every rule does', () => {
    fc.assert(fc.property(rules, fc.array(request, { minLength: 1, maxLength: 20 }), (list, requests) => {
      const snapshot = compileSnapshot(config(list), 1);
      for (const f of requests) expect(findRule(snapshot, f)?.rule.name).toBe(walk(snapshot.rules, f)?.rule.name);
    }), { numRuns: 500 });
  });

  it('finds rules matching from the end of a long list, and none when nothing matches', () => {
    const list: RoutingRule[] = Array.from({ length: 1000 }, (_, i) => ({
      name: `rule-${String(i).padStart(4, '0')}`, priority: i, group: 'g',
      match: i % 3 === 0 ? { user: { exact: `u${i}` } } : i % 3 === 1 ? { user: { regex: `^r${i}$` } } : { clientTags: { containsAny: [`t${i}`] } },
    }));
    const snapshot = compileSnapshot(config(list), 1);
    for (const f of [
      baseFacts({ user: 'u999' }), baseFacts({ user: 'r997' }), baseFacts({ clientTags: ['x', 't998'] }),
      baseFacts({ user: 'u999', clientTags: ['t2'] }), baseFacts({ user: 'nobody' }),
    ]) {
      expect(findRule(snapshot, f)?.rule.name).toBe(walk(snapshot.rules, f)?.rule.name);
    }
    expect(findRule(snapshot, baseFacts({ user: 'u999', clientTags: ['t2'] }))?.rule.name).toBe('rule-0002');
    expect(findRule(snapshot, baseFacts({ user: 'nobody' }))).toBeUndefined();
  });
});

describe('regex conditions with a literal prefix', () => {
  const patterns = ['^team1_[a-z]+$', '^ab*c', '^ab?', '^a{2}', '^ab+', '^a.c', '^a\\.c', '^(ab|c)', '^ab|^c', 'ab', '^', '^a\\d', '^abc$', '^é+', '^ab[c]', '^a(?=b)', '^a\\u0062'];
  const value = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '.', '_', '1', 't', 'e', 'm', 'é', 'x'), maxLength: 8 });

  it('match exactly what the regex alone matches', () => {
    for (const regex of patterns) {
      const compiled = compileStringMatch({ regex });
      const pattern = new RegExp(regex, 'u');
      fc.assert(fc.property(value, (v) => {
        expect(compiled(v)).toBe(pattern.test(v));
      }), { numRuns: 300 });
      for (const v of ['team1_abc', 'abc', 'ac', 'aa', 'a.c', 'a1', 'bc', 'c', 'é', 'ab', '']) expect(compiled(v)).toBe(pattern.test(v));
    }
  });

  it('take only text every match must start with', () => {
    expect(literalPrefix('^team1_[a-z]+$')).toBe('team1_');
    expect(literalPrefix('^ab*c')).toBe('a');
    expect(literalPrefix('^a{2}')).toBe('');
    expect(literalPrefix('^ab|^c')).toBe('');
    expect(literalPrefix('ab')).toBe('');
    expect(literalPrefix('^a\\.c')).toBe('a');
  });
});
