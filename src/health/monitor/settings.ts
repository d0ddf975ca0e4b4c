/** What the monitor is told by the config file's `monitor` section. */
import type { Thresholds } from '../health-machine.js';
import { NO_MONITOR_AUTH, type MonitorAuth, type MonitorAuthConfig } from '../credentials.js';
import { DEFAULT_LOAD_WEIGHTS, type LoadWeights } from '../load-weights.js';

export interface MonitorSettings extends Thresholds {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Trino user of the monitor's queries. */
  readonly user: string;
  readonly loadWeights: LoadWeights;
  /** Read load from /ui/api/stats through a web UI login when system.runtime.queries fails. */
  readonly uiLogin?: boolean;
  /** What the checks present per backend; absent: only X-Trino-User as `user`. */
  readonly auth?: MonitorAuth;
}

/** Monitor settings from the config file's `monitor` section. */
export function monitorSettingsOf(config: {
  readonly intervalSeconds: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly user: string;
  readonly loadWeights?: LoadWeights | undefined;
  readonly uiLogin?: boolean | undefined;
  readonly auth?: MonitorAuthConfig | null | undefined;
  readonly backends?: Readonly<Record<string, { readonly auth: MonitorAuthConfig }>> | undefined;
}): MonitorSettings {
  const backends = Object.fromEntries(Object.entries(config.backends ?? {}).map(([name, entry]) => [name, entry.auth]));
  const auth: MonitorAuth = config.auth == null && Object.keys(backends).length === 0 ? NO_MONITOR_AUTH : { default: config.auth ?? null, backends };
  return {
    intervalMs: config.intervalSeconds * 1000,
    timeoutMs: config.timeoutMs,
    failureThreshold: config.failureThreshold,
    successThreshold: config.successThreshold,
    user: config.user,
    loadWeights: config.loadWeights ?? DEFAULT_LOAD_WEIGHTS,
    ...(config.uiLogin === true ? { uiLogin: true } : {}),
    ...(auth === NO_MONITOR_AUTH ? {} : { auth }),
  };
}
