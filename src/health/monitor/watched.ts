/** Everything the monitor knows about one monitored backend (shared by its parts, owned by the monitor). */
import type { Backend } from '../../routing/model.js';
import type { TimerHandle } from '../clock.js';
import { UNKNOWN_TRACK, type HealthTrack } from '../health-machine.js';
import type { HttpSession } from '../http-session.js';
import type { LoadSample } from '../probe.js';
import type { BackendState } from '../status.js';

export interface Watched {
  backend: Backend;
  track: HealthTrack;
  inSchedule: boolean;
  /** The last load read, and whether the latest round could read it. */
  load: LoadSample | undefined;
  /** Queries created on the backend before this time are in `load` (the start of the round that read it). */
  loadReadAt: number | undefined;
  loadError: string | null;
  overCeiling: boolean;
  lastCheckAt: number | null;
  lastError: string | null;
  state: BackendState;
  drainSince: number | null;
  timer: TimerHandle | undefined;
  session: HttpSession | undefined;
  round: Promise<void> | undefined;
  stopped: boolean;
  /** The sequence of the last published report applied (followers apply each report once). */
  appliedSequence: number;
  /** The version last warned about as too old for prefix routing (one warning per version). */
  prefixVersionWarned: string | undefined;
}

/** A backend seen for the first time, or again at a new coordinator URL (`previous`). */
export function newWatched(backend: Backend, previous: Watched | undefined, inSchedule: boolean): Watched {
  return {
    backend,
    track: previous === undefined ? UNKNOWN_TRACK : { ...UNKNOWN_TRACK, reason: `coordinator URL changed to ${backend.url}; not checked yet` },
    inSchedule,
    load: undefined,
    loadReadAt: undefined,
    loadError: null,
    overCeiling: false,
    lastCheckAt: null,
    lastError: null,
    // Carried over so the change from the old coordinator's state is logged.
    state: previous?.state ?? 'unknown',
    drainSince: previous?.drainSince ?? null,
    timer: undefined,
    session: undefined,
    round: undefined,
    stopped: false,
    appliedSequence: -1,
    prefixVersionWarned: undefined,
  };
}
