/**
 * An immutable, precompiled view of one routing configuration. A request reads exactly one
 * snapshot from start to end; a change builds a new snapshot and swaps it in whole, so no
 * request ever sees half of a change.
 */
import { mentionedHeaders, needsStatement } from './fields.js';
import { compileConditions, type CompiledCondition } from './matchers.js';
import type { Backend, RequestFacts, RoutingConfig, RoutingGroup, RoutingRule } from './model.js';
import { RuleIndex } from './rule-index.js';

export interface CompiledRule {
  readonly rule: RoutingRule;
  readonly conditions: readonly CompiledCondition[];
  readonly matches: (facts: RequestFacts) => boolean;
  /** The rule has a condition on the statement: it is decided only once the body is read. */
  readonly needsStatement: boolean;
}

export interface RoutingSnapshot {
  /** Store revision this snapshot was built from; increases with every change. */
  readonly revision: number;
  readonly config: RoutingConfig;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly groups: ReadonlyMap<string, RoutingGroup>;
  /** Sorted by priority, then name. */
  readonly rules: readonly CompiledRule[];
  /** Finds the first matching rule of `rules` without testing every rule (rule-index.ts). */
  readonly ruleIndex: RuleIndex;
  readonly defaultGroup: string;
  /** Lower-case names of the headers some rule's condition names: the only ones facts keep. */
  readonly headerNames: ReadonlySet<string>;
  /** Some rule has a condition on the statement, so a submission's body may be needed. */
  readonly statementRules: boolean;
}

export function compareRules(a: RoutingRule, b: RoutingRule): number {
  return a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function compileRule(rule: RoutingRule): CompiledRule {
  const conditions = compileConditions(rule.match);
  const tests = conditions.map((c) => c.test);
  return {
    rule,
    conditions,
    needsStatement: needsStatement(rule.match),
    matches: (facts) => {
      for (const test of tests) if (!test(facts)) return false;
      return true;
    },
  };
}

/** Builds a snapshot. The config must already be valid (see validate.ts). */
export function compileSnapshot(config: RoutingConfig, revision: number): RoutingSnapshot {
  const rules = [...config.rules].sort(compareRules).map(compileRule);
  return {
    revision,
    config,
    backends: new Map(config.backends.map((b) => [b.name, b])),
    groups: new Map(config.groups.map((g) => [g.name, g])),
    rules,
    ruleIndex: new RuleIndex(rules),
    defaultGroup: config.defaultGroup,
    headerNames: mentionedHeaders(config.rules.map((r) => r.match)),
    statementRules: rules.some((r) => r.needsStatement),
  };
}
