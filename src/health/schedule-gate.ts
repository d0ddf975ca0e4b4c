/**
 * Backend conditions when no health monitor runs (`monitor: null`): uptime schedules still
 * take backends in and out of rotation. Only scheduled backends get an entry, healthy and idle
 * like every backend without one (nothing checks them).
 */
import type { BackendCondition, BackendConditions } from '../routing/engine.js';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { MonitorLogger, RoutingView } from './monitor.js';
import { minuteOf, MINUTE_MS, ScheduleBook } from './schedules.js';

export class ScheduleGate {
  private readonly schedules: ScheduleBook;
  private readonly conditionMap = new Map<string, BackendCondition>();
  private backendNames: readonly string[] = [];
  private minute = Number.NaN;
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly routing: RoutingView,
    private readonly logger: MonitorLogger,
    private readonly clock: Clock = systemClock,
  ) {
    this.schedules = new ScheduleBook((problem) => logger.error(
      { backend: problem.backend, cron: problem.schedule.cron, timeZone: problem.schedule.timeZone, err: problem.message },
      'uptime schedule cannot be evaluated; it is ignored (the backend stays in rotation)',
    ));
  }

  start(): void {
    this.routing.onChange((snapshot) => {
      if (!this.closed) this.follow(snapshot);
    });
    this.follow(this.routing.current());
    this.tick();
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
  }

  conditions(): BackendConditions {
    const now = this.clock.now();
    if (minuteOf(now) !== this.minute) this.evaluate(now);
    return this.conditionMap;
  }

  private follow(snapshot: RoutingSnapshot): void {
    this.schedules.update(snapshot.config.backends);
    this.backendNames = snapshot.config.backends.map((b) => b.name);
    for (const name of this.conditionMap.keys()) if (!this.schedules.isScheduled(name)) this.conditionMap.delete(name);
    this.evaluate(this.clock.now());
  }

  private evaluate(now: number): void {
    this.minute = minuteOf(now);
    for (const name of this.backendNames) {
      if (!this.schedules.isScheduled(name)) continue;
      const inSchedule = this.schedules.inSchedule(name, now);
      const before = this.conditionMap.get(name);
      if (before?.inSchedule === inSchedule) continue;
      this.conditionMap.set(name, { health: 'healthy', load: 0, inSchedule });
      if (before !== undefined || !inSchedule) {
        this.logger.info({ backend: name, inSchedule }, inSchedule ? 'backend entered its uptime schedule' : 'backend is outside its uptime schedules');
      }
    }
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.timer = this.clock.setTimeout(() => {
      try {
        this.evaluate(this.clock.now());
      } catch (error) {
        // A timer callback that throws would end the process; the next minute tries again.
        this.logger.error({ err: error }, 'could not evaluate the uptime schedules; trying again next minute');
      }
      this.tick();
    }, minuteOf(now) + MINUTE_MS - now);
  }
}
