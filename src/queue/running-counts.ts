/**
 * How many queries each backend (and each user of a limited rule) runs now, as well as the
 * fleet can know: the monitor's last count, plus every query the fleet handed over since that
 * count was read (less a grace, for a query handed over just before the count that the
 * coordinator created just after), plus the claims being handed over right now. Counting a
 * query twice for a moment only delays the next one; counting it never would overrun a limit.
 */
import type { RunningCounts } from '../routing/admission.js';
import type { BackendConditions } from '../routing/engine.js';
import type { DispatchRecord } from './queue-store.js';

export interface CountInputs {
  readonly conditions: BackendConditions;
  /** admittedSince(earliest read time - grace): hand-overs and live claims. */
  readonly admitted: readonly DispatchRecord[];
  readonly now: number;
  readonly graceMs: number;
}

/** RunningCounts a pass adds its own claims to as it goes. */
export class PassCounts implements RunningCounts {
  private readonly backends = new Map<string, number>();
  private readonly users = new Map<string, number>();

  constructor(private readonly inputs: CountInputs) {
    const polledUsers = new Map<string, number>();
    for (const condition of inputs.conditions.values()) {
      for (const [user, count] of Object.entries(condition.runningByUser ?? {})) polledUsers.set(user, (polledUsers.get(user) ?? 0) + count);
    }
    this.polledUsers = polledUsers;
    for (const record of inputs.admitted) {
      if (record.at < this.countFrom(record.backend)) continue;
      this.add(record.backend, record.rule, record.user);
    }
  }

  private readonly polledUsers: Map<string, number>;

  /** The earliest time admissions of `backend` must be counted from. */
  countFrom(backend: string): number {
    const readAt = this.inputs.conditions.get(backend)?.runningReadAt;
    // No count read (no monitor, or not yet): only the last grace window's hand-overs are known.
    return (readAt ?? this.inputs.now) - this.inputs.graceMs;
  }

  backend(name: string): number {
    return (this.inputs.conditions.get(name)?.running ?? 0) + (this.backends.get(name) ?? 0);
  }

  user(rule: string, user: string): number {
    return (this.polledUsers.get(user) ?? 0) + (this.users.get(`${rule}\n${user}`) ?? 0);
  }

  add(backend: string, rule: string | undefined, user: string | undefined): void {
    this.backends.set(backend, (this.backends.get(backend) ?? 0) + 1);
    if (rule !== undefined && user !== undefined) {
      const key = `${rule}\n${user}`;
      this.users.set(key, (this.users.get(key) ?? 0) + 1);
    }
  }
}

/** The earliest time any backend's admissions must be read from. */
export function earliestCountFrom(conditions: BackendConditions, now: number, graceMs: number): number {
  let earliest = now;
  for (const condition of conditions.values()) {
    if (condition.runningReadAt !== undefined && condition.runningReadAt < earliest) earliest = condition.runningReadAt;
  }
  return earliest - graceMs;
}
