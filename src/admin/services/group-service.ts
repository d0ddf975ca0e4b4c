/**
 * GroupService: list, read, create, update and delete routing groups; set the default group.
 */
import type { GroupServiceService } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import * as edits from '../../routing/config-edits.js';
import type { RoutingConfig, RoutingGroup } from '../../routing/model.js';
import { applyChange, requiredName } from '../apply.js';
import type { Handlers } from '../call.js';
import { groupFromApi, groupToApi, mergeGroup, required } from '../convert/group.js';
import type { AdminDeps } from '../deps.js';
import { freshnessToApi, readRouting } from '../read-routing.js';

export function groupHandlers(deps: AdminDeps): Handlers<typeof GroupServiceService> {
  const find = (config: RoutingConfig, name: string): RoutingGroup => edits.findEntity(config.groups, 'group', name);

  /** The group as stored, with its default flag. */
  const stored = (config: RoutingConfig, name: string) => groupToApi(find(config, name), config.defaultGroup);

  return {
    listGroups: async () => {
      const { config, revision, freshness } = await readRouting(deps);
      return { groups: config.groups.map((g) => groupToApi(g, config.defaultGroup)), defaultGroup: config.defaultGroup, revision, freshness: freshnessToApi(freshness) };
    },

    getGroup: async (request) => {
      const name = requiredName(request.name);
      const { config, revision, freshness } = await readRouting(deps);
      return { group: groupToApi(find(config, name), config.defaultGroup), revision, freshness: freshnessToApi(freshness) };
    },

    createGroup: async (request, call) => {
      const group = groupFromApi(request.group);
      const applied = await applyChange(deps, call, (config) => edits.createGroup(config, group));
      return { group: stored(applied.config, group.name), revision: applied.revision };
    },

    updateGroup: async (request, call) => {
      const given = required(request.group);
      const applied = await applyChange(deps, call, (config) =>
        edits.updateGroup(config, mergeGroup(find(config, given.name), given, request.updateMask)));
      return { group: stored(applied.config, given.name), revision: applied.revision };
    },

    deleteGroup: async (request, call) => {
      const name = requiredName(request.name);
      return { revision: (await applyChange(deps, call, (config) => edits.deleteGroup(config, name))).revision };
    },

    setDefaultGroup: async (request, call) => {
      const name = requiredName(request.name);
      const applied = await applyChange(deps, call, (config) => {
        // validate.ts would say "unknown group" as an invalid config; a missing name is NOT_FOUND.
        find(config, name);
        return edits.setDefaultGroup(config, name);
      });
      return { revision: applied.revision };
    },
  };
}
