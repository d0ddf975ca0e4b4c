/** The status of each backend as the admin API, the CLI and the metrics show it. */
import type { Backend } from '../../routing/model.js';
import type { BackendStatus } from '../status.js';
import type { ConditionBoard } from './condition-board.js';
import type { Watched } from './watched.js';

export function statusOf(watched: Watched, board: ConditionBoard): BackendStatus {
  const load = watched.load;
  const remaining = board.remaining(watched);
  return {
    backend: watched.backend.name,
    state: watched.state,
    health: watched.track.health,
    load: load === undefined ? null : { running: load.running, queued: load.queued, score: board.polledScore(watched) },
    lastCheckAt: watched.lastCheckAt,
    lastError: watched.lastError,
    inSchedule: watched.inSchedule,
    drain: watched.drainSince === null || remaining === undefined
      ? null
      : { remaining, drained: watched.state === 'drained', since: watched.drainSince },
    inFlight: board.inFlightCount(watched.backend.name),
    loadError: watched.loadError,
  };
}

/** A backend of the snapshot the monitor has not picked up (only between a change and its listener). */
export function notWatched(backend: Backend): BackendStatus {
  return {
    backend: backend.name,
    state: backend.enabled ? 'unknown' : 'disabled',
    health: 'unknown',
    load: null,
    lastCheckAt: null,
    lastError: null,
    inSchedule: true,
    drain: null,
  };
}
