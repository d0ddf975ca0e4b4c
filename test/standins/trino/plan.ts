/**
 * What a recognised statement does on this coordinator: its columns and rows, the protocol
 * headers its answer carries (session, catalog, transaction changes), and whether it fails.
 * Side effects on coordinator state (transactions, kill_query) happen here, at submission.
 */
import type { TrinoFailure } from './errors.js';
import { newTransactionId } from './ids.js';
import { javaUrlEncode } from './protocol-headers.js';
import type { ParsedSql } from './sql.js';

export interface TypeSignature {
  readonly rawType: string;
  readonly arguments: readonly { readonly kind: string; readonly value: unknown }[];
}

export interface Column {
  readonly name: string;
  readonly type: string;
  readonly typeSignature: TypeSignature;
}

export type Row = readonly unknown[];

/** Rows produced on demand, so a million-row result costs nothing until it is read. */
export interface RowSource {
  count(): number;
  slice(start: number, end: number): Row[];
}

export interface ExecutionPlan {
  readonly columns: readonly Column[];
  readonly rows: RowSource;
  readonly updateType?: string;
  /** Response header suffixes and values, e.g. ['Set-Session', 'a.b=x']; prefixed per protocol. */
  readonly responseHeaders: readonly (readonly [string, string])[];
  /** 'dispatch' failures show on the queued path; 'execution' ones when data would be ready. */
  readonly failure?: { readonly phase: 'dispatch' | 'execution'; readonly failure: TrinoFailure };
}

export interface RuntimeQueryRow {
  readonly queryId: string;
  readonly state: string;
  readonly user: string;
}

export type KillOutcome = 'killed' | 'not-running' | 'not-found';

/** The coordinator state a statement may read or change. */
export interface PlanContext {
  readonly clusterName: string;
  readonly defaultRows: number;
  readonly starting: boolean;
  /** The X-Trino-Transaction-Id request header, if sent. */
  readonly transactionHeader: string | undefined;
  readonly transactions: Set<string>;
  runtimeQueries(): RuntimeQueryRow[];
  killQuery(queryId: string, message: string | undefined): KillOutcome;
}

function column(name: string, type: 'bigint' | 'integer' | 'varchar' | 'boolean'): Column {
  const args = type === 'varchar' ? [{ kind: 'LONG', value: 2147483647 }] : [];
  return { name, type, typeSignature: { rawType: type, arguments: args } };
}

function fixedRows(rows: Row[]): RowSource {
  return { count: () => rows.length, slice: (start, end) => rows.slice(start, end) };
}

/** Rows computed once, when first read (system.runtime.queries is read while the query runs). */
function lazyRows(build: () => Row[]): RowSource {
  let rows: Row[] | undefined;
  const get = (): Row[] => (rows ??= build());
  return { count: () => get().length, slice: (start, end) => get().slice(start, end) };
}

/** n = 0..count-1 and the cluster name: every row is checkable and names who produced it. */
function syntheticRows(count: number, cluster: string): RowSource {
  return {
    count: () => count,
    slice: (start, end) => {
      const rows: Row[] = [];
      for (let i = Math.max(0, start); i < Math.min(end, count); i++) rows.push([i, cluster]);
      return rows;
    },
  };
}

/** Statements without output answer `result boolean` = true, as Trino does for old clients. */
// Follows execution/DataDefinitionExecution.java: DDL produces no output, so no columns and no rows.
const DDL_COLUMNS: readonly Column[] = [];
const DDL_ROWS = fixedRows([]);
const NO_ROWS = fixedRows([]);

function ddl(updateType: string, responseHeaders: readonly (readonly [string, string])[] = []): ExecutionPlan {
  return { columns: DDL_COLUMNS, rows: DDL_ROWS, updateType, responseHeaders };
}

function failing(phase: 'dispatch' | 'execution', errorName: string, message: string, updateType?: string): ExecutionPlan {
  return {
    columns: [],
    rows: NO_ROWS,
    responseHeaders: [],
    failure: { phase, failure: { errorName, message } },
    ...(updateType === undefined ? {} : { updateType }),
  };
}

/** Trino sends `NONE` to say "no transaction yet, but I can start one". */
function activeTransaction(header: string | undefined): string | undefined {
  return header === undefined || header.toUpperCase() === 'NONE' ? undefined : header;
}

export function planStatement(parsed: ParsedSql, ctx: PlanContext): ExecutionPlan {
  if (ctx.starting) return failing('dispatch', 'SERVER_STARTING_UP', 'Trino server is still initializing');
  const transaction = activeTransaction(ctx.transactionHeader);
  if (transaction !== undefined && !ctx.transactions.has(transaction)) {
    return failing('dispatch', 'UNKNOWN_TRANSACTION',
      `Unknown transaction ID: ${transaction}. Possibly expired? Commands ignored until end of transaction block`);
  }
  const { statement, hints } = parsed;
  switch (statement.kind) {
    case 'synthetic':
      return {
        columns: [column('n', 'bigint'), column('cluster', 'varchar')],
        rows: syntheticRows(hints.rows ?? ctx.defaultRows, ctx.clusterName),
        responseHeaders: [],
      };
    case 'select-literal':
      return { columns: [column('_col0', 'integer')], rows: fixedRows([[statement.value]]), responseHeaders: [] };
    case 'set-session':
      return ddl('SET SESSION', [['Set-Session', `${statement.name}=${javaUrlEncode(statement.value)}`]]);
    case 'reset-session':
      return ddl('RESET SESSION', [['Clear-Session', statement.name]]);
    case 'use':
      return ddl('USE', [
        ...(statement.catalog === undefined ? [] : [['Set-Catalog', statement.catalog] as const]),
        ['Set-Schema', statement.schema] as const,
      ]);
    case 'start-transaction': {
      if (ctx.transactionHeader === undefined) {
        return failing('execution', 'INCOMPATIBLE_CLIENT', 'Client does not support transactions', 'START TRANSACTION');
      }
      if (transaction !== undefined) {
        return failing('execution', 'NOT_SUPPORTED', 'Nested transactions not supported', 'START TRANSACTION');
      }
      const id = newTransactionId();
      ctx.transactions.add(id);
      return ddl('START TRANSACTION', [['Started-Transaction-Id', id]]);
    }
    case 'commit':
    case 'rollback': {
      const updateType = statement.kind === 'commit' ? 'COMMIT' : 'ROLLBACK';
      if (transaction === undefined) return failing('execution', 'NOT_IN_TRANSACTION', 'No transaction in progress', updateType);
      ctx.transactions.delete(transaction);
      return ddl(updateType, [['Clear-Transaction-Id', 'true']]);
    }
    case 'runtime-queries': {
      const states = statement.states;
      return {
        columns: [column('query_id', 'varchar'), column('state', 'varchar'), column('user', 'varchar')],
        rows: lazyRows(() => ctx.runtimeQueries()
          .filter((q) => states === undefined || states.includes(q.state))
          .map((q) => [q.queryId, q.state, q.user])),
        responseHeaders: [],
      };
    }
    case 'kill-query': {
      const outcome = ctx.killQuery(statement.queryId, statement.message);
      if (outcome === 'not-found') return failing('execution', 'NOT_FOUND', `Target query not found: ${statement.queryId}`, 'CALL');
      if (outcome === 'not-running') return failing('execution', 'NOT_SUPPORTED', `Target query is not running: ${statement.queryId}`, 'CALL');
      return ddl('CALL');
    }
    case 'fail':
      return failing('execution', statement.errorName, statement.message);
  }
}
