import { describe, expect, it } from 'vitest';
import { AgedMap } from '../../../src/stickiness/aged-map.js';
import { OwnershipIndex, type OwnershipChange } from '../../../src/stickiness/ownership.js';

const MINUTE = 60_000;

describe('AgedMap', () => {
  it('keeps the first owner of a key', () => {
    const map = new AgedMap<string>(10, MINUTE * 60);
    expect(map.add('q1', 'a', 0)).toBe(true);
    expect(map.add('q1', 'b', 1)).toBe(false);
    expect(map.get('q1')).toBe('a');
  });

  it('evicts the oldest entries beyond the cap', () => {
    const map = new AgedMap<number>(3, MINUTE * 60);
    for (let i = 0; i < 5; i++) map.add(`q${i}`, i, i);
    expect(map.size).toBe(3);
    expect(map.get('q0')).toBeUndefined();
    expect(map.get('q1')).toBeUndefined();
    expect(map.get('q4')).toBe(4);
  });

  it('prunes whole minutes past retention and keeps the rest', () => {
    const map = new AgedMap<number>(1000, 10 * MINUTE);
    for (let minute = 0; minute < 20; minute++) {
      for (let i = 0; i < 5; i++) map.add(`m${minute}-${i}`, minute, minute * MINUTE + i);
    }
    const removed = map.prune(20 * MINUTE);
    expect(removed).toBe(50);
    expect(map.get('m9-4')).toBeUndefined();
    expect(map.get('m10-0')).toBe(10);
    expect(map.prune(20 * MINUTE)).toBe(0);
  });

  it('cap eviction and pruning together never over-delete', () => {
    const map = new AgedMap<number>(7, 10 * MINUTE);
    for (let minute = 0; minute < 5; minute++) {
      for (let i = 0; i < 3; i++) map.add(`m${minute}-${i}`, minute, minute * MINUTE);
    }
    expect(map.size).toBe(7);
    map.prune(12 * MINUTE); // minutes 0 and 1 are past retention; cap already dropped them and more
    expect(map.size).toBe(7);
    expect(map.get('m4-2')).toBe(4);
  });
});

describe('OwnershipIndex', () => {
  const limits = { maxQueries: 100, retentionMs: 60 * MINUTE, transactionRetentionMs: 60 * MINUTE };

  it('reports each new fact once for persistence', () => {
    const changes: OwnershipChange[] = [];
    const index = new OwnershipIndex(limits, (c) => changes.push(c));
    index.learnQuery('20261122_101010_00001_abcde', 'a', 'response', 1);
    index.learnQuery('20261122_101010_00001_abcde', 'a', 'response', 2);
    index.learnCoordinator('abcde', 'a', 1);
    index.learnCoordinator('abcde', 'a', 2);
    index.startTransaction('tx1', 'b', 3);
    index.endTransaction('tx1', 4);
    index.endTransaction('tx1', 5);
    expect(changes.map((c) => c.kind)).toEqual(['query', 'coordinator', 'transaction_started', 'transaction_ended']);
    expect(index.queryOwner('20261122_101010_00001_abcde')).toBe('a');
    expect(index.coordinatorOwner('abcde')).toBe('a');
    expect(index.transactionOwner('tx1')).toBeUndefined();
  });

  it('a coordinator id moving to another backend is re-learned', () => {
    const index = new OwnershipIndex(limits);
    index.learnCoordinator('abcde', 'a', 1);
    index.learnCoordinator('abcde', 'b', 2);
    expect(index.coordinatorOwner('abcde')).toBe('b');
  });

  it('restores remembered state silently and prunes stale transactions', () => {
    const changes: OwnershipChange[] = [];
    const index = new OwnershipIndex(limits, (c) => changes.push(c));
    index.restore({
      queries: [{ queryId: 'q1', backend: 'a', at: 0 }],
      coordinators: [{ coordinatorId: 'zzzzz', backend: 'b' }],
      transactions: [{ transactionId: 't', backend: 'a', at: 0 }],
    });
    expect(changes).toEqual([]);
    expect(index.queryOwner('q1')).toBe('a');
    expect(index.sizes()).toEqual({ queries: 1, coordinators: 1, transactions: 1, loginFlows: 0 });
    index.prune(61 * MINUTE);
    expect(index.transactionOwner('t')).toBeUndefined();
  });
});
