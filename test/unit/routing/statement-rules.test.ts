/**
 * The engine with rules on the statement: when a submission must wait for its body (the first
 * rule that may match has a statement condition), and how table globs and kinds decide once
 * the statement is known.
 */
import { describe, expect, it } from 'vitest';
import { awaitsStatement, decide, findRule } from '../../../src/routing/engine.js';
import { compileNamesMatch } from '../../../src/routing/matchers.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { statementView } from '../../../src/routing/statement-view.js';
import type { RoutingConfig, StatementView } from '../../../src/routing/model.js';
import { backend, facts } from './fixtures.js';

const CONFIG: RoutingConfig = {
  backends: [backend('a'), backend('b')],
  groups: [
    { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] },
    { name: 'etl', strategy: 'round_robin', members: [{ backend: 'b', weight: 1 }] },
  ],
  rules: [
    { name: 'vip', priority: 1, group: 'adhoc', match: { user: { exact: 'vip' } } },
    { name: 'etl-writes', priority: 10, group: 'etl', match: { source: { exact: 'airflow' }, tablesWritten: { glob: ['hive.etl.*'] } } },
    { name: 'ddl', priority: 20, group: 'etl', match: { statementKind: { anyOf: ['ddl', 'unknown'] } } },
  ],
  defaultGroup: 'adhoc',
};

const snapshot = compileSnapshot(CONFIG, 1);

function statement(kind: string, written: string[] = [], read: string[] = []): StatementView {
  return { kind, tablesRead: read, tablesWritten: written, tables: [...read, ...written], text: undefined };
}

describe('statement rules in the engine', () => {
  it('waits for the body only when the first rule that may match has a statement condition', () => {
    expect(snapshot.statementRules).toBe(true);
    // vip matches at the headers: no statement rule comes first.
    expect(awaitsStatement(findRule(snapshot, facts({ user: 'vip', statement: undefined })), facts({ statement: undefined }))).toBe(false);
    // airflow: etl-writes may match; everyone else: ddl may.
    const airflow = facts({ source: 'airflow', statement: undefined });
    expect(findRule(snapshot, airflow)?.rule.name).toBe('etl-writes');
    expect(awaitsStatement(findRule(snapshot, airflow), airflow)).toBe(true);
    const other = facts({ statement: undefined });
    expect(findRule(snapshot, other)?.rule.name).toBe('ddl');
  });

  it('decides on the statement once it is known', () => {
    const state = createStrategyState();
    const route = (f: Parameters<typeof facts>[0]) => {
      const d = decide(snapshot, facts(f), new Map(), state);
      return d.outcome === 'routed' ? `${d.rule ?? 'default'}->${d.backend}` : 'rejected';
    };
    expect(route({ source: 'airflow', statement: statement('insert', ['hive.etl.events']) })).toBe('etl-writes->b');
    expect(route({ source: 'airflow', statement: statement('insert', ['hive.web.events']) })).toBe('default->a');
    expect(route({ source: 'cli', statement: statement('insert', ['hive.etl.events']) })).toBe('default->a');
    expect(route({ statement: statement('ddl') })).toBe('ddl->b');
    expect(route({ statement: statement('unknown') })).toBe('ddl->b');
    expect(route({ statement: statement('query', [], ['hive.etl.events']) })).toBe('default->a');
  });

  it('never matches a statement condition for a request that is not a submission', () => {
    const d = decide(snapshot, facts({ method: 'GET', path: '/v1/info' }), new Map(), createStrategyState());
    expect(d).toMatchObject({ outcome: 'routed', rule: undefined, backend: 'a' });
  });
});

describe('table globs', () => {
  it.each([
    ['hive.etl.*', 'hive.etl.events', true],
    ['hive.etl.*', 'hive.etl', false],
    ['hive.*', 'hive.etl.events', true],
    ['HIVE.ETL.*', 'hive.etl.events', true],
    ['hive.etl.event?', 'hive.etl.events', true],
    ['hive.etl.event?', 'hive.etl.eventss', false],
    ['hive.e(t)l.*', 'hive.e(t)l.x', true],
    ['hive.etl.*', 'hivexetl.events', false],
    ['?.etl.*', '?.etl.t', true],
  ])('%s against %s: %s', (glob, name, expected) => {
    expect(compileNamesMatch({ glob: [glob] })([name])).toBe(expected);
  });

  it('renders unresolved catalog and schema parts as ?', () => {
    const view = statementView({ status: 'parsed', parseMicros: 1, facts: {
      kind: 'insert', transaction: undefined, preparedStatement: undefined, catalogs: [], schemas: [],
      tablesRead: [{ catalog: null, schema: null, table: 't' }], tablesWritten: [{ catalog: 'hive', schema: 'etl', table: 'x' }],
    } }, 'INSERT INTO hive.etl.x SELECT * FROM t');
    expect(view).toMatchObject({ kind: 'insert', tablesRead: ['?.?.t'], tablesWritten: ['hive.etl.x'], tables: ['?.?.t', 'hive.etl.x'] });
  });
});
