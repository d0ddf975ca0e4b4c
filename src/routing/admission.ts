/**
 * Admission to a limited group (issue 22): may a new query run now, and where, given the
 * running-query limits of the group, its backends and the rule's per-user limit? Pure: the
 * running counts come in (the monitor's count plus what the fleet dispatched since it was
 * read), the answer is a backend or "queue" with the reason.
 */
import { ineligibility, type BackendConditions } from './engine.js';
import type { Backend, RoutingGroup, RoutingRule } from './model.js';
import type { RoutingSnapshot } from './snapshot.js';
import { pickCandidate, type Candidate, type StrategyState } from './strategies.js';

/** What the fleet runs now, as well as it is known (see queue/running-counts.ts). */
export interface RunningCounts {
  /** Queries running (or queued) on the backend. */
  backend(name: string): number;
  /** Queries of this rule and user running anywhere; 0 when the rule has no per-user limit. */
  user(rule: string, user: string): number;
}

export type QueueReason = 'backends_full' | 'group_full' | 'user_limit' | 'no_backend';

export type Admission =
  | { readonly admit: true; readonly backend: string }
  | { readonly admit: false; readonly reason: QueueReason; readonly detail: string };

/** Whether queries sent to this group through this rule go through the queue at all. */
export function isLimited(snapshot: RoutingSnapshot, groupName: string, rule: RoutingRule | undefined): boolean {
  if (rule?.maxRunningPerUser !== undefined) return true;
  const group = snapshot.groups.get(groupName);
  if (group === undefined) return false;
  if (group.maxRunningQueries !== undefined) return true;
  return group.members.some((m) => snapshot.backends.get(m.backend)?.maxRunningQueries !== undefined);
}

/** The query a queue entry holds, as admission needs it. */
export interface AdmissionRequest {
  readonly group: string;
  readonly rule: string | undefined;
  readonly user: string | undefined;
  /** The rule's per-user limit when the query was queued (the rule may have changed since). */
  readonly userLimit: number | undefined;
}

/**
 * A backend of the request's group that can take the query now, chosen by the group's strategy
 * among the members that are eligible (engine.ts) and under their limits; or why it waits.
 */
export function admit(
  snapshot: RoutingSnapshot,
  request: AdmissionRequest,
  conditions: BackendConditions,
  running: RunningCounts,
  state: StrategyState,
): Admission {
  const group = snapshot.groups.get(request.group);
  if (group === undefined) return { admit: false, reason: 'no_backend', detail: `group ${request.group} is no longer configured` };
  if (request.userLimit !== undefined && request.rule !== undefined && request.user !== undefined) {
    const mine = running.user(request.rule, request.user);
    if (mine >= request.userLimit) {
      return { admit: false, reason: 'user_limit', detail: `user ${request.user} runs ${mine} of at most ${request.userLimit} queries of rule ${request.rule}` };
    }
  }
  const total = groupRunning(group, running);
  if (group.maxRunningQueries !== undefined && total >= group.maxRunningQueries) {
    return { admit: false, reason: 'group_full', detail: `group ${group.name} runs ${total} of at most ${group.maxRunningQueries} queries` };
  }
  const candidates: Candidate[] = [];
  const full: string[] = [];
  for (const member of group.members) {
    const backend = snapshot.backends.get(member.backend);
    const condition = conditions.get(member.backend);
    if (ineligibility(backend, condition ?? HEALTHY) !== undefined) continue;
    if (group.strategy === 'weighted' && member.weight <= 0) continue;
    if (atLimit(backend, running)) {
      full.push(`${member.backend} ${running.backend(member.backend)}/${backend?.maxRunningQueries}`);
      continue;
    }
    const load = condition?.load ?? 0;
    candidates.push({ member, load, maxLoad: backend?.maxLoad, inFlight: condition?.inFlight ?? 0, polledLoad: condition?.polledLoad ?? load });
  }
  const picked = pickCandidate(group.strategy, group.name, candidates, state);
  if (picked !== undefined) return { admit: true, backend: picked.member.backend };
  if (full.length > 0) return { admit: false, reason: 'backends_full', detail: `every backend of group ${group.name} is at its limit (${full.join(', ')})` };
  return { admit: false, reason: 'no_backend', detail: `no backend of group ${group.name} can take a query now` };
}

const HEALTHY = { health: 'healthy', load: 0, inSchedule: true } as const;

function atLimit(backend: Backend | undefined, running: RunningCounts): boolean {
  return backend?.maxRunningQueries !== undefined && running.backend(backend.name) >= backend.maxRunningQueries;
}

function groupRunning(group: RoutingGroup, running: RunningCounts): number {
  let total = 0;
  for (const member of group.members) total += running.backend(member.backend);
  return total;
}
