/**
 * The one word an operator sees for a backend, derived from everything known about it, most
 * decisive cause first: the operator's switches (disabled, drain), Trino's own shutdown, the
 * uptime schedule, then the health checks. Pure; the monitor logs and stores the changes.
 */
import type { Backend } from '../routing/model.js';
import type { HealthTrack } from './health-machine.js';
import type { BackendState } from './status.js';

export interface StateInputs {
  readonly backend: Backend;
  readonly track: HealthTrack;
  readonly inSchedule: boolean;
  /**
   * Queries still on the backend besides the monitor's (running, queued, and routed since the
   * last poll); undefined while no load could be read.
   */
  readonly remaining: number | undefined;
}

export interface DerivedState {
  readonly state: BackendState;
  readonly reason: string;
  /** Draining or drained (operator drain or Trino SHUTTING_DOWN). */
  readonly draining: boolean;
}

export function deriveState(inputs: StateInputs): DerivedState {
  const { backend, track } = inputs;
  if (!backend.enabled) return { state: 'disabled', reason: 'disabled by an operator', draining: false };
  const operatorDrain = backend.draining === true;
  if (operatorDrain || track.health === 'draining') {
    const cause = operatorDrain ? 'drain requested by an operator' : track.reason;
    if (inputs.remaining === 0) return { state: 'drained', reason: `${cause}; no queries left on it`, draining: true };
    return { state: 'draining', reason: cause, draining: true };
  }
  if (!inputs.inSchedule) return { state: 'outside_schedule', reason: 'outside its uptime schedules', draining: false };
  return { state: track.health, reason: track.reason, draining: false };
}
