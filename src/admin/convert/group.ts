/**
 * Routing groups between the API's messages and the routing model. Defaults follow the
 * config file: round_robin, members weighted 1.
 */
import type { Group as ApiGroup, GroupMember as ApiMember } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { GroupMember, RoutingGroup, StrategyName } from '../../routing/model.js';
import { InvalidArgumentError } from '../errors.js';
import { maskedFields } from './update-mask.js';

const STRATEGIES: readonly StrategyName[] = ['round_robin', 'random', 'weighted', 'least_load'];

export const UPDATABLE_GROUP_FIELDS = ['strategy', 'members', 'fallback', 'max_running_queries'] as const;
type GroupField = (typeof UPDATABLE_GROUP_FIELDS)[number];

export function groupToApi(group: RoutingGroup, defaultGroup: string): ApiGroup {
  return {
    name: group.name,
    strategy: group.strategy,
    members: group.members.map((m) => ({ backend: m.backend, weight: m.weight })),
    fallback: group.fallback,
    isDefault: group.name === defaultGroup,
    maxRunningQueries: group.maxRunningQueries,
  };
}

export function groupFromApi(api: ApiGroup | undefined): RoutingGroup {
  const given = required(api);
  return build(given.name, strategyOf(given.strategy), membersOf(given.members), given.fallback, given.maxRunningQueries);
}

export function mergeGroup(current: RoutingGroup, api: ApiGroup, mask: readonly string[]): RoutingGroup {
  const fields: ReadonlySet<GroupField> = maskedFields(mask, UPDATABLE_GROUP_FIELDS);
  return build(
    current.name,
    fields.has('strategy') ? strategyOf(api.strategy) : current.strategy,
    fields.has('members') ? membersOf(api.members) : current.members,
    fields.has('fallback') ? api.fallback : current.fallback,
    fields.has('max_running_queries') ? api.maxRunningQueries : current.maxRunningQueries,
  );
}

export function required(api: ApiGroup | undefined): ApiGroup {
  if (api === undefined) throw new InvalidArgumentError('group', 'required');
  if (api.name === '') throw new InvalidArgumentError('group.name', 'required');
  return api;
}

function build(
  name: string, strategy: StrategyName, members: readonly GroupMember[], fallback: string | undefined, maxRunningQueries: number | undefined,
): RoutingGroup {
  // An empty fallback is no fallback (some clients cannot leave an optional string unset).
  return {
    name, strategy, members,
    ...(fallback === undefined || fallback === '' ? {} : { fallback }),
    ...(maxRunningQueries === undefined ? {} : { maxRunningQueries }),
  };
}

function strategyOf(strategy: string): StrategyName {
  if (strategy === '') return 'round_robin';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new InvalidArgumentError('group.strategy', `expected one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  return strategy as StrategyName;
}

function membersOf(members: readonly ApiMember[]): GroupMember[] {
  return members.map((m) => ({ backend: m.backend, weight: m.weight ?? 1 }));
}
