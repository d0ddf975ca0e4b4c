/**
 * Explain: the decision the router would make for a request now, with every reason. Pure.
 *
 * The outcome comes from a dry run of the serving RequestRouter itself (same snapshot, same
 * backend conditions, same ownership index, same keyring), so explain cannot disagree with
 * what the router does. The dry run never probes, never learns and never advances a
 * strategy counter: round-robin counters are peeked, not ticked. The reasons (each rule's
 * conditions, each backend's eligibility) are then read off the same compiled snapshot with
 * the engine's own eligibility check.
 */
import { decodeRefusal } from './replies.js';
import { decideForGroup, ineligibility, ruleGroup, type BackendCondition, type BackendConditions, type IneligibleReason } from './engine.js';
import type { ForwardInstruction, Mechanism, ReplyInstruction } from './decision.js';
import type { RequestFacts, RoutingGroup } from './model.js';
import { AwaitingBody, RequestRouter, type Incoming, type RequestContext, type RequestRouterDeps } from './request-router.js';
import type { StatementOutcome } from '../statement/facts.js';
import { dryRunGate } from './queue-gate.js';
import type { RoutingSnapshot } from './snapshot.js';
import type { PeekableStrategyState, StrategyState } from './strategies.js';

function isPeekable(state: StrategyState): state is PeekableStrategyState {
  return typeof (state as Partial<PeekableStrategyState>).peekTick === 'function';
}

export type RuleResult = 'matched' | 'not_matched' | 'not_reached';

export interface ConditionEvaluation {
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  readonly matched: boolean;
}

export interface RuleEvaluation {
  readonly name: string;
  readonly priority: number;
  readonly group: string;
  readonly result: RuleResult;
  /** Whether every condition holds, also for rules an earlier match kept from being reached. */
  readonly wouldMatch: boolean;
  readonly conditions: readonly ConditionEvaluation[];
}

export interface BackendEvaluation {
  readonly backend: string;
  readonly eligible: boolean;
  readonly reason: IneligibleReason | undefined;
  readonly condition: BackendCondition;
  readonly weight: number;
}

export interface GroupEvaluation {
  readonly group: string;
  readonly strategy: RoutingGroup['strategy'];
  readonly backends: readonly BackendEvaluation[];
  /** The member the strategy picks, undefined when none can take the query. */
  readonly picked: string | undefined;
}

export interface ExplainedReply {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
}

export interface Explanation {
  readonly revision: number;
  /** forward: sent to `backend`; reply: answered by the router; probe: looked for on every backend. */
  readonly outcome: 'forward' | 'reply' | 'probe';
  readonly mechanism: Mechanism | undefined;
  readonly backend: string | undefined;
  /** False when the strategy picks at random among `candidates`. */
  readonly backendCertain: boolean;
  readonly candidates: readonly string[];
  readonly group: string | undefined;
  readonly rule: string | undefined;
  readonly fellBackFrom: readonly string[];
  /** The request as the rules see it; undefined when the rules were not consulted. */
  readonly facts: RequestFacts | undefined;
  readonly rules: readonly RuleEvaluation[];
  readonly groups: readonly GroupEvaluation[];
  readonly reply: ExplainedReply | undefined;
  readonly rewrittenPath: string | undefined;
  /** The statement as read for a statement rule (undefined when no rule needed it). */
  readonly statement: StatementOutcome | undefined;
  readonly summary: string;
}

/** Taken for a backend the monitor says nothing about, as the engine does. */
const NO_CONDITION: BackendCondition = { health: 'healthy', load: 0, inSchedule: true };
/** The highest roll a StrategyState may return: with roll 0 it brackets every random pick. */
const LAST_ROLL = 1 - Number.EPSILON;

/** What explain hands the router for a submission whose SQL was not given. */
const NO_SQL_GIVEN = { bytes: new Uint8Array(0), complete: true, sent: false } as const;

/** Synchronous unless a statement is read (the SQL was given and a statement rule needs it) or the query would queue. */
export function explainRequest(deps: RequestRouterDeps, request: Incoming): Explanation | Promise<Explanation> {
  // One snapshot and one view of the backends for the whole explanation.
  const snapshot = deps.snapshot();
  const conditions = deps.conditions();
  const dryRun = new RequestRouter({
    ...deps,
    snapshot: () => snapshot,
    conditions: () => conditions,
    strategy: dryRunState(deps.strategy, 0),
    probe: undefined,
    onQuery: undefined,
    queue: deps.queue === undefined ? undefined : dryRunGate(deps.queue),
  });
  let routed = dryRun.route(request);
  if (routed instanceof AwaitingBody) routed = dryRun.routeWithBody(routed, request.body ?? NO_SQL_GIVEN);
  const explain = (context: RequestContext): Explanation => {
    const { instruction, facts } = context;
    const rules = facts === undefined ? [] : evaluateRules(snapshot, facts);
    const explained = instruction.kind === 'forward'
      ? explainForward(deps, snapshot, conditions, instruction, facts, rules)
      : explainReplyInstruction(deps, snapshot, conditions, instruction, facts, rules);
    const statement = context.statement?.status === 'unknown' && context.statement.reason === 'body_not_sent' && request.body === undefined
      ? { ...context.statement, detail: 'no SQL was given to explain' }
      : context.statement;
    return { ...explained, statement };
  };
  // Without a probe the router waits only for a statement's facts.
  return routed instanceof Promise ? routed.then(explain) : explain(routed);
}

