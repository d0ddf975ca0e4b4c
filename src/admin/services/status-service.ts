/**
 * StatusService: what the health monitor knows about each backend of the serving routing.
 */
import type { StatusServiceService } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { BackendStatus } from '../../health/status.js';
import type { Backend } from '../../routing/model.js';
import { NotFoundError } from '../../routing/edit-errors.js';
import type { Handlers } from '../call.js';
import { backendStatusToApi, configFileStatusToApi } from '../convert/status.js';
import type { AdminDeps } from '../deps.js';
import { freshnessToApi, servingFreshness } from '../read-routing.js';
import { InvalidArgumentError } from '../errors.js';

const DEFAULT_HISTORY = 10;
const MAX_HISTORY = 1000;

export function statusHandlers(deps: AdminDeps): Handlers<typeof StatusServiceService> {
  return {
    getStatus: async (request) => {
      const limit = request.historyLimit ?? DEFAULT_HISTORY;
      if (limit > MAX_HISTORY) throw new InvalidArgumentError('history_limit', `at most ${MAX_HISTORY}, got ${limit}`);
      const snapshot = deps.router.snapshot();
      const wanted = selectBackends(snapshot.config.backends, request.backends);
      const health = deps.health;
      const statuses = new Map<string, BackendStatus>((health?.status() ?? []).map((s) => [s.backend, s]));
      const histories = await Promise.all(wanted.map((backend) =>
        health === undefined || limit === 0 ? [] : health.history(backend.name, limit)));
      return {
        backends: wanted.map((backend, i) => backendStatusToApi(backend, statuses.get(backend.name), histories[i] ?? [])),
        monitored: health !== undefined,
        revision: snapshot.revision,
        freshness: freshnessToApi(servingFreshness(deps)),
        configFile: deps.configFile === undefined ? undefined : configFileStatusToApi(deps.configFile.status()),
      };
    },
  };
}

function selectBackends(all: readonly Backend[], names: readonly string[]): readonly Backend[] {
  if (names.length === 0) return all;
  return names.map((name) => {
    const backend = all.find((b) => b.name === name);
    if (backend === undefined) throw new NotFoundError('backend', name, all.map((b) => b.name));
    return backend;
  });
}
