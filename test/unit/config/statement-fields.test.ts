/**
 * Statement conditions in the config file and the admin API: what a file may say (a glob or a
 * list of globs as shorthands), what it loads as, what the router writes back, and the errors
 * an operator reads for an unknown statement kind or a bad regex.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { renderConfigYaml } from '../../../src/config/render.js';
import { matchFromApi, matchToApi } from '../../../src/admin/convert/rule.js';
import { VALID_YAML, issuesOf, withRules } from './fixtures.js';

describe('statement conditions in the config file', () => {
  it('loads kinds, table globs (shorthands included), a table regex and a text regex, and writes them back', () => {
    const config = parseConfig(withRules(`  - name: etl
    group: adhoc
    match:
      statementKind: { anyOf: [insert, create_table_as, modify] }
      tablesWritten: "hive.etl.*"
  - name: pii
    group: adhoc
    match:
      tables: [pii.*, "hive.hr.salar?"]
      tablesRead: { regex: "^hive\\\\.raw\\\\." }
      statementText: { regex: "^\\\\s*(select|SELECT)" }
`), 'router.yaml', { env: {} });
    const [etl, pii] = config.routing.rules;
    expect(etl?.match).toEqual({ statementKind: { anyOf: ['insert', 'create_table_as', 'modify'] }, tablesWritten: { glob: ['hive.etl.*'] } });
    expect(pii?.match).toMatchObject({ tables: { glob: ['pii.*', 'hive.hr.salar?'] }, tablesRead: { regex: '^hive\\.raw\\.' } });
    const again = parseConfig(renderConfigYaml(config), 'router.yaml', { env: {} });
    expect(again.routing.rules).toEqual(config.routing.rules);
  });

  it.each([
    ['an unknown statement kind', '      statementKind: inserts', /rules\[0\]\.match\.statementKind: unknown value "inserts"; expected one of query, insert/],
    ['an unknown kind in a list', '      statementKind: { anyOf: [query, selects] }', /rules\[0\]\.match\.statementKind\.anyOf\[1\]: unknown value "selects"/],
    ['a bad table regex', '      tables: { regex: "(" }', /rules\[0\]\.match\.tables\.regex: invalid regular expression/],
    ['an empty glob list', '      tablesWritten: []', /rules\[0\]\.match\.tablesWritten/],
    ['glob and regex together', '      tables: { glob: [a], regex: b }', /rules\[0\]\.match\.tables/],
  ])('refuses %s, naming the field', (_name, line, message) => {
    const issues = issuesOf(withRules(`  - name: r\n    group: adhoc\n    match:\n${line}\n`));
    expect(issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(message);
  });

  it('refuses statements bounds Envoy could not honour', () => {
    const text = VALID_YAML + 'statements: { maxBytes: 5000000, timeBudgetMs: 2000 }\n';
    const issues = issuesOf(text).map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(issues).toMatch(/statements\.maxBytes: .*at most 1048576/);
    expect(issues).toMatch(/statements\.timeBudgetMs: .*message_timeout/);
  });
});

describe('statement conditions over the admin API', () => {
  it('round-trips through the API message', () => {
    const match = { statementKind: { exact: 'ddl' }, tablesWritten: { glob: ['hive.etl.*'] }, tables: { regex: '^pii\\.' }, statementText: { regex: 'x' } } as const;
    expect(matchFromApi(matchToApi(match), 'rule.match')).toEqual(match);
  });

  it('names the field of a names condition with neither glob nor regex', () => {
    const api = { ...matchToApi({}), tables: { kind: undefined } };
    expect(() => matchFromApi(api, 'rule.match')).toThrow(/rule\.match\.tables.*glob, regex/);
  });
});