/** Forwarded: by ownership (a follow-up or a transaction), or by the rules with every reason. */
function explainForward(
  deps: RequestRouterDeps,
  snapshot: RoutingSnapshot,
  conditions: BackendConditions,
  instruction: ForwardInstruction,
  facts: RequestFacts | undefined,
  rules: readonly RuleEvaluation[],
): Explanation {
  const decision = instruction.decision?.outcome === 'routed' ? instruction.decision : undefined;
  if (decision === undefined || facts === undefined) {
    return withSummary({
      ...base(snapshot),
      outcome: 'forward',
      mechanism: instruction.mechanism,
      backend: instruction.backend,
      backendCertain: true,
      candidates: [instruction.backend],
      facts,
      rules,
      rewrittenPath: instruction.path,
    });
  }
  const groups = evaluateGroups(snapshot, conditions, decision.fellBackFrom[0] ?? decision.group, decision.group, decision.backend);
  const landed = groups.find((g) => g.group === decision.group);
  return withSummary({
    ...base(snapshot),
    outcome: 'forward',
    mechanism: instruction.mechanism,
    backend: decision.backend,
    backendCertain: pickIsCertain(snapshot, conditions, deps.strategy, decision, landed),
    candidates: landed?.backends.filter((b) => b.eligible).map((b) => b.backend) ?? [decision.backend],
    group: decision.group,
    rule: decision.rule,
    fellBackFrom: decision.fellBackFrom,
    facts,
    rules,
    groups,
    rewrittenPath: instruction.path,
  });
}

/** Answered by the router: a refusal (with the groups tried when no backend could take it) or a probe. */
function explainReplyInstruction(
  deps: RequestRouterDeps,
  snapshot: RoutingSnapshot,
  conditions: BackendConditions,
  instruction: ReplyInstruction,
  facts: RequestFacts | undefined,
  rules: readonly RuleEvaluation[],
): Explanation {
  const reply = explainReply(instruction);
  const backends = [...snapshot.backends.keys()];
  // The dry run never probes; the real router would, for a query nobody is known to own.
  if (reply.reason === 'unknown_query' && deps.probe !== undefined && backends.length > 0) {
    return withSummary({ ...base(snapshot), outcome: 'probe', mechanism: 'probe', candidates: backends, reply });
  }
  const matchedRule = rules.find((r) => r.result === 'matched');
  const groups = facts === undefined || !isNoBackend(reply.reason)
    ? []
    : evaluateGroups(snapshot, conditions, matchedRule?.group ?? snapshot.defaultGroup, undefined, undefined);
  return withSummary({ ...base(snapshot), outcome: 'reply', rule: matchedRule?.name, facts, rules, groups, reply });
}

type Draft = Omit<Explanation, 'summary'>;

function base(snapshot: RoutingSnapshot): Draft {
  return {
    revision: snapshot.revision,
    outcome: 'reply',
    mechanism: undefined,
    backend: undefined,
    backendCertain: false,
    candidates: [],
    group: undefined,
    rule: undefined,
    fellBackFrom: [],
    facts: undefined,
    rules: [],
    groups: [],
    reply: undefined,
    statement: undefined,
    rewrittenPath: undefined,
  };
}

/** Peeks round-robin counters and rolls a fixed number, so the dry run changes nothing. */
function dryRunState(live: StrategyState, roll: number): StrategyState {
  return {
    nextTick: (group) => (isPeekable(live) ? live.peekTick(group) : 0),
    random: () => roll,
  };
}

function evaluateRules(snapshot: RoutingSnapshot, facts: RequestFacts): RuleEvaluation[] {
  let decided = false;
  return snapshot.rules.map((compiled) => {
    const conditions = compiled.conditions.map((c) => ({
      field: c.field,
      expected: c.expected,
      actual: c.actual(facts),
      matched: c.test(facts),
    }));
    const wouldMatch = conditions.every((c) => c.matched);
    const result: RuleResult = decided ? 'not_reached' : wouldMatch ? 'matched' : 'not_matched';
    if (wouldMatch) decided = true;
    // The group this request would be sent to (the client's requested one when the rule lists it).
    return { name: compiled.rule.name, priority: compiled.rule.priority, group: ruleGroup(compiled.rule, facts), result, wouldMatch, conditions };
  });
}

