/**
 * The health of one backend as a pure state machine: observations in, confirmed health out.
 * Thresholds keep one blip from flapping a backend: a backend turns unhealthy only after
 * `failureThreshold` failed checks in a row, and healthy only after `successThreshold` good
 * checks in a row. What a coordinator says about itself is
 * taken at once (starting -> pending, SHUTTING_DOWN -> draining): it is a statement, not a
 * symptom. The very first observation also applies at once: before it nothing is known, and
 * holding a backend out (or in) for several intervals after a restart helps nobody.
 */
import type { BackendHealth } from '../routing/model.js';
import type { Observation, ObservationKind } from './probe.js';

export interface Thresholds {
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

export interface HealthTrack {
  readonly health: BackendHealth;
  /** Why the backend has this health (the observation that settled it). */
  readonly reason: string;
  /** The latest observations agreeing with each other: their kind and how many in a row. */
  readonly streakKind: ObservationKind | undefined;
  readonly streak: number;
}

export const UNKNOWN_TRACK: HealthTrack = { health: 'unknown', reason: 'not checked yet', streakKind: undefined, streak: 0 };

/** The health an observation points to. */
const TARGET: Readonly<Record<ObservationKind, BackendHealth>> = {
  up: 'healthy',
  starting: 'pending',
  shutting_down: 'draining',
  down: 'unhealthy',
};

export function observe(track: HealthTrack, observation: Observation, thresholds: Thresholds): HealthTrack {
  const streak = track.streakKind === observation.kind ? track.streak + 1 : 1;
  const target = TARGET[observation.kind];
  const next = { streakKind: observation.kind, streak };
  if (target === track.health) return { ...next, health: track.health, reason: observation.reason };
  if (!mustWait(track.health, observation.kind, streak, thresholds)) {
    return { ...next, health: target, reason: confirmedReason(observation, streak) };
  }
  return { ...next, health: track.health, reason: track.reason };
}

function mustWait(current: BackendHealth, kind: ObservationKind, streak: number, thresholds: Thresholds): boolean {
  if (current === 'unknown') return false;
  switch (kind) {
    case 'starting':
    case 'shutting_down':
      return false;
    case 'down':
      return streak < thresholds.failureThreshold;
    case 'up':
      return streak < thresholds.successThreshold;
  }
}

function confirmedReason(observation: Observation, streak: number): string {
  if (streak <= 1) return observation.reason;
  const what = observation.kind === 'up' ? 'good checks' : 'failed checks';
  return `${streak} ${what} in a row: ${observation.reason}`;
}
