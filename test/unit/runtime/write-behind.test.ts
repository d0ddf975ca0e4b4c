import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WriteBehind, type WriteBehindObserver } from '../../../src/runtime/write-behind.js';
import { OwnershipJournal } from '../../../src/stickiness/ownership-journal.js';
import type { OwnershipChange } from '../../../src/stickiness/ownership.js';

/** A sink that records each batch and fails while `failing` is set. */
function recordingSink<T>() {
  const batches: T[][] = [];
  const sink = {
    failing: false,
    batches,
    write(batch: readonly T[]) {
      if (sink.failing) throw new Error('store is locked');
      batches.push([...batch]);
    },
  };
  return sink;
}

function recordingObserver() {
  const events: string[] = [];
  const observer: WriteBehindObserver = {
    flushed: (count) => void events.push(`flushed ${count}`),
    failed: (_error, pending) => void events.push(`failed, ${pending} pending`),
  };
  return { observer, events };
}

describe('WriteBehind', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('only buffers on append; the timer writes everything pending in one batch, in order', async () => {
    const sink = recordingSink<number>();
    const { observer, events } = recordingObserver();
    const writer = new WriteBehind(sink, observer, { flushIntervalMs: 100 });
    writer.append(1);
    writer.append(2);
    writer.append(3);
    expect(sink.batches).toEqual([]);
    expect(writer.pendingCount).toBe(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(sink.batches).toEqual([[1, 2, 3]]);
    expect(events).toEqual(['flushed 3']);
    expect(writer.stats()).toEqual({ pending: 0, written: 3, failures: 0, dropped: 0 });
  });

  it('keeps a failed batch in front of newer items and retries it', async () => {
    const sink = recordingSink<string>();
    const { observer, events } = recordingObserver();
    const writer = new WriteBehind(sink, observer, { flushIntervalMs: 100, retryIntervalMs: 1000 });
    sink.failing = true;
    writer.append('a');
    writer.append('b');
    expect(await writer.flush()).toBe(false);
    writer.append('c');
    expect(writer.pendingCount).toBe(3);
    sink.failing = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.batches).toEqual([['a', 'b', 'c']]);
    expect(events).toEqual(['failed, 2 pending', 'flushed 3']);
    expect(writer.stats()).toMatchObject({ pending: 0, written: 3, failures: 1 });
  });

  it('retries on its own timer until the sink accepts', async () => {
    const sink = recordingSink<number>();
    const writer = new WriteBehind(sink, recordingObserver().observer, { flushIntervalMs: 100, retryIntervalMs: 1000 });
    sink.failing = true;
    writer.append(1);
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(writer.stats()).toMatchObject({ pending: 1, failures: 3 });
    sink.failing = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.batches).toEqual([[1]]);
  });

  it('drops the oldest items beyond maxPending and counts them', async () => {
    const sink = recordingSink<number>();
    const writer = new WriteBehind(sink, recordingObserver().observer, { maxPending: 3 });
    for (let i = 1; i <= 5; i++) writer.append(i);
    expect(writer.pendingCount).toBe(3);
    expect(await writer.flush()).toBe(true);
    expect(sink.batches).toEqual([[3, 4, 5]]);
    expect(writer.stats()).toEqual({ pending: 0, written: 3, failures: 0, dropped: 2 });
  });

  it('stays bounded through a long outage: a retried batch plus new items never exceed the cap', async () => {
    const sink = recordingSink<number>();
    const writer = new WriteBehind(sink, recordingObserver().observer, { maxPending: 4 });
    sink.failing = true;
    for (let i = 1; i <= 3; i++) writer.append(i);
    await writer.flush();
    for (let i = 4; i <= 6; i++) writer.append(i);
    await writer.flush();
    expect(writer.pendingCount).toBe(4);
    sink.failing = false;
    await writer.flush();
    expect(sink.batches).toEqual([[3, 4, 5, 6]]);
    expect(writer.stats().dropped).toBe(2);
  });

  it('keeps order and the newest items across many drops (head compaction)', async () => {
    const sink = recordingSink<number>();
    const writer = new WriteBehind(sink, recordingObserver().observer, { maxPending: 10 });
    for (let i = 0; i < 5000; i++) writer.append(i);
    await writer.flush();
    expect(sink.batches).toEqual([Array.from({ length: 10 }, (_, i) => 4990 + i)]);
    expect(writer.stats().dropped).toBe(4990);
  });

  it('close writes what is pending, stops the timer and refuses later items', async () => {
    const sink = recordingSink<number>();
    const writer = new WriteBehind(sink, recordingObserver().observer);
    writer.append(1);
    expect(await writer.close()).toBe(true);
    writer.append(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.batches).toEqual([[1]]);
    expect(writer.stats()).toEqual({ pending: 0, written: 1, failures: 0, dropped: 1 });
  });

  it('flush with nothing pending writes nothing', async () => {
    const sink = recordingSink<number>();
    const writer = new WriteBehind(sink, recordingObserver().observer);
    expect(await writer.flush()).toBe(true);
    expect(sink.batches).toEqual([]);
  });
});

describe('OwnershipJournal is a WriteBehind of ownership changes', () => {
  it('flushes changes in order and keeps its constructor', async () => {
    vi.useFakeTimers();
    try {
      const sink = recordingSink<OwnershipChange>();
      const journal = new OwnershipJournal(sink, recordingObserver().observer, 50, 2);
      const change = (i: number): OwnershipChange => ({ kind: 'coordinator', coordinatorId: `c${i}`, backend: 'a', at: i });
      journal.append(change(1));
      journal.append(change(2));
      journal.append(change(3));
      await vi.advanceTimersByTimeAsync(50);
      expect(sink.batches).toEqual([[change(2), change(3)]]);
      expect(journal).toBeInstanceOf(WriteBehind);
      expect(journal.stats()).toMatchObject({ written: 2, dropped: 1 });
    } finally {
      vi.useRealTimers();
    }
  });
});
