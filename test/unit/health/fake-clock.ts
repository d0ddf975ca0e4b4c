/**
 * A clock the test moves: timers fire only when advance() passes their time, in time order,
 * so intervals, timeouts and schedule minutes never depend on real time.
 */
import type { Clock, TimerHandle } from '../../../src/health/clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

export class FakeClock implements Clock {
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (awaiting each one's follow-up work). */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  /**
   * Moves time without firing anything: timers that fell due are late, as under a busy event
   * loop, until the next advance fires them.
   */
  jumpTo(target: number): void {
    this.current = Math.max(this.current, target);
  }

  async advanceTo(target: number): Promise<void> {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.callback();
      await settle();
    }
    this.current = Math.max(this.current, target);
    await settle();
  }
}

/** Lets promise chains started by a timer run (fake fetches resolve within a few turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
