/**
 * In-process wake-ups for polls of queued queries: a poll of a waiting entry is held (as Trino
 * holds a poll without news) until this replica hands the entry over or the hold ends.
 */
export class EntrySignals {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves when `notify(id)` is called or after `ms`, whichever comes first. */
  wait(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (set === undefined) this.waiters.set(id, (set = new Set()));
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  notify(id: string): void {
    const set = this.waiters.get(id);
    if (set === undefined) return;
    for (const done of [...set]) done();
  }
}
