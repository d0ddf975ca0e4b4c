/**
 * The reference Envoy setup every other deployment must agree with: envoy/envoy.yaml (the
 * file the test suite's Envoy stand-in runs). Its ext_proc settings are the ones the router
 * is tested against; Istio's EnvoyFilter and Envoy Gateway's policy must produce the same.
 */
import { field, bootstrapFacts, EXT_PROC_TYPE } from './envoy-config.js';
import { isRecord } from './issues.js';
import { parse as parseYaml } from 'yaml';
import type { RepoFiles } from './repo-files.js';

export const REFERENCE_ENVOY = 'envoy/envoy.yaml';
/** The header the router answers with and the routes match on. */
export const ROUTING_HEADER = 'x-trino-cluster';

/** The ext_proc filter config of envoy/envoy.yaml (undefined if it has none). */
export function referenceExtProc(files: RepoFiles): Record<string, unknown> | undefined {
  const doc: unknown = parseYaml(files.read(REFERENCE_ENVOY));
  if (!isRecord(doc)) return undefined;
  for (const hcm of bootstrapFacts(doc).hcms) {
    const filter = hcm.filters.find((f) => f.type === EXT_PROC_TYPE);
    if (filter !== undefined) return filter.config;
  }
  return undefined;
}

const COMPARED = ['failure_mode_allow', 'processing_mode', 'allow_mode_override', 'message_timeout', 'request_attributes'] as const;

/** Differences between an ext_proc config and the reference, one message per setting. */
export function compareExtProc(config: Record<string, unknown>, reference: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of COMPARED) {
    const a = JSON.stringify(normalize(field(config, key)));
    const b = JSON.stringify(normalize(field(reference, key)));
    if (a !== b) out.push(`${key} is ${a ?? 'unset'}, but ${REFERENCE_ENVOY} (the tested setup) has ${b ?? 'unset'}`);
  }
  return out;
}

/** Defaults made explicit, so `false` and unset compare equal. */
function normalize(value: unknown): unknown {
  if (value === undefined || value === false) return false;
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y)));
  return value;
}
