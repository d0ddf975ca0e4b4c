/**
 * The settings of a config file that only a restart applies: every top-level part outside the
 * routing tables (listeners, store, monitor, admin, ...).
 */
import type { RouterConfig } from './router-config.js';
import { sameJson } from '../routing/routing-diff.js';

/** Where a RouterConfig part lives in the file, when it is not a top-level key of its own. */
const FILE_KEYS: Readonly<Record<string, string>> = {
  requests: 'routing.unavailable / routing.jwtUserClaim',
  prefix: 'routing.prefix',
  queryIds: 'routing.queryIds',
  loginFlows: 'routing.loginFlows',
};

/** File keys outside the routing tables whose value differs between the two configs. */
export function settingsNeedingRestart(running: RouterConfig, imported: RouterConfig): string[] {
  const parts = new Set([...Object.keys(running), ...Object.keys(imported)]);
  parts.delete('routing');
  const differing: string[] = [];
  for (const part of parts) {
    const a = (running as unknown as Record<string, unknown>)[part];
    const b = (imported as unknown as Record<string, unknown>)[part];
    if (!sameJson(a, b)) differing.push(FILE_KEYS[part] ?? part);
  }
  return differing;
}
