import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/store/index.js';
import { onCleanup, tempDir } from './temp-store.js';

describe('SQLite query history indexes', () => {
  it('every admin filter is served by an index, newest first without a sort step', async () => {
    const path = join(tempDir(), 'router.db');
    const store = openSqliteStore(path);
    const db = new Database(path, { readonly: true });
    onCleanup(() => {
      db.close();
      void store.close();
    });
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
});
