import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type QueryOwnerRecord } from '../../../src/store/index.js';
import { onCleanup, tempDir, tempStore } from './temp-store.js';

function owners(count: number, startAt = 1000): QueryOwnerRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    queryId: `20260101_000000_${String(i).padStart(5, '0')}_abcde`,
    backend: i % 2 === 0 ? 'trino-a' : 'trino-b',
    learnedBy: 'response' as const,
    at: startAt + i,
  }));
}

describe('OwnershipRepository', () => {
  it('saves a batch and finds each owner', () => {
    const store = tempStore();
    const rows = owners(2500);
    store.ownership.saveQueryOwners(rows);
    expect(store.ownership.findQueryOwner(rows[0]!.queryId)).toStrictEqual(rows[0]);
    expect(store.ownership.findQueryOwner(rows[2499]!.queryId)).toStrictEqual(rows[2499]);
    expect(store.ownership.findQueryOwner('unknown')).toBeUndefined();
  });

  it('upserts: a re-learned query takes the newer owner and time', () => {
    const store = tempStore();
    store.ownership.saveQueryOwners([{ queryId: 'q', backend: 'trino-a', learnedBy: 'probe', at: 1 }]);
    store.ownership.saveQueryOwners([{ queryId: 'q', backend: 'trino-b', learnedBy: 'response', at: 2 }]);
    expect(store.ownership.findQueryOwner('q')).toStrictEqual({ queryId: 'q', backend: 'trino-b', learnedBy: 'response', at: 2 });
  });

  it('a batch is one transaction: a failing row leaves none of the batch', () => {
    const store = tempStore();
    const bad = [...owners(3), { queryId: 'bad', backend: null as unknown as string, learnedBy: 'response' as const, at: 5 }];
    expect(() => store.ownership.saveQueryOwners(bad)).toThrow(/NOT NULL/);
    expect(store.ownership.findQueryOwner(owners(1)[0]!.queryId)).toBeUndefined();
  });

  it('loads the newest owners since a time, oldest first, for a warm start', () => {
    const store = tempStore();
    store.ownership.saveQueryOwners(owners(10, 100)); // at 100..109
    const recent = store.ownership.loadRecentQueryOwners(103, 4);
    expect(recent.map((r) => r.at)).toEqual([106, 107, 108, 109]);
    expect(store.ownership.loadRecentQueryOwners(107, 100).map((r) => r.at)).toEqual([107, 108, 109]);
  });

  it('prunes by age, then by count, and reports what it removed', () => {
    const store = tempStore();
    store.ownership.saveQueryOwners(owners(10, 100)); // at 100..109
    store.ownership.saveTransaction({ transactionId: 'old', backend: 'trino-a', at: 10 });
    store.ownership.saveTransaction({ transactionId: 'new', backend: 'trino-a', at: 500 });
    store.ownership.saveCoordinators([{ coordinatorId: 'gone1', backend: 'trino-a', at: 10 }, { coordinatorId: 'live1', backend: 'trino-b', at: 500 }]);

    expect(store.ownership.prune({ olderThan: 102, maxRows: 5 })).toStrictEqual({ queryOwners: 5, transactions: 0, coordinators: 0 });
    expect(store.ownership.loadRecentQueryOwners(0, 100).map((r) => r.at)).toEqual([105, 106, 107, 108, 109]);

    expect(store.ownership.prune({ olderThan: 0, maxRows: 100, transactionsOlderThan: 100, coordinatorsOlderThan: 100 }))
      .toStrictEqual({ queryOwners: 0, transactions: 1, coordinators: 1 });
    expect(store.ownership.listTransactions().map((t) => t.transactionId)).toEqual(['new']);
    expect(store.ownership.listCoordinators().map((c) => c.coordinatorId)).toEqual(['live1']);

    expect(store.ownership.prune({ olderThan: 0, maxRows: 0 }).queryOwners).toBe(5);
  });

  it('coordinators: upsert and list', () => {
    const store = tempStore();
    store.ownership.saveCoordinators([{ coordinatorId: 'abcde', backend: 'trino-a', at: 1 }, { coordinatorId: 'fghij', backend: 'trino-b', at: 2 }]);
    store.ownership.saveCoordinators([{ coordinatorId: 'abcde', backend: 'trino-b', at: 3 }]);
    expect(store.ownership.listCoordinators()).toStrictEqual([
      { coordinatorId: 'fghij', backend: 'trino-b', at: 2 },
      { coordinatorId: 'abcde', backend: 'trino-b', at: 3 },
    ]);
  });

  it('transactions: save, find, delete', () => {
    const store = tempStore();
    store.ownership.saveTransaction({ transactionId: 't1', backend: 'trino-a', at: 7 });
    expect(store.ownership.findTransaction('t1')).toStrictEqual({ transactionId: 't1', backend: 'trino-a', at: 7 });
    expect(store.ownership.deleteTransaction('t1')).toBe(true);
    expect(store.ownership.deleteTransaction('t1')).toBe(false);
    expect(store.ownership.findTransaction('t1')).toBeUndefined();
  });

  it('applies a journal batch of mixed changes in order', () => {
    const store = tempStore();
    store.ownership.applyChanges([
      { kind: 'query', queryId: 'q1', backend: 'trino-a', learnedBy: 'response', at: 1 },
      { kind: 'coordinator', coordinatorId: 'abcde', backend: 'trino-a', at: 1 },
      { kind: 'transaction_started', transactionId: 't1', backend: 'trino-a', at: 2 },
      { kind: 'transaction_started', transactionId: 't2', backend: 'trino-b', at: 2 },
      { kind: 'transaction_ended', transactionId: 't1', at: 3 },
    ]);
    expect(store.ownership.findQueryOwner('q1')?.backend).toBe('trino-a');
    expect(store.ownership.listCoordinators()).toHaveLength(1);
    expect(store.ownership.listTransactions().map((t) => t.transactionId)).toEqual(['t2']);
  });

  it('ownership survives a reopen', () => {
    const path = join(tempDir(), 'router.db');
    const first = openStore(path);
    first.ownership.saveQueryOwners(owners(3));
    first.close();
    const second = openStore(path);
    onCleanup(() => second.close());
    expect(second.ownership.loadRecentQueryOwners(0, 10)).toHaveLength(3);
  });
});
