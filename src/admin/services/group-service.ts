/**
 * GroupService: list, read, create, update and delete routing groups; set the default group.
 */
import type { GroupServiceService } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { RoutingConfig, RoutingGroup } from '../../routing/model.js';
import { NotFoundError } from '../../store/index.js';
import { applyChange, requiredName } from '../apply.js';
import type { Handlers } from '../call.js';
import { groupFromApi, groupToApi, mergeGroup, required } from '../convert/group.js';
import type { AdminDeps } from '../deps.js';

export function groupHandlers(deps: AdminDeps): Handlers<typeof GroupServiceService> {
  const routing = deps.store.routing;

  const find = (config: RoutingConfig, name: string): RoutingGroup => {
    const group = config.groups.find((g) => g.name === name);
    if (group === undefined) throw new NotFoundError('group', name);
    return group;
  };

  /** The group as stored now, with its default flag, after a change. */
  const stored = (name: string) => {
    const config = routing.load();
    return groupToApi(find(config, name), config.defaultGroup);
  };

  return {
    listGroups: () => {
      const { config, revision } = routing.loadWithRevision();
      return { groups: config.groups.map((g) => groupToApi(g, config.defaultGroup)), defaultGroup: config.defaultGroup, revision };
    },

    getGroup: (request) => {
      const name = requiredName(request.name);
      const { config, revision } = routing.loadWithRevision();
      return { group: groupToApi(find(config, name), config.defaultGroup), revision };
    },

    createGroup: (request) => {
      const group = groupFromApi(request.group);
      return applyChange(deps, () => {
        const revision = routing.createGroup(group);
        return { group: stored(group.name), revision };
      });
    },

    updateGroup: (request) => {
      const given = required(request.group);
      return applyChange(deps, () => {
        const next = mergeGroup(find(routing.load(), given.name), given, request.updateMask);
        const revision = routing.updateGroup(next);
        return { group: stored(given.name), revision };
      });
    },

    deleteGroup: (request) => {
      const name = requiredName(request.name);
      return { revision: applyChange(deps, () => routing.deleteGroup(name)) };
    },

    setDefaultGroup: (request) => {
      const name = requiredName(request.name);
      return applyChange(deps, () => {
        // validate.ts would say "unknown group" as an invalid config; a missing name is NOT_FOUND.
        find(routing.load(), name);
        return { revision: routing.setDefaultGroup(name) };
      });
    },
  };
}
