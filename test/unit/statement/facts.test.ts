import { readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyzeStatement } from '../../../src/statement/analyze.js';
import type { StatementOutcome, StatementSession, TableName } from '../../../src/statement/facts.js';
import { loadTrinoGrammar, type TrinoGrammar } from '../../../src/statement/trino-grammar.js';

const fixtures = new URL('../../fixtures/sql/', import.meta.url);
const session: StatementSession = { catalog: 'tpch', schema: 'sf1' };
const limits = { maxBytes: 2 * 1024 * 1024 };
let g: TrinoGrammar;
beforeAll(async () => { g = await loadTrinoGrammar(); });

const run = (sql: string, s: StatementSession = session): StatementOutcome => analyzeStatement(g, sql, s, limits);
function facts(sql: string, s?: StatementSession) {
  const o = run(sql, s);
  if (o.status !== 'parsed') throw new Error(`${o.reason}: ${o.detail}`);
  return o.facts;
}
const names = (ts: readonly TableName[]): string[] => ts.map((t) => `${t.catalog}.${t.schema}.${t.table}`).sort();
const inSf1 = (...tables: string[]): string[] => tables.map((t) => `tpch.sf1.${t}`).sort();

const TPCH_TABLES: Record<number, string[]> = {
  1: ['lineitem'], 2: ['part', 'supplier', 'partsupp', 'nation', 'region'], 3: ['customer', 'orders', 'lineitem'],
  4: ['orders', 'lineitem'], 5: ['customer', 'orders', 'lineitem', 'supplier', 'nation', 'region'], 6: ['lineitem'],
  7: ['supplier', 'lineitem', 'orders', 'customer', 'nation'],
  8: ['part', 'supplier', 'lineitem', 'orders', 'customer', 'nation', 'region'],
  9: ['part', 'supplier', 'lineitem', 'partsupp', 'orders', 'nation'], 10: ['customer', 'orders', 'lineitem', 'nation'],
  11: ['partsupp', 'supplier', 'nation'], 12: ['orders', 'lineitem'], 13: ['customer', 'orders'], 14: ['lineitem', 'part'],
  15: ['lineitem', 'supplier'], 16: ['partsupp', 'part', 'supplier'], 17: ['lineitem', 'part'],
  18: ['customer', 'orders', 'lineitem'], 19: ['lineitem', 'part'], 20: ['supplier', 'nation', 'partsupp', 'part', 'lineitem'],
  21: ['supplier', 'lineitem', 'orders', 'nation'], 22: ['customer', 'orders'],
};

describe('TPC-H queries', () => {
  for (const [n, tables] of Object.entries(TPCH_TABLES)) {
    it(`Q${n} reads ${tables.join(', ')}`, () => {
      const f = facts(readFileSync(new URL(`tpch/q${n.padStart(2, '0')}.sql`, fixtures), 'utf8'));
      expect(f.kind).toBe('query');
      expect(names(f.tablesRead)).toEqual(inSf1(...tables));
      expect(f.tablesWritten).toEqual([]);
      expect(f.catalogs).toEqual(['tpch']);
      expect(f.schemas).toEqual(['tpch.sf1']);
    });
  }
});

const TPCDS_TABLES: Record<string, string[]> = {
  'q02.sql': ['web_sales', 'catalog_sales', 'date_dim'], 'q03.sql': ['date_dim', 'store_sales', 'item'],
  'q07.sql': ['store_sales', 'customer_demographics', 'date_dim', 'item', 'promotion'],
  'q19.sql': ['date_dim', 'store_sales', 'item', 'customer', 'customer_address', 'store'],
  'q42.sql': ['date_dim', 'store_sales', 'item'], 'q52.sql': ['date_dim', 'store_sales', 'item'],
  'q96.sql': ['store_sales', 'household_demographics', 'time_dim', 'store'],
};
describe('TPC-DS sample', () => {
  it('covers every fixture file', () => {
    expect(readdirSync(new URL('tpcds/', fixtures)).sort()).toEqual(Object.keys(TPCDS_TABLES).sort());
  });
  for (const [file, tables] of Object.entries(TPCDS_TABLES)) {
    it(`${file} reads ${tables.join(', ')} (CTE names are not tables)`, () => {
      const f = facts(readFileSync(new URL(`tpcds/${file}`, fixtures), 'utf8'), { catalog: 'tpcds', schema: 'sf1' });
      expect(names(f.tablesRead)).toEqual(tables.map((t) => `tpcds.sf1.${t}`).sort());
    });
  }
});

