import { describe, expect, it } from 'vitest';
import { InvalidHistoryFilterError } from '../../../src/history/errors.js';
import type { QueryRecord } from '../../../src/history/query-record.js';
import { tempStore } from '../store/temp-store.js';

let sequence = 0;

function record(fields: Partial<QueryRecord> & { submittedAt: number }): QueryRecord {
  sequence++;
  return {
    queryId: `20260101_000000_${String(sequence).padStart(5, '0')}_abcde`,
    backend: 'trino-a',
    group: 'adhoc',
    rule: null,
    mechanism: 'rules',
    user: 'alice',
    source: 'trino-cli',
    clientTags: [],
    ...fields,
  };
}

describe('QueryHistoryRepository', () => {
  it('appends a batch and lists it newest first, every field intact', () => {
    const store = tempStore();
    const rows = [
      record({ submittedAt: 100, clientTags: ['etl', 'nightly'], rule: 'etl-tags', group: 'etl', backend: 'trino-b' }),
      record({ submittedAt: 300, user: null, source: null, group: null, mechanism: 'transaction' }),
      record({ submittedAt: 200 }),
    ];
    expect(store.history.append(rows)).toBe(3);
    expect(store.history.list({})).toStrictEqual([rows[1], rows[2], rows[0]]);
  });

  it('records a query once: a retried batch adds nothing', () => {
    const store = tempStore();
    const rows = [record({ submittedAt: 1 }), record({ submittedAt: 2 })];
    store.history.append(rows);
    expect(store.history.append(rows)).toBe(0);
    expect(store.history.count()).toBe(2);
  });

  it('a batch is one transaction: a bad row leaves none of it', () => {
    const store = tempStore();
    const bad = { ...record({ submittedAt: 3 }), backend: null as unknown as string };
    expect(() => store.history.append([record({ submittedAt: 1 }), bad])).toThrow(/NOT NULL/);
    expect(store.history.count()).toBe(0);
  });

  it('filters by user, source, backend, group and inclusive time bounds, alone and together', () => {
    const store = tempStore();
    const rows = [
      record({ submittedAt: 10, user: 'alice', source: 'cli', backend: 'trino-a', group: 'adhoc' }),
      record({ submittedAt: 20, user: 'bob', source: 'airflow', backend: 'trino-b', group: 'etl' }),
      record({ submittedAt: 30, user: 'alice', source: 'airflow', backend: 'trino-b', group: 'etl' }),
      record({ submittedAt: 40, user: 'carol', source: 'cli', backend: 'trino-a', group: 'adhoc' }),
    ];
    store.history.append(rows);
    const ids = (filter: Parameters<typeof store.history.list>[0]) => store.history.list(filter).map((r) => r.submittedAt);
    expect(ids({ user: 'alice' })).toEqual([30, 10]);
    expect(ids({ source: 'airflow' })).toEqual([30, 20]);
    expect(ids({ backend: 'trino-a' })).toEqual([40, 10]);
    expect(ids({ group: 'etl' })).toEqual([30, 20]);
    expect(ids({ from: 20, to: 30 })).toEqual([30, 20]);
    expect(ids({ from: 40 })).toEqual([40]);
    expect(ids({ to: 10 })).toEqual([10]);
    expect(ids({ user: 'alice', group: 'etl', from: 15 })).toEqual([30]);
    expect(ids({ user: 'nobody' })).toEqual([]);
    expect(ids({ from: 31, to: 30 })).toEqual([]);
  });

  it('limits: default 100, at most 10,000; a negative or fractional limit is refused', () => {
    const store = tempStore();
    store.history.append(Array.from({ length: 150 }, (_, i) => record({ submittedAt: i })));
    expect(store.history.list({})).toHaveLength(100);
    expect(store.history.list({ limit: 0 })).toHaveLength(100);
    expect(store.history.list({ limit: 7 }).map((r) => r.submittedAt)).toEqual([149, 148, 147, 146, 145, 144, 143]);
    expect(store.history.list({ limit: 50_000 })).toHaveLength(150);
    expect(() => store.history.list({ limit: -1 })).toThrow(InvalidHistoryFilterError);
    expect(() => store.history.list({ limit: 2.5 })).toThrow(InvalidHistoryFilterError);
    expect(() => store.history.list({ from: Number.NaN })).toThrow(/from must be epoch milliseconds/);
  });

  it('every filter is served by an index, newest first without a sort step', () => {
    const store = tempStore();
    const db = (store.history as unknown as { db: import('better-sqlite3').Database }).db;
    const plan = (where: string): string => db
      .prepare(`EXPLAIN QUERY PLAN SELECT * FROM query_history WHERE ${where} ORDER BY submitted_at DESC, id DESC LIMIT 10`)
      .all()
      .map((row) => (row as { detail: string }).detail)
      .join('; ');
    expect(plan("user_name = 'a'")).toMatch(/USING INDEX query_history_by_user/);
    expect(plan("source = 'a'")).toMatch(/USING INDEX query_history_by_source/);
    expect(plan("backend = 'a'")).toMatch(/USING INDEX query_history_by_backend/);
    expect(plan("group_name = 'a'")).toMatch(/USING INDEX query_history_by_group/);
    expect(plan('submitted_at >= 5')).toMatch(/USING INDEX query_history_by_time/);
    for (const where of ["user_name = 'a'", "backend = 'a'", 'submitted_at >= 5']) {
      expect(plan(where)).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('prunes past retention, then the oldest beyond the cap', () => {
    const store = tempStore();
    store.history.append(Array.from({ length: 10 }, (_, i) => record({ submittedAt: 100 + i })));
    expect(store.history.prune({ olderThan: 103, maxRows: 5, limit: 1000 })).toStrictEqual({ retention: 3, cap: 2 });
    expect(store.history.list({}).map((r) => r.submittedAt)).toEqual([109, 108, 107, 106, 105]);
    expect(store.history.prune({ olderThan: 0, maxRows: 5, limit: 1000 })).toStrictEqual({ retention: 0, cap: 0 });
  });

  it('prunes at most `limit` rows per call, retention first', () => {
    const store = tempStore();
    store.history.append(Array.from({ length: 10 }, (_, i) => record({ submittedAt: i })));
    expect(store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 3, cap: 0 });
    expect(store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 1, cap: 2 });
    expect(store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 0, cap: 2 });
    expect(store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 0, cap: 0 });
    expect(store.history.list({}).map((r) => r.submittedAt)).toEqual([9, 8]);
  });
});
