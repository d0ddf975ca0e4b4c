/**
 * BackendService: list, read, create, update, delete, enable, disable and drain backends.
 */
import type { BackendServiceService, DrainProgress as ApiDrainProgress } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import * as edits from '../../routing/config-edits.js';
import type { Backend } from '../../routing/model.js';
import { applyChange, requiredName } from '../apply.js';
import type { AdminCall, Handlers } from '../call.js';
import { backendFromApi, backendToApi, isDraining, mergeBackend, required, withDrain } from '../convert/backend.js';
import { drainProgressToApi } from '../convert/status.js';
import type { AdminDeps } from '../deps.js';
import { freshnessToApi, readRouting } from '../read-routing.js';

interface Toggled {
  readonly backend: Backend;
  readonly revision: number;
  readonly changed: boolean;
}

export function backendHandlers(deps: AdminDeps): Handlers<typeof BackendServiceService> {
  const find = async (name: string): Promise<{ backend: Backend; revision: number; freshness: ReturnType<typeof freshnessToApi> }> => {
    const { config, revision, freshness } = await readRouting(deps);
    return { backend: edits.findEntity(config.backends, 'backend', name), revision, freshness: freshnessToApi(freshness) };
  };

  /** Read-modify-write in one transaction; nothing is written when `next` returns undefined. */
  const toggle = async (call: AdminCall, name: string, operational: 'enable' | 'disable' | 'drain', next: (current: Backend) => Backend | undefined): Promise<Toggled> => {
    requiredName(name);
    const applied = await applyChange(deps, call, (config) => {
      const wanted = next(edits.findEntity(config.backends, 'backend', name));
      return wanted === undefined ? undefined : edits.updateBackend(config, wanted);
    }, { backend: name, switch: operational });
    return { backend: edits.findEntity(applied.config.backends, 'backend', name), revision: applied.revision, changed: applied.changed };
  };

  const drainProgress = (name: string): ApiDrainProgress => {
    const status = deps.health?.status().find((s) => s.backend === name);
    return drainProgressToApi(status?.drain ?? null);
  };

  return {
    listBackends: async () => {
      const { config, revision, freshness } = await readRouting(deps);
      return { backends: config.backends.map(backendToApi), revision, freshness: freshnessToApi(freshness) };
    },

    getBackend: async (request) => {
      const { backend, revision, freshness } = await find(requiredName(request.name));
      return { backend: backendToApi(backend), revision, freshness };
    },

    createBackend: async (request, call) => {
      const backend = backendFromApi(request.backend);
      const applied = await applyChange(deps, call, (config) => edits.createBackend(config, backend));
      return { backend: backendToApi(edits.findEntity(applied.config.backends, 'backend', backend.name)), revision: applied.revision };
    },

    updateBackend: async (request, call) => {
      const given = required(request.backend);
      const applied = await applyChange(deps, call, (config) =>
        edits.updateBackend(config, mergeBackend(edits.findEntity(config.backends, 'backend', given.name), given, request.updateMask)));
      return { backend: backendToApi(edits.findEntity(applied.config.backends, 'backend', given.name)), revision: applied.revision };
    },

    deleteBackend: async (request, call) => {
      const name = requiredName(request.name);
      return { revision: (await applyChange(deps, call, (config) => edits.deleteBackend(config, name))).revision };
    },

    enableBackend: async (request, call) => {
      const result = await toggle(call, request.name, 'enable', (current) =>
        current.enabled && !isDraining(current) ? undefined : withDrain({ ...current, enabled: true }, false));
      return { ...result, backend: backendToApi(result.backend) };
    },

    disableBackend: async (request, call) => {
      const result = await toggle(call, request.name, 'disable', (current) => (current.enabled ? { ...current, enabled: false } : undefined));
      return { ...result, backend: backendToApi(result.backend) };
    },

    drainBackend: async (request, call) => {
      const result = await toggle(call, request.name, 'drain', (current) => (isDraining(current) ? undefined : withDrain(current, true)));
      return { ...result, backend: backendToApi(result.backend), progress: drainProgress(result.backend.name) };
    },
  };
}
