/**
 * Login flows survive a restart and reach another replica (ownership-persistence.ts): written
 * at once, restored at start within the challenge timeout, found on a local miss; an expired
 * one is never served.
 */
import { describe, expect, it } from 'vitest';
import { startOwnershipPersistence } from '../../../src/stickiness/ownership-persistence.js';
import { createLogger } from '../../../src/observability/logger.js';
import { tempStore } from '../store/temp-store.js';

const HASH = 'c'.repeat(64);
const limits = { maxQueries: 100, retentionMs: 3600_000, transactionRetentionMs: 3600_000, loginFlowRetentionMs: 60_000 };

function persistence(store: ReturnType<typeof tempStore>, now: () => number) {
  return startOwnershipPersistence({ store: store.ownership, limits, logger: createLogger('silent'), now, syncIntervalMs: 0, pruneIntervalMs: 3600_000 });
}

describe('login flow persistence', () => {
  it('a challenge is in the store at once; another replica finds it on a miss; a restart restores it', async () => {
    const store = tempStore();
    let now = 1_000_000;
    const first = await persistence(store, () => now);
    const second = await persistence(store, () => now);
    first.index.learnLoginFlow(HASH, 'trino-b', now);
    expect(second.index.loginFlowOwner(HASH, now)).toBeUndefined();
    expect(await second.findLoginFlow(HASH)).toBe('trino-b');
    expect(second.index.loginFlowOwner(HASH, now)).toBe('trino-b');
    await first.close();
    const restarted = await persistence(store, () => now);
    expect(restarted.index.loginFlowOwner(HASH, now)).toBe('trino-b');
    now += 61_000;
    expect(restarted.index.loginFlowOwner(HASH, now)).toBeUndefined();
    expect(await second.findLoginFlow('d'.repeat(64))).toBeUndefined();
    await second.close();
    await restarted.close();
  });

  it('an expired flow in the store is not served to a replica that missed it', async () => {
    const store = tempStore();
    let now = 5_000_000;
    const first = await persistence(store, () => now);
    first.index.learnLoginFlow(HASH, 'trino-a', now);
    await first.close();
    now += 120_000;
    const late = await persistence(store, () => now);
    expect(await late.findLoginFlow(HASH)).toBeUndefined();
    await late.close();
  });
});
