/**
 * What the health monitor tells the rest of the router (admin API, metrics) about each
 * backend. The monitor implements HealthStatusSource; readers depend only on these types.
 */
import type { BackendHealth } from '../routing/model.js';

/** The one word an operator sees for a backend, most decisive cause first. */
export type BackendState = 'healthy' | 'unhealthy' | 'pending' | 'draining' | 'drained' | 'disabled' | 'outside_schedule' | 'unknown';

export interface BackendLoad {
  readonly running: number;
  readonly queued: number;
  /** The load score strategies compare (weighted running and queued). */
  readonly score: number;
}

export interface DrainProgress {
  /** Queries still running or queued on the backend (the monitor's own excluded). */
  readonly remaining: number;
  readonly drained: boolean;
  readonly since: number;
}

export interface BackendStatus {
  readonly backend: string;
  readonly state: BackendState;
  readonly health: BackendHealth;
  readonly load: BackendLoad | null;
  /** Epoch ms of the last completed check, null before the first. */
  readonly lastCheckAt: number | null;
  /** Why the last check failed, null when it passed. */
  readonly lastError: string | null;
  readonly inSchedule: boolean;
  /** Set while the backend drains (operator drain or Trino SHUTTING_DOWN). */
  readonly drain: DrainProgress | null;
  /** New queries routed to it since the last load poll (counted in least_load's load). */
  readonly inFlight?: number;
  /** Why the latest round could not read the load (the last known load is kept); null when it could. */
  readonly loadError?: string | null;
}

export interface BackendStateChange {
  readonly backend: string;
  readonly from: BackendState;
  readonly to: BackendState;
  readonly at: number;
  readonly reason: string;
}

export interface HealthStatusSource {
  /** Every configured backend, in config order. */
  status(): readonly BackendStatus[];
  /** Newest first. */
  history(backend: string, limit: number): Promise<readonly BackendStateChange[]>;
}
