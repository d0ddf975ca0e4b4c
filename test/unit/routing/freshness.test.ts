/**
 * How stale the snapshot a replica routes by may be, and the CLI's note for a stale read.
 */
import { describe, expect, it } from 'vitest';
import { staleNote } from '../../../src/cli/output.js';
import { readNow, snapshotFreshness } from '../../../src/routing/freshness.js';

const SYNCED = Date.parse('2026-01-02T03:04:05Z');

describe('snapshotFreshness', () => {
  it('is current while the store answers and its change feed is live, or it has no feed (SQLite)', () => {
    for (const feedConnected of [true, undefined]) {
      expect(snapshotFreshness({ syncedAt: SYNCED, now: SYNCED + 4_000, storeError: null, feedConnected })).toEqual({ syncedAt: SYNCED, staleForMs: 0, staleReason: null });
    }
  });

  it('is as old as the last poll while the change feed is cut', () => {
    expect(snapshotFreshness({ syncedAt: SYNCED, now: SYNCED + 1_500, storeError: null, feedConnected: false }))
      .toEqual({ syncedAt: SYNCED, staleForMs: 1_500, staleReason: 'the change feed is cut; following other replicas by polling only' });
  });

  it('is as old as the last read that worked while the store fails, naming its error', () => {
    expect(snapshotFreshness({ syncedAt: SYNCED, now: SYNCED + 12_000, storeError: 'the PostgreSQL store is unavailable', feedConnected: false }))
      .toEqual({ syncedAt: SYNCED, staleForMs: 12_000, staleReason: 'the store cannot be read: the PostgreSQL store is unavailable' });
  });

  it('a read made now is current', () => {
    expect(readNow(SYNCED)).toEqual({ syncedAt: SYNCED, staleForMs: 0, staleReason: null });
  });
});

describe('staleNote (CLI)', () => {
  it('says nothing for a current read or a reply without freshness', () => {
    expect(staleNote({ revision: 3, freshness: { storeSyncedAt: new Date(SYNCED), staleForMs: 0, staleReason: '' } }, SYNCED)).toBeUndefined();
    expect(staleNote({ revision: 3 }, SYNCED)).toBeUndefined();
  });

  it('names since when, the revision shown and why', () => {
    const note = staleNote({ revision: 7, freshness: { storeSyncedAt: new Date(SYNCED), staleForMs: 12_000, staleReason: 'the store cannot be read: down' } }, SYNCED + 12_000);
    expect(note).toBe('warning: possibly stale by 12s: this replica last heard from the store 2026-01-02 03:04:05Z (12s ago); shown as of then at revision 7 (the store cannot be read: down)');
  });
});
