/**
 * Uptime schedules, evaluated per minute (schedules.ts): a timer fires at every minute
 * boundary so schedule changes are logged even without traffic, and the request path may see
 * a new minute first (its timer is late): it then switches the conditions at once, and the
 * state changes are logged and stored right after, off the request path.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { minuteOf, MINUTE_MS, type ScheduleBook } from '../schedules.js';
import type { ConditionBoard } from './condition-board.js';
import { guarded, type MonitorLogger } from './timer-work.js';
import type { Watched } from './watched.js';

export interface ScheduleTickParts {
  readonly clock: Clock;
  readonly logger: MonitorLogger;
  readonly schedules: ScheduleBook;
  readonly board: ConditionBoard;
  /** The backends being watched. */
  watched(): Iterable<Watched>;
  /** Rebuilds a backend's condition and state word, logging and storing a change. */
  refresh(watched: Watched, now: number): void;
}

export class ScheduleTicks {
  private minute = Number.NaN;
  private minuteTimer: TimerHandle | undefined;
  /** Set while the request path has seen a schedule switch whose state change is not recorded yet. */
  private deferredStates: { timer: TimerHandle; at: number } | undefined;
  private closed = false;

  constructor(private readonly parts: ScheduleTickParts) {}

  /** The schedules were evaluated for every backend at `now` (a new snapshot). */
  evaluatedAt(now: number): void {
    this.minute = minuteOf(now);
  }

  /** True when the minute has moved on since the last evaluation. */
  stale(now: number): boolean {
    return minuteOf(now) !== this.minute;
  }

  /**
   * Re-evaluates uptime schedules when the minute has moved on since the last evaluation.
   * `now` records state changes at once (timers); `defer` (the request path) only switches the
   * conditions and leaves logging and storing the changes to a timer that fires right after.
   */
  refresh(now: number, states: 'now' | 'defer'): void {
    const minute = minuteOf(now);
    if (minute === this.minute) return;
    this.minute = minute;
    let switched = false;
    for (const watched of this.parts.watched()) {
      const inSchedule = this.parts.schedules.inSchedule(watched.backend.name, now);
      if (inSchedule === watched.inSchedule) continue;
      watched.inSchedule = inSchedule;
      switched = true;
      if (states === 'now') this.parts.refresh(watched, now);
      else this.parts.board.post(watched);
    }
    if (switched && states === 'defer' && this.deferredStates === undefined && !this.closed) {
      const timer = this.parts.clock.setTimeout(() => this.recordDeferredStates(), 0);
      this.deferredStates = { timer, at: now };
    }
  }

  /** Starts the tick at every minute boundary. */
  start(): void {
    this.scheduleTick();
  }

  close(): void {
    this.closed = true;
    this.parts.clock.clearTimeout(this.minuteTimer);
    if (this.deferredStates !== undefined) this.parts.clock.clearTimeout(this.deferredStates.timer);
    this.deferredStates = undefined;
  }

  /** Logs and stores the state changes a request saw first (at the time it saw them). */
  private recordDeferredStates(): void {
    const at = this.deferredStates?.at ?? this.parts.clock.now();
    this.deferredStates = undefined;
    guarded(this.parts.logger, 'could not record backend state changes', () => {
      for (const watched of this.parts.watched()) this.parts.refresh(watched, at);
    });
  }

  private scheduleTick(): void {
    if (this.closed) return;
    const clock = this.parts.clock;
    const now = clock.now();
    this.minuteTimer = clock.setTimeout(() => {
      guarded(this.parts.logger, 'could not evaluate the uptime schedules', () => this.refresh(clock.now(), 'now'));
      this.scheduleTick();
    }, minuteOf(now) + MINUTE_MS - now);
  }
}
