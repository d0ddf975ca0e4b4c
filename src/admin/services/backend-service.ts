/**
 * BackendService: list, read, create, update, delete, enable, disable and drain backends.
 */
import type { BackendServiceService, DrainProgress as ApiDrainProgress } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { Backend } from '../../routing/model.js';
import { NotFoundError } from '../../store/index.js';
import { applyChange, requiredName } from '../apply.js';
import type { Handlers } from '../call.js';
import { backendFromApi, backendToApi, isDraining, mergeBackend, required, withDrain } from '../convert/backend.js';
import { drainProgressToApi } from '../convert/status.js';
import type { AdminDeps } from '../deps.js';

interface Toggled {
  readonly backend: Backend;
  readonly revision: number;
  readonly changed: boolean;
}

export function backendHandlers(deps: AdminDeps): Handlers<typeof BackendServiceService> {
  const routing = deps.store.routing;

  const find = (name: string): { backend: Backend; revision: number } => {
    const { config, revision } = routing.loadWithRevision();
    const backend = config.backends.find((b) => b.name === name);
    if (backend === undefined) throw new NotFoundError('backend', name);
    return { backend, revision };
  };

  /** Read-modify-write in one transaction; nothing is written when `next` returns undefined. */
  const toggle = (name: string, next: (current: Backend) => Backend | undefined): Toggled =>
    applyChange(deps, () => {
      const current = find(requiredName(name));
      const wanted = next(current.backend);
      if (wanted === undefined) return { ...current, changed: false };
      const revision = routing.updateBackend(wanted);
      return { backend: routing.getBackend(name), revision, changed: true };
    });

  const drainProgress = (name: string): ApiDrainProgress => {
    const status = deps.health?.status().find((s) => s.backend === name);
    return drainProgressToApi(status?.drain ?? null);
  };

  return {
    listBackends: () => {
      const { config, revision } = routing.loadWithRevision();
      return { backends: config.backends.map(backendToApi), revision };
    },

    getBackend: (request) => {
      const { backend, revision } = find(requiredName(request.name));
      return { backend: backendToApi(backend), revision };
    },

    createBackend: (request) => {
      const backend = backendFromApi(request.backend);
      return applyChange(deps, () => {
        const revision = routing.createBackend(backend);
        return { backend: backendToApi(routing.getBackend(backend.name)), revision };
      });
    },

    updateBackend: (request) => {
      const given = required(request.backend);
      return applyChange(deps, () => {
        const next = mergeBackend(find(given.name).backend, given, request.updateMask);
        const revision = routing.updateBackend(next);
        return { backend: backendToApi(routing.getBackend(given.name)), revision };
      });
    },

    deleteBackend: (request) => {
      const name = requiredName(request.name);
      return { revision: applyChange(deps, () => routing.deleteBackend(name)) };
    },

    enableBackend: (request) => {
      const result = toggle(request.name, (current) =>
        current.enabled && !isDraining(current) ? undefined : withDrain({ ...current, enabled: true }, false));
      return { ...result, backend: backendToApi(result.backend) };
    },

    disableBackend: (request) => {
      const result = toggle(request.name, (current) => (current.enabled ? { ...current, enabled: false } : undefined));
      return { ...result, backend: backendToApi(result.backend) };
    },

    drainBackend: (request) => {
      const result = toggle(request.name, (current) => (isDraining(current) ? undefined : withDrain(current, true)));
      return { ...result, backend: backendToApi(result.backend), progress: drainProgress(result.backend.name) };
    },
  };
}