/**
 * Walks the group and its fallbacks as the engine does, stopping at `landedGroup` when the
 * query was routed (the groups after it were never tried).
 */
function evaluateGroups(
  snapshot: RoutingSnapshot,
  conditions: BackendConditions,
  firstGroup: string,
  landedGroup: string | undefined,
  picked: string | undefined,
): GroupEvaluation[] {
  const evaluations: GroupEvaluation[] = [];
  const tried = new Set<string>();
  let name: string | undefined = firstGroup;
  while (name !== undefined && !tried.has(name)) {
    const group = snapshot.groups.get(name);
    if (group === undefined) break;
    tried.add(name);
    const backends = group.members.map((member): BackendEvaluation => {
      const condition = conditions.get(member.backend) ?? NO_CONDITION;
      let reason = ineligibility(snapshot.backends.get(member.backend), condition);
      if (reason === undefined && group.strategy === 'weighted' && member.weight <= 0) reason = 'zero_weight';
      return { backend: member.backend, eligible: reason === undefined, reason, condition, weight: member.weight };
    });
    evaluations.push({ group: group.name, strategy: group.strategy, backends, picked: name === landedGroup ? picked : undefined });
    if (name === landedGroup) break;
    name = group.fallback;
  }
  return evaluations;
}

/**
 * The pick is certain when the lowest and the highest random roll agree (one candidate, a
 * single weighted member, a unique least load) or the round-robin counter could be peeked.
 */
function pickIsCertain(
  snapshot: RoutingSnapshot,
  conditions: BackendConditions,
  live: StrategyState,
  decision: { readonly backend: string; readonly group: string; readonly rule: string | undefined; readonly fellBackFrom: readonly string[] },
  landed: GroupEvaluation | undefined,
): boolean {
  const eligible = landed?.backends.filter((b) => b.eligible).length ?? 1;
  if (eligible <= 1) return true;
  if (landed?.strategy === 'round_robin') return isPeekable(live);
  const first = decision.fellBackFrom[0] ?? decision.group;
  const other = decideForGroup(snapshot, first, decision.rule, conditions, dryRunState(live, LAST_ROLL));
  return other.outcome === 'routed' && other.backend === decision.backend;
}

function isNoBackend(reason: string): boolean {
  return reason === 'no_backend' || reason === 'no_backend_configured';
}

/** The reply's message as the client would read it, whatever body shape the path gets. */
function explainReply(reply: ReplyInstruction): ExplainedReply {
  return { status: reply.status, reason: reply.reason, message: replyMessage(reply) };
}

function replyMessage(reply: ReplyInstruction): string {
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    return reply.body;
  }
  if (body === null || typeof body !== 'object') return reply.body;
  const record = body as { message?: unknown; error?: { message?: unknown }; nextUri?: unknown };
  if (typeof record.message === 'string') return record.message;
  if (typeof record.error?.message === 'string') return record.error.message;
  // A refused submission is QUEUED with the refusal inside its nextUri.
  if (typeof record.nextUri === 'string') {
    try {
      const refusal = decodeRefusal(new URL(record.nextUri).pathname);
      if (refusal !== undefined) return refusal.message;
    } catch {
      // Not a URL: fall through to the raw body.
    }
  }
  return reply.body;
}

function withSummary(draft: Draft): Explanation {
  return { ...draft, summary: summarize(draft) };
}

function summarize(e: Draft): string {
  switch (e.outcome) {
    case 'probe':
      return `unknown query: the router would ask ${e.candidates.join(', ')} whether they know it and forward to the one that does; if none does: ${e.reply?.message ?? 'unknown query'}`;
    case 'reply':
      return `answered by the router (HTTP ${e.reply?.status ?? 0}, ${e.reply?.reason ?? 'reply'}): ${e.reply?.message ?? ''}`;
    case 'forward': {
      if (e.mechanism === 'login_flow') return `forward to ${e.backend ?? '?'} by login_flow (the cluster whose OAuth2 challenge started this login)`;
      if (e.mechanism === 'ui_session') return `forward to ${e.backend ?? '?'} by ui_session (the cluster this browser logged in to, named by the router's signed UI cookie)`;
      if (e.mechanism !== 'rules') return `forward to ${e.backend ?? '?'} by ${e.mechanism ?? '?'} (follow-ups go to the backend that owns the query or transaction)`;
      const strategy = e.groups.find((g) => g.group === e.group)?.strategy ?? 'strategy';
      const target = e.backendCertain ? e.backend ?? '?' : `one of ${e.candidates.join(', ')} (${strategy} pick)`;
      const via = e.rule === undefined ? `default group ${e.group ?? '?'}` : `rule ${e.rule} -> group ${e.group ?? '?'}`;
      const fallback = e.fellBackFrom.length === 0 ? '' : `, after falling back from ${e.fellBackFrom.join(', ')}`;
      return `forward to ${target} by rules (${via}${fallback})`;
    }
  }
}
