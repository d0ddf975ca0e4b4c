/**
 * The routing engine: request facts -> first matching rule -> group -> backend. Pure and
 * synchronous; everything it needs (snapshot, backend conditions, strategy state) is passed in.
 */
import type { Backend, BackendHealth, GroupMember, RequestFacts, RoutingRule } from './model.js';
import type { CompiledRule, RoutingSnapshot } from './snapshot.js';
import { pickCandidate, type Candidate, type StrategyState } from './strategies.js';

/** What the monitor and the schedules say about a backend right now. */
export interface BackendCondition {
  readonly health: BackendHealth;
  /**
   * The load the strategies and the ceiling compare: the last polled load score plus the new
   * queries routed to the backend since that poll (see src/health/in-flight.ts).
   */
  readonly load: number;
  readonly inSchedule: boolean;
  /** New queries routed since the last load poll (already counted in `load`); absent: 0. */
  readonly inFlight?: number | undefined;
  /** The load score of the last poll alone; absent: `load`. */
  readonly polledLoad?: number | undefined;
  /**
   * Queries running or queued on the backend at the last load poll (the monitor's own left out),
   * for running-query limits; absent: not read yet.
   */
  readonly running?: number | undefined;
  /** Queries created before this time (epoch ms) are in `running`. */
  readonly runningReadAt?: number | undefined;
  /** `running` per user, when the load source tells users apart. */
  readonly runningByUser?: Readonly<Record<string, number>> | undefined;
}

/**
 * Conditions by backend name; a backend without an entry is taken as healthy and idle (no
 * monitor runs). A monitored backend whose first check has not answered yet is `unknown`.
 */
export type BackendConditions = ReadonlyMap<string, BackendCondition>;

export type IneligibleReason =
  | 'disabled'
  | 'unhealthy'
  | 'pending'
  | 'not_checked_yet'
  | 'draining'
  | 'outside_schedule'
  | 'over_load_ceiling'
  | 'zero_weight'
  | 'unknown_backend';

export interface RoutedDecision {
  readonly outcome: 'routed';
  readonly backend: string;
  readonly group: string;
  /** The matching rule, or undefined when the default group applied. */
  readonly rule: string | undefined;
  /** Groups tried before `group` because nothing in them could take the query. */
  readonly fellBackFrom: readonly string[];
}

export interface GroupAttempt {
  readonly group: string;
  /** The rule's own backend (`backend:`), tried before any group; `group` is then the rule's group. */
  readonly pinned?: true | undefined;
  readonly backends: readonly { readonly backend: string; readonly reason: IneligibleReason }[];
}

export interface RejectedDecision {
  readonly outcome: 'rejected';
  readonly rule: string | undefined;
  /** Every group tried, first to last, and why each of its backends could not take the query. */
  readonly attempts: readonly GroupAttempt[];
  /** True when waiting may help (health, schedules, load) rather than configuration. */
  readonly transient: boolean;
}

export type EngineDecision = RoutedDecision | RejectedDecision;

const HEALTHY: BackendCondition = { health: 'healthy', load: 0, inSchedule: true };

/** The first rule, by priority then name, whose every condition matches. */
export function findRule(snapshot: RoutingSnapshot, facts: RequestFacts): CompiledRule | undefined {
  return snapshot.ruleIndex.first(facts);
}

/** Why a backend cannot take a new query now, or undefined if it can. */
export function ineligibility(
  backend: Backend | undefined,
  condition: BackendCondition,
): IneligibleReason | undefined {
  if (backend === undefined) return 'unknown_backend';
  if (!backend.enabled) return 'disabled';
  // An operator drain wins over what the monitor saw: it is the operator's stated intent.
  if (backend.draining === true) return 'draining';
  if (!condition.inSchedule) return 'outside_schedule';
  switch (condition.health) {
    case 'unhealthy':
      return 'unhealthy';
    case 'pending':
      return 'pending';
    case 'draining':
      return 'draining';
    case 'unknown':
      // Monitored but not checked yet (just added, or its URL changed): nothing says it can
      // run a query, and its first check is already on its way.
      return 'not_checked_yet';
    case 'healthy':
      break;
  }
  if (backend.maxLoad !== undefined && condition.load >= backend.maxLoad) return 'over_load_ceiling';
  return undefined;
}

const CONFIG_REASONS: ReadonlySet<IneligibleReason> = new Set(['disabled', 'zero_weight', 'unknown_backend']);

/**
 * Picks a backend for a new query. Walks the rule's group and its fallbacks; each group's
 * eligible members go to the group's strategy.
 */
export function decide(
  snapshot: RoutingSnapshot,
  facts: RequestFacts,
  conditions: BackendConditions,
  state: StrategyState,
): EngineDecision {
  return decideMatched(snapshot, findRule(snapshot, facts), facts, conditions, state);
}