describe('statement kinds and written tables', () => {
  const cases: [string, string, string[], string[]][] = [
    ['INSERT INTO hive.etl.events SELECT * FROM raw.events e JOIN dim d ON e.k = d.k', 'insert', ['hive.etl.events'], ['tpch.raw.events', 'tpch.sf1.dim']],
    ['INSERT INTO t (a, b) VALUES (1, 2)', 'insert', ['tpch.sf1.t'], []],
    ["CREATE TABLE hive.etl.daily WITH (format = 'ORC') AS SELECT * FROM orders", 'create_table_as', ['hive.etl.daily'], ['tpch.sf1.orders']],
    ['DELETE FROM orders WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem)', 'modify', ['tpch.sf1.orders'], ['tpch.sf1.lineitem']],
    ['UPDATE iceberg.db.t SET a = 1 WHERE b = 2', 'modify', ['iceberg.db.t'], []],
    ['MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN UPDATE SET b = s.b WHEN NOT MATCHED THEN INSERT (a, b) VALUES (s.a, s.b)', 'modify', ['tpch.sf1.t'], ['tpch.sf1.s']],
    ['CREATE TABLE x.y (a bigint, b varchar)', 'ddl', ['tpch.x.y'], []],
    ['ALTER TABLE t ADD COLUMN c integer', 'ddl', ['tpch.sf1.t'], []],
    ['DROP TABLE IF EXISTS hive.etl.old', 'ddl', ['hive.etl.old'], []],
    ['CREATE SCHEMA hive.s', 'ddl', [], []],
    ['CREATE OR REPLACE VIEW v AS SELECT * FROM orders', 'ddl', ['tpch.sf1.v'], ['tpch.sf1.orders']],
    ['SHOW TABLES FROM hive.etl', 'show', [], []],
    ['DESCRIBE orders', 'show', [], []],
    ['SHOW CREATE TABLE orders', 'show', [], []],
    ['EXPLAIN ANALYZE SELECT * FROM orders', 'explain', [], ['tpch.sf1.orders']],
    ['EXPLAIN (TYPE DISTRIBUTED) INSERT INTO t SELECT 1', 'explain', ['tpch.sf1.t'], []],
    ["CALL system.sync_partition_metadata('etl', 't', 'FULL')", 'call', [], []],
    ["SET SESSION query_max_run_time = '1h'", 'set_session', [], []],
    ['RESET SESSION query_max_run_time', 'set_session', [], []],
    ['USE hive.etl', 'set_session', [], []],
    ['PREPARE q FROM SELECT 1', 'other', [], []],
    ['GRANT SELECT ON orders TO alice', 'other', [], []],
    ['TABLE orders', 'query', [], ['tpch.sf1.orders']],
    ['VALUES 1, 2', 'query', [], []],
  ];
  for (const [sql, kind, written, read] of cases) {
    it(`${sql.slice(0, 60)} -> ${kind}`, () => {
      const f = facts(sql);
      expect(f.kind).toBe(kind);
      expect(names(f.tablesWritten)).toEqual(written.sort());
      expect(names(f.tablesRead)).toEqual(read.sort());
    });
  }

  it('names which transaction statement it is', () => {
    expect(facts('START TRANSACTION ISOLATION LEVEL READ COMMITTED')).toMatchObject({ kind: 'transaction', transaction: 'start' });
    expect(facts('COMMIT WORK')).toMatchObject({ kind: 'transaction', transaction: 'commit' });
    expect(facts('ROLLBACK')).toMatchObject({ kind: 'transaction', transaction: 'rollback' });
    expect(facts('SELECT 1').transaction).toBeUndefined();
  });
});

