/**
 * The ordered list of checks a round runs. Order matters for health: the first check that does
 * not pass decides the observation (an unreachable node is down before anything else, a booting
 * one is starting whatever its queries do, ...). A new check kind is one file and one entry here.
 */
import type { Check } from './check.js';
import { healthQueryCheck } from './health-query.js';
import { loadQueryCheck } from './load-query.js';
import { nodeStateCheck } from './node-state.js';
import { serverInfoCheck } from './server-info.js';
import { uiStatsCheck } from './ui-stats.js';

export type { Check, CheckFacts, CheckResult, CoordinatorSession, LoadSample } from './check.js';

export function checkList(options: { readonly uiLogin?: boolean | undefined }): readonly Check[] {
  return [serverInfoCheck, nodeStateCheck, healthQueryCheck, loadQueryCheck, ...(options.uiLogin === true ? [uiStatsCheck] : [])];
}