/** decide() once the first matching rule (or none) is known. */
export function decideMatched(
  snapshot: RoutingSnapshot,
  rule: CompiledRule | undefined,
  facts: RequestFacts,
  conditions: BackendConditions,
  state: StrategyState,
): EngineDecision {
  if (rule === undefined) return decideForGroup(snapshot, snapshot.defaultGroup, undefined, conditions, state);
  return decideForRule(snapshot, rule.rule, facts, conditions, state);
}

/**
 * Whether the request's statement could still change the decision: the first rule that may
 * match (statement conditions not known yet count as holding) has a statement condition.
 */
export function awaitsStatement(rule: CompiledRule | undefined, facts: RequestFacts): boolean {
  return facts.statement === undefined && rule !== undefined && rule.needsStatement;
}

/** The group a rule sends this request to: the client's X-Trino-Routing-Group if the rule lists it. */
export function ruleGroup(rule: RoutingRule, facts: RequestFacts): string {
  const requested = facts.routingGroup;
  return requested !== undefined && rule.requestedGroups?.includes(requested) === true ? requested : rule.group;
}

/**
 * A matched rule's target: its backend when it names one and that backend can take the query,
 * else its group (the client's requested one when listed) and that group's fallbacks; with
 * `fallback: false` nothing beyond the backend, or beyond the group itself.
 */
export function decideForRule(
  snapshot: RoutingSnapshot,
  rule: RoutingRule,
  facts: RequestFacts,
  conditions: BackendConditions,
  state: StrategyState,
): EngineDecision {
  const followFallback = rule.fallback !== false;
  if (rule.backend !== undefined) {
    const reason = ineligibility(snapshot.backends.get(rule.backend), conditions.get(rule.backend) ?? HEALTHY);
    if (reason === undefined) return { outcome: 'routed', backend: rule.backend, group: rule.group, rule: rule.name, fellBackFrom: [] };
    const pinned: GroupAttempt = { group: rule.group, pinned: true, backends: [{ backend: rule.backend, reason }] };
    if (!followFallback) return rejected(rule.name, [pinned]);
    const decision = decideForGroup(snapshot, rule.group, rule.name, conditions, state);
    return decision.outcome === 'routed' ? decision : rejected(rule.name, [pinned, ...decision.attempts]);
  }
  return decideForGroup(snapshot, ruleGroup(rule, facts), rule.name, conditions, state, followFallback);
}

export function decideForGroup(
  snapshot: RoutingSnapshot,
  firstGroup: string,
  ruleName: string | undefined,
  conditions: BackendConditions,
  state: StrategyState,
  followFallback = true,
): EngineDecision {
  const tried: string[] = [];
  let attempts: GroupAttempt[] | undefined;
  let groupName: string | undefined = firstGroup;
  while (groupName !== undefined && !tried.includes(groupName)) {
    const group = snapshot.groups.get(groupName);
    if (group === undefined) break;
    const candidates: Candidate[] = [];
    const rejectedMembers: { backend: string; reason: IneligibleReason }[] = [];
    for (const member of group.members) {
      const condition = conditions.get(member.backend) ?? HEALTHY;
      const backend = snapshot.backends.get(member.backend);
      let reason = ineligibility(backend, condition);
      if (reason === undefined && group.strategy === 'weighted' && member.weight <= 0) reason = 'zero_weight';
      if (reason === undefined) candidates.push(candidateOf(member, condition, backend?.maxLoad));
      else rejectedMembers.push({ backend: member.backend, reason });
    }
    const picked = pickCandidate(group.strategy, group.name, candidates, state);
    if (picked !== undefined) {
      return { outcome: 'routed', backend: picked.member.backend, group: group.name, rule: ruleName, fellBackFrom: tried };
    }
    (attempts ??= []).push({ group: group.name, backends: rejectedMembers });
    tried.push(group.name);
    groupName = followFallback ? group.fallback : undefined;
  }
  return rejected(ruleName, attempts ?? []);
}

function rejected(ruleName: string | undefined, attempts: readonly GroupAttempt[]): RejectedDecision {
  const all = attempts.flatMap((a) => a.backends);
  return { outcome: 'rejected', rule: ruleName, attempts, transient: all.some((b) => !CONFIG_REASONS.has(b.reason)) };
}

function candidateOf(member: GroupMember, condition: BackendCondition, maxLoad: number | undefined): Candidate {
  return {
    member,
    load: condition.load,
    maxLoad,
    inFlight: condition.inFlight ?? 0,
    polledLoad: condition.polledLoad ?? condition.load,
  };
}

/** One line a client can read: which groups were tried and the state of each backend. */
export function describeRejection(decision: RejectedDecision): string {
  if (decision.attempts.length === 0) return 'no routing group is configured for this query';
  const parts = decision.attempts.map((a) => {
    const backends = a.backends.length === 0
      ? 'no backends'
      : a.backends.map((b) => `${b.backend} ${b.reason.replaceAll('_', ' ')}`).join(', ');
    return a.pinned === true ? `rule backend ${backends}` : `group ${a.group}: ${backends}`;
  });
  return `No Trino cluster can take this query now (${parts.join('; ')})`;
}
