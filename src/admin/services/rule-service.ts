/**
 * RuleService: list, read, create, update, delete and reorder routing rules.
 */
import type { RuleServiceService } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import * as edits from '../../routing/config-edits.js';
import { NotFoundError } from '../../routing/edit-errors.js';
import type { RoutingConfig, RoutingRule } from '../../routing/model.js';
import { compareRules } from '../../routing/snapshot.js';
import { applyChange, requiredName } from '../apply.js';
import type { Handlers } from '../call.js';
import { mergeRule, required, ruleFromApi, ruleToApi } from '../convert/rule.js';
import type { AdminDeps } from '../deps.js';
import { freshnessToApi, readRouting } from '../read-routing.js';
import { InvalidArgumentError } from '../errors.js';

const DEFAULT_FIRST_PRIORITY = 10;
const DEFAULT_STEP = 10;
/** Priorities travel as int32. */
const INT32_MAX = 2 ** 31 - 1;

export function ruleHandlers(deps: AdminDeps): Handlers<typeof RuleServiceService> {
  /** Rules in the order the router tries them. */
  const inEvaluationOrder = (rules: readonly RoutingRule[]): RoutingRule[] => [...rules].sort(compareRules);

  const find = (config: RoutingConfig, name: string): RoutingRule => edits.findEntity(config.rules, 'rule', name);

  return {
    listRules: async () => {
      const { config, revision, freshness } = await readRouting(deps);
      return { rules: inEvaluationOrder(config.rules).map(ruleToApi), revision, freshness: freshnessToApi(freshness) };
    },

    getRule: async (request) => {
      const name = requiredName(request.name);
      const { config, revision, freshness } = await readRouting(deps);
      return { rule: ruleToApi(find(config, name)), revision, freshness: freshnessToApi(freshness) };
    },

    createRule: async (request, call) => {
      const rule = ruleFromApi(request.rule);
      const applied = await applyChange(deps, call, (config) => edits.createRule(config, rule));
      return { rule: ruleToApi(find(applied.config, rule.name)), revision: applied.revision };
    },

    updateRule: async (request, call) => {
      const given = required(request.rule);
      const applied = await applyChange(deps, call, (config) =>
        edits.updateRule(config, mergeRule(find(config, given.name), given, request.updateMask)));
      return { rule: ruleToApi(find(applied.config, given.name)), revision: applied.revision };
    },

    deleteRule: async (request, call) => {
      const name = requiredName(request.name);
      return { revision: (await applyChange(deps, call, (config) => edits.deleteRule(config, name))).revision };
    },

    reorderRules: async (request, call) => {
      const first = request.firstPriority ?? DEFAULT_FIRST_PRIORITY;
      const step = request.step ?? DEFAULT_STEP;
      if (step < 1) throw new InvalidArgumentError('step', `expected at least 1, got ${step}`);
      const last = first + step * Math.max(0, request.names.length - 1);
      if (last > INT32_MAX) {
        throw new InvalidArgumentError('first_priority', `priorities would run past ${INT32_MAX}; use a smaller first_priority or step`);
      }
      const applied = await applyChange(deps, call, (config) => {
        checkCompleteOrder(request.names, config.rules);
        let next = config;
        request.names.forEach((name, i) => {
          const rule = find(next, name);
          const priority = first + i * step;
          if (rule.priority !== priority) next = edits.updateRule(next, { ...rule, priority });
        });
        return next;
      });
      return { rules: inEvaluationOrder(applied.config.rules).map(ruleToApi), revision: applied.revision };
    },
  };
}

/** The new order must name every rule exactly once, so no rule is left at a stale priority. */
function checkCompleteOrder(names: readonly string[], rules: readonly RoutingRule[]): void {
  const known = new Set(rules.map((r) => r.name));
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (!known.has(name)) throw new NotFoundError('rule', name, known);
    if (seen.has(name)) throw new InvalidArgumentError(`names[${i}]`, `rule ${JSON.stringify(name)} is listed twice`);
    seen.add(name);
  });
  const missing = rules.filter((r) => !seen.has(r.name)).map((r) => r.name);
  if (missing.length > 0) {
    throw new InvalidArgumentError('names', `list every rule exactly once; missing: ${missing.join(', ')}`);
  }
}
