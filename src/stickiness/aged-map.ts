/**
 * An insertion-ordered map with a size cap and a retention period, cheap enough to hold a
 * million query ids: no per-entry timestamps, only a checkpoint per minute of how many entries
 * had been inserted by then. Entries are never re-inserted nor removed out of order, so
 * insertion order is age order and the n oldest are the first n keys.
 */
const CHECKPOINT_MS = 60_000;

export class AgedMap<V> {
  private readonly entries = new Map<string, V>();
  /** [time, number of insertions before that time], oldest first. */
  private readonly checkpoints: [number, number][] = [];
  private inserted = 0;
  private removedFromFront = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly retentionMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  /** Adds the key if new. Returns false when it was already known (the first owner stays). */
  add(key: string, value: V, nowMs: number): boolean {
    if (this.entries.has(key)) return false;
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last === undefined || nowMs - last[0] >= CHECKPOINT_MS) this.checkpoints.push([nowMs, this.inserted]);
    this.entries.set(key, value);
    this.inserted++;
    if (this.entries.size > this.maxEntries) this.dropOldest(this.entries.size - this.maxEntries);
    return true;
  }

  /** Replaces a value in place (same age). */
  update(key: string, value: V): void {
    if (this.entries.has(key)) this.entries.set(key, value);
  }

  /** Drops entries inserted before nowMs - retention. Returns how many were removed. */
  prune(nowMs: number): number {
    const cutoff = nowMs - this.retentionMs;
    let insertedBeforeCutoff = -1;
    while (this.checkpoints.length > 1 && this.checkpoints[1]![0] <= cutoff) {
      insertedBeforeCutoff = this.checkpoints[1]![1];
      this.checkpoints.shift();
    }
    if (insertedBeforeCutoff <= this.removedFromFront) return 0;
    return this.dropOldest(insertedBeforeCutoff - this.removedFromFront);
  }

  private dropOldest(count: number): number {
    let removed = 0;
    for (const key of this.entries.keys()) {
      if (removed >= count) break;
      this.entries.delete(key);
      removed++;
    }
    this.removedFromFront += count;
    return removed;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    yield* this.entries;
  }
}
