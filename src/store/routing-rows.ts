/**
 * Rows of the routing tables <-> routing model values. Absent optional values stay absent
 * (never `undefined` properties), so a stored config deep-equals the one that was saved.
 */
import type { Backend, GroupMember, RoutingGroup, RoutingRule, RuleMatch, StrategyName, UptimeSchedule } from '../routing/model.js';

export interface BackendRow {
  readonly name: string;
  readonly url: string;
  readonly enabled: number;
  readonly prefix_routing: number;
  readonly max_load: number | null;
  readonly schedules: string;
  readonly draining: number;
  readonly max_running_queries: number | null;
}

export interface GroupRow {
  readonly name: string;
  readonly strategy: string;
  readonly fallback: string | null;
  readonly max_running_queries: number | null;
}

export interface MemberRow {
  readonly group_name: string;
  readonly backend: string;
  readonly weight: number;
}

export interface RuleRow {
  readonly name: string;
  readonly priority: number;
  readonly group_name: string;
  readonly match_json: string;
  /** backend, requestedGroups and fallback when set; `{}` otherwise. */
  readonly target_json: string;
}

export function backendFromRow(row: BackendRow): Backend {
  return {
    name: row.name,
    url: row.url,
    enabled: row.enabled === 1,
    prefixRouting: row.prefix_routing === 1,
    schedules: JSON.parse(row.schedules) as UptimeSchedule[],
    ...(row.max_load === null ? {} : { maxLoad: row.max_load }),
    ...(row.draining === 1 ? { draining: true } : {}),
    ...(row.max_running_queries === null ? {} : { maxRunningQueries: row.max_running_queries }),
  };
}

/** Column values of a backend, for named parameters. */
export function backendParams(backend: Backend) {
  return {
    name: backend.name,
    url: backend.url,
    enabled: backend.enabled ? 1 : 0,
    prefix_routing: backend.prefixRouting ? 1 : 0,
    max_load: backend.maxLoad ?? null,
    schedules: JSON.stringify(backend.schedules.map((s) => ({ cron: s.cron, timeZone: s.timeZone }))),
    draining: backend.draining === true ? 1 : 0,
    max_running_queries: backend.maxRunningQueries ?? null,
  };
}

export function groupFromRow(row: GroupRow, members: readonly GroupMember[]): RoutingGroup {
  return {
    name: row.name,
    strategy: row.strategy as StrategyName,
    members,
    ...(row.fallback === null ? {} : { fallback: row.fallback }),
    ...(row.max_running_queries === null ? {} : { maxRunningQueries: row.max_running_queries }),
  };
}

export function memberFromRow(row: MemberRow): GroupMember {
  return { backend: row.backend, weight: row.weight };
}

export function groupParams(group: RoutingGroup) {
  return { name: group.name, strategy: group.strategy, fallback: group.fallback ?? null, max_running_queries: group.maxRunningQueries ?? null };
}

/** Kept in target_json beside the target: the rule's queue priority and per-user limit too. */
type RuleTarget = Pick<RoutingRule, 'backend' | 'requestedGroups' | 'fallback' | 'queuePriority' | 'maxRunningPerUser'>;

export function ruleFromRow(row: RuleRow): RoutingRule {
  const target = JSON.parse(row.target_json) as RuleTarget;
  return { name: row.name, priority: row.priority, group: row.group_name, match: JSON.parse(row.match_json) as RuleMatch, ...target };
}

export function ruleParams(rule: RoutingRule) {
  const target: RuleTarget = {
    ...(rule.backend === undefined ? {} : { backend: rule.backend }),
    ...(rule.requestedGroups === undefined ? {} : { requestedGroups: rule.requestedGroups }),
    ...(rule.fallback === undefined ? {} : { fallback: rule.fallback }),
    ...(rule.queuePriority === undefined ? {} : { queuePriority: rule.queuePriority }),
    ...(rule.maxRunningPerUser === undefined ? {} : { maxRunningPerUser: rule.maxRunningPerUser }),
  };
  return { name: rule.name, priority: rule.priority, group_name: rule.group, match_json: JSON.stringify(rule.match), target_json: JSON.stringify(target) };
}