describe('name resolution', () => {
  it('lowercases quoted and unquoted parts as Trino does, and the session catalog and schema', () => {
    const f = facts('SELECT * FROM "Hive"."ETL"."My""Table", Web.Clicks', { catalog: 'Lake', schema: 'S' });
    expect(names(f.tablesRead)).toEqual(['hive.etl.my"table', 'lake.web.clicks']);
  });
  it('leaves parts the session does not supply null', () => {
    const f = facts('SELECT * FROM a JOIN s.b ON true', {});
    expect(f.tablesRead).toEqual([{ catalog: null, schema: null, table: 'a' }, { catalog: null, schema: 's', table: 'b' }]);
    expect(f.catalogs).toEqual([]);
    expect(f.schemas).toEqual([]);
  });
  it('keeps a table named like a CTE outside that CTE\'s query', () => {
    const f = facts('SELECT * FROM (WITH c AS (SELECT 1 x) SELECT * FROM c) JOIN c ON true');
    expect(names(f.tablesRead)).toEqual(['tpch.sf1.c']);
  });
  it('reads every branch of a set operation, and ignores comments and Unicode text', () => {
    const f = facts("-- dashboard\nSELECT 'ünïcødé ✓' FROM a /* FROM hidden */ UNION SELECT x FROM \"Tåble\" EXCEPT SELECT y FROM c");
    expect(names(f.tablesRead)).toEqual(inSf1('a', 'tåble', 'c'));
  });
});

describe('EXECUTE', () => {
  const prepared = new Map([['ins', 'INSERT INTO hive.etl.t SELECT * FROM src WHERE a = ?'], ['zip', '$zstd:KLUv_QBYOQAA']]);
  it('resolves a prepared statement the client sent', () => {
    const f = facts('EXECUTE ins USING 1', { ...session, preparedStatements: prepared });
    expect(f).toMatchObject({ kind: 'insert', preparedStatement: 'ins' });
    expect(names(f.tablesWritten)).toEqual(['hive.etl.t']);
    expect(names(f.tablesRead)).toEqual(['tpch.sf1.src']);
  });
  it('is unresolved when the statement is missing or compressed', () => {
    expect(run('EXECUTE nope', { ...session, preparedStatements: prepared })).toMatchObject({ status: 'unknown', reason: 'unresolved_prepared_statement' });
    expect(run('EXECUTE zip', { ...session, preparedStatements: prepared })).toMatchObject({ status: 'unknown', reason: 'unresolved_prepared_statement' });
  });
  it('parses EXECUTE IMMEDIATE text', () => {
    const f = facts("EXECUTE IMMEDIATE 'DELETE FROM t WHERE name = ''x''' USING 1");
    expect(f.kind).toBe('modify');
    expect(names(f.tablesWritten)).toEqual(['tpch.sf1.t']);
  });
});

describe('unknown outcomes', () => {
  it('reports syntax errors with a position', () => {
    const o = run('SELECT FROM WHERE');
    expect(o).toMatchObject({ status: 'unknown', reason: 'syntax_error' });
    expect(o.status === 'unknown' && o.detail).toMatch(/^line 1:/);
    expect(run('SELECT 1; SELECT 2')).toMatchObject({ status: 'unknown', reason: 'syntax_error' });
    expect(run('')).toMatchObject({ status: 'unknown', reason: 'syntax_error' });
  });
  it('refuses statements over the size cap without parsing', () => {
    expect(analyzeStatement(g, `SELECT '${'x'.repeat(100)}'`, session, { maxBytes: 50 })).toMatchObject({ status: 'unknown', reason: 'too_large' });
  });
  it('parses a 1 MB statement', () => {
    const parts: string[] = [];
    for (let i = 0; parts.join(' UNION ALL ').length < 1024 * 1024; i++) parts.push(`SELECT a${i} FROM t${i % 50} WHERE b = 'v${i}'`);
    const o = run(parts.join(' UNION ALL '));
    expect(o.status).toBe('parsed');
    expect(o.status === 'parsed' && o.facts.tablesRead.length).toBe(50);
  }, 120_000);
  it('never throws on arbitrary input', () => {
    const token = fc.constantFrom('SELECT', 'FROM', 'WITH', 'AS', '(', ')', ',', "'", '"', 'EXECUTE', 'INSERT', 'INTO',
      'a', 'b.c', '*', ';', '--', '/*', '*/', 'UNION', 'VALUES', '1', 'ü', '\u0000', 'IMMEDIATE', 'TABLE');
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(token, { maxLength: 40 }).map((t) => t.join(' '))), (sql) => {
      const o = run(sql, { ...session, preparedStatements: new Map([['a', sql]]) });
      expect(['parsed', 'unknown']).toContain(o.status);
      expect(o.status === 'unknown' ? o.reason : 'parsed').not.toBe('internal_error');
    }), { numRuns: 150, seed: 19 });
  }, 120_000);
});
