/**
 * Uptime schedules: a backend with schedules is in rotation during the minutes any of its cron
 * expressions matches, in the expression's own IANA time zone (croner does the wall-clock
 * arithmetic, DST included: a minute skipped by a spring-forward never matches, a repeated
 * autumn hour matches twice). Evaluated per whole minute, like cron itself.
 */
import { Cron } from 'croner';
import type { Backend, UptimeSchedule } from '../routing/model.js';

export const MINUTE_MS = 60_000;

/** Start of the minute `at` falls in (epoch ms). */
export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

export interface ScheduleProblem {
  readonly backend: string;
  readonly schedule: UptimeSchedule;
  readonly message: string;
}

interface CompiledSchedules {
  /** The schedules' identity, to recompile only when they change. */
  readonly key: string;
  readonly crons: readonly Cron[];
}

/**
 * Compiled schedules per backend. A schedule croner cannot compile (the config validator
 * accepted it, so this is a disagreement between the two) is reported once and left out:
 * failing open keeps a backend in rotation rather than dropping it on a parser quirk, and the
 * health checks still guard it.
 */
export class ScheduleBook {
  private readonly compiled = new Map<string, CompiledSchedules>();

  constructor(private readonly onProblem: (problem: ScheduleProblem) => void = () => undefined) {}

  /** Follows the backend list: compiles new or changed schedules, forgets removed backends. */
  update(backends: readonly Backend[]): void {
    const names = new Set<string>();
    for (const backend of backends) {
      names.add(backend.name);
      const key = JSON.stringify(backend.schedules.map((s) => [s.cron, s.timeZone]));
      if (this.compiled.get(backend.name)?.key === key) continue;
      this.compiled.set(backend.name, { key, crons: this.compile(backend) });
    }
    for (const name of this.compiled.keys()) if (!names.has(name)) this.compiled.delete(name);
  }

  /** True when the backend has no schedules, or one of them matches the minute of `at`. */
  inSchedule(backend: string, at: number): boolean {
    const crons = this.compiled.get(backend)?.crons;
    if (crons === undefined || crons.length === 0) return true;
    const minute = new Date(minuteOf(at));
    return crons.some((cron) => cron.match(minute));
  }

  /** Whether the backend's rotation depends on the clock at all. */
  isScheduled(backend: string): boolean {
    return (this.compiled.get(backend)?.crons.length ?? 0) > 0;
  }

  private compile(backend: Backend): Cron[] {
    const crons: Cron[] = [];
    for (const schedule of backend.schedules) {
      try {
        // No callback: the Cron only evaluates, it never schedules anything.
        crons.push(new Cron(schedule.cron, { timezone: schedule.timeZone, mode: '5-part' }));
      } catch (error) {
        this.onProblem({ backend: backend.name, schedule, message: error instanceof Error ? error.message : String(error) });
      }
    }
    return crons;
  }
}
