/**
 * Backends between the API's messages and the routing model. Defaults follow the config
 * file: enabled unless said otherwise, schedules in UTC unless a zone is given.
 */
import type { Backend as ApiBackend, UptimeSchedule as ApiSchedule } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { Backend, UptimeSchedule } from '../../routing/model.js';
import { InvalidArgumentError } from '../errors.js';
import { maskedFields } from './update-mask.js';

export function isDraining(backend: Backend): boolean {
  return backend.draining === true;
}

/** The backend with the operator's drain switch set or cleared (absent when off, as stored). */
export function withDrain(backend: Backend, draining: boolean): Backend {
  const { draining: _previous, ...rest } = backend;
  return draining ? { ...rest, draining: true } : rest;
}

export const UPDATABLE_BACKEND_FIELDS = ['url', 'enabled', 'prefix_routing', 'max_load', 'schedules', 'max_running_queries'] as const;
type BackendField = (typeof UPDATABLE_BACKEND_FIELDS)[number];

export function backendToApi(backend: Backend): ApiBackend {
  return {
    name: backend.name,
    url: backend.url,
    enabled: backend.enabled,
    prefixRouting: backend.prefixRouting,
    maxLoad: backend.maxLoad,
    schedules: backend.schedules.map((s) => ({ cron: s.cron, timeZone: s.timeZone })),
    draining: isDraining(backend),
    maxRunningQueries: backend.maxRunningQueries,
  };
}

/** The backend a Create call asks for (`draining` is output only: a new backend is not draining). */
export function backendFromApi(api: ApiBackend | undefined): Backend {
  const given = required(api);
  return {
    name: given.name,
    url: given.url,
    enabled: given.enabled ?? true,
    prefixRouting: given.prefixRouting,
    schedules: schedulesFromApi(given.schedules),
    ...(given.maxLoad === undefined ? {} : { maxLoad: given.maxLoad }),
    ...(given.maxRunningQueries === undefined ? {} : { maxRunningQueries: given.maxRunningQueries }),
  };
}

/** `current` with the masked fields replaced by the request's; the drain switch is kept. */
export function mergeBackend(current: Backend, api: ApiBackend, mask: readonly string[]): Backend {
  const fields: ReadonlySet<BackendField> = maskedFields(mask, UPDATABLE_BACKEND_FIELDS);
  const maxLoad = fields.has('max_load') ? api.maxLoad : current.maxLoad;
  const maxRunningQueries = fields.has('max_running_queries') ? api.maxRunningQueries : current.maxRunningQueries;
  return withDrain({
    name: current.name,
    url: fields.has('url') ? api.url : current.url,
    enabled: fields.has('enabled') ? api.enabled ?? true : current.enabled,
    prefixRouting: fields.has('prefix_routing') ? api.prefixRouting : current.prefixRouting,
    schedules: fields.has('schedules') ? schedulesFromApi(api.schedules) : current.schedules,
    ...(maxLoad === undefined ? {} : { maxLoad }),
    ...(maxRunningQueries === undefined ? {} : { maxRunningQueries }),
  }, isDraining(current));
}

/** The request's backend message, which must be there. */
export function required(api: ApiBackend | undefined): ApiBackend {
  if (api === undefined) throw new InvalidArgumentError('backend', 'required');
  if (api.name === '') throw new InvalidArgumentError('backend.name', 'required');
  return api;
}

function schedulesFromApi(schedules: readonly ApiSchedule[]): UptimeSchedule[] {
  return schedules.map((s) => ({ cron: s.cron, timeZone: s.timeZone === '' ? 'UTC' : s.timeZone }));
}
