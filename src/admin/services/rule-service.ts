/**
 * RuleService: list, read, create, update, delete and reorder routing rules.
 */
import type { RuleServiceService } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { RoutingRule } from '../../routing/model.js';
import { compareRules } from '../../routing/snapshot.js';
import { NotFoundError } from '../../store/index.js';
import { applyChange, requiredName } from '../apply.js';
import type { Handlers } from '../call.js';
import { mergeRule, required, ruleFromApi, ruleToApi } from '../convert/rule.js';
import type { AdminDeps } from '../deps.js';
import { InvalidArgumentError } from '../errors.js';

const DEFAULT_FIRST_PRIORITY = 10;
const DEFAULT_STEP = 10;
/** Priorities travel as int32. */
const INT32_MAX = 2 ** 31 - 1;

export function ruleHandlers(deps: AdminDeps): Handlers<typeof RuleServiceService> {
  const routing = deps.store.routing;

  /** Rules in the order the router tries them. */
  const inEvaluationOrder = (rules: readonly RoutingRule[]): RoutingRule[] => [...rules].sort(compareRules);

  const find = (name: string): RoutingRule => {
    const rule = routing.listRules().find((r) => r.name === name);
    if (rule === undefined) throw new NotFoundError('rule', name);
    return rule;
  };

  return {
    listRules: () => {
      const { config, revision } = routing.loadWithRevision();
      return { rules: inEvaluationOrder(config.rules).map(ruleToApi), revision };
    },

    getRule: (request) => {
      const name = requiredName(request.name);
      const { config, revision } = routing.loadWithRevision();
      const rule = config.rules.find((r) => r.name === name);
      if (rule === undefined) throw new NotFoundError('rule', name);
      return { rule: ruleToApi(rule), revision };
    },

    createRule: (request) => {
      const rule = ruleFromApi(request.rule);
      return applyChange(deps, () => {
        const revision = routing.createRule(rule);
        return { rule: ruleToApi(find(rule.name)), revision };
      });
    },

    updateRule: (request) => {
      const given = required(request.rule);
      return applyChange(deps, () => {
        const revision = routing.updateRule(mergeRule(find(given.name), given, request.updateMask));
        return { rule: ruleToApi(find(given.name)), revision };
      });
    },

    deleteRule: (request) => {
      const name = requiredName(request.name);
      return { revision: applyChange(deps, () => routing.deleteRule(name)) };
    },

    reorderRules: (request) => {
      const first = request.firstPriority ?? DEFAULT_FIRST_PRIORITY;
      const step = request.step ?? DEFAULT_STEP;
      if (step < 1) throw new InvalidArgumentError('step', `expected at least 1, got ${step}`);
      const last = first + step * Math.max(0, request.names.length - 1);
      if (last > INT32_MAX) {
        throw new InvalidArgumentError('first_priority', `priorities would run past ${INT32_MAX}; use a smaller first_priority or step`);
      }
      return applyChange(deps, () => {
        const current = routing.listRules();
        checkCompleteOrder(request.names, current);
        let revision = routing.revision();
        request.names.forEach((name, i) => {
          const rule = current.find((r) => r.name === name) as RoutingRule;
          const priority = first + i * step;
          if (rule.priority !== priority) revision = routing.updateRule({ ...rule, priority });
        });
        return { rules: inEvaluationOrder(routing.listRules()).map(ruleToApi), revision };
      });
    },
  };
}

/** The new order must name every rule exactly once, so no rule is left at a stale priority. */
function checkCompleteOrder(names: readonly string[], rules: readonly RoutingRule[]): void {
  const known = new Set(rules.map((r) => r.name));
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (!known.has(name)) throw new NotFoundError('rule', name);
    if (seen.has(name)) throw new InvalidArgumentError(`names[${i}]`, `rule ${JSON.stringify(name)} is listed twice`);
    seen.add(name);
  });
  const missing = rules.filter((r) => !seen.has(r.name)).map((r) => r.name);
  if (missing.length > 0) {
    throw new InvalidArgumentError('names', `list every rule exactly once; missing: ${missing.join(', ')}`);
  }
}
