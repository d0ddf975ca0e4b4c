/**
 * In-process wake-ups for polls of queued queries: a poll of a waiting entry is held (as Trino
 * holds a poll without news) until this replica hands the entry over or the hold ends.
 */
export class EntrySignals {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves true when `notify(id)` is called, false after `ms`, whichever comes first. */
  wait(id: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (set === undefined) this.waiters.set(id, (set = new Set()));
      const waiters = set;
      const done = (notified: boolean): void => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
        resolve(notified);
      };
      const wake = (): void => done(true);
      const timer = setTimeout(() => done(false), ms);
      waiters.add(wake);
    });
  }

  notify(id: string): void {
    const set = this.waiters.get(id);
    if (set === undefined) return;
    for (const done of [...set]) done();
  }
}
