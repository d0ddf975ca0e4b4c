/**
 * Statement facts as the rules read them: table names as `catalog.schema.table` strings, the
 * kind `unknown` when the SQL could not be read (rules say where such statements go).
 */
import type { StatementOutcome, TableName } from '../statement/facts.js';
import type { StatementView } from './model.js';

/** A part the session could not supply (no X-Trino-Catalog / -Schema) is `?`. */
export function tableText(table: TableName): string {
  return `${table.catalog ?? '?'}.${table.schema ?? '?'}.${table.table}`;
}

const NONE: readonly string[] = [];

export function statementView(outcome: StatementOutcome, text: string | undefined): StatementView {
  if (outcome.status === 'unknown') return { kind: 'unknown', tablesRead: NONE, tablesWritten: NONE, tables: NONE, text };
  const facts = outcome.facts;
  const tablesRead = facts.tablesRead.map(tableText);
  const tablesWritten = facts.tablesWritten.map(tableText);
  return { kind: facts.kind, tablesRead, tablesWritten, tables: [...new Set([...tablesRead, ...tablesWritten])], text };
}
