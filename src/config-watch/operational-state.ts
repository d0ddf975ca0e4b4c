/**
 * Under `store.seed: watch` the file owns the routing tables, except the operational switches
 * of a backend (enabled, draining) that `backend disable / drain / enable` set at run time.
 * A file apply keeps those, unless the file itself changes that backend's switch (compared
 * with the file applied before) or turns it on (enabled: false / draining: true always win).
 */
import type { Backend, RoutingConfig } from '../routing/model.js';

/**
 * `file` with the stored operational state of the backends it keeps. `previousFile` is the
 * file's routing as applied before (undefined at start: then only the file's own
 * enabled: false / draining: true override the stored state).
 */
export function withOperationalState(file: RoutingConfig, stored: RoutingConfig, previousFile: RoutingConfig | undefined): RoutingConfig {
  const storedByName = new Map(stored.backends.map((b) => [b.name, b]));
  const previousByName = new Map(previousFile?.backends.map((b) => [b.name, b]) ?? []);
  return {
    ...file,
    backends: file.backends.map((backend) => {
      const current = storedByName.get(backend.name);
      if (current === undefined) return backend;
      const before = previousByName.get(backend.name);
      const enabled = before !== undefined && before.enabled !== backend.enabled ? backend.enabled : backend.enabled && current.enabled;
      const fileDraining = backend.draining === true;
      const draining = before !== undefined && (before.draining === true) !== fileDraining ? fileDraining : fileDraining || current.draining === true;
      return withDraining({ ...backend, enabled }, draining);
    }),
  };
}

/**
 * Why the file forbids an operational switch on this backend, or undefined: the file keeps a
 * backend disabled or draining that an enable would turn back on.
 */
export function fileHolds(file: RoutingConfig, backendName: string, wanted: 'enable' | 'disable' | 'drain'): string | undefined {
  const backend = file.backends.find((b) => b.name === backendName);
  if (backend === undefined || wanted !== 'enable') return undefined;
  if (!backend.enabled) return `the config file sets enabled: false for backend ${JSON.stringify(backendName)}`;
  if (backend.draining === true) return `the config file sets draining: true for backend ${JSON.stringify(backendName)}`;
  return undefined;
}

function withDraining(backend: Backend, draining: boolean): Backend {
  const { draining: _previous, ...rest } = backend;
  return draining ? { ...rest, draining: true } : rest;
}
