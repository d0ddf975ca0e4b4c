/**
 * A tiny statement recogniser: enough SQL for a router's tests, not a parser. It reads hints
 * from block comments (`/* rows=5000 duration=2000 queued=100 *\/`) and classifies the rest.
 */
import { isKnownErrorName } from './errors.js';

export interface QueryHints {
  /** Rows of the synthetic result. */
  readonly rows?: number;
  /** Milliseconds from submission until the first data page. */
  readonly durationMs?: number;
  /** Milliseconds the query stays QUEUED (on the queued path) before it runs. */
  readonly queuedMs?: number;
}

export type Statement =
  | { readonly kind: 'synthetic' }
  | { readonly kind: 'select-literal'; readonly value: number }
  | { readonly kind: 'set-session'; readonly name: string; readonly value: string }
  | { readonly kind: 'reset-session'; readonly name: string }
  | { readonly kind: 'use'; readonly catalog?: string; readonly schema: string }
  | { readonly kind: 'start-transaction' }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'runtime-queries'; readonly states?: readonly string[] }
  | { readonly kind: 'kill-query'; readonly queryId: string; readonly message?: string }
  | { readonly kind: 'fail'; readonly errorName: string; readonly message: string };

export interface ParsedSql {
  readonly statement: Statement;
  readonly hints: QueryHints;
}

const HINT_KEYS: Readonly<Record<string, keyof QueryHints>> = {
  rows: 'rows',
  duration: 'durationMs',
  queued: 'queuedMs',
};

function readHints(sql: string): QueryHints {
  const hints: { -readonly [K in keyof QueryHints]: number } = {};
  for (const comment of sql.matchAll(/\/\*([\s\S]*?)\*\//g)) {
    for (const pair of (comment[1] ?? '').matchAll(/([a-z]+)\s*=\s*(\d+)/gi)) {
      const key = HINT_KEYS[(pair[1] ?? '').toLowerCase()];
      if (key !== undefined) hints[key] = Number(pair[2]);
    }
  }
  return hints;
}

function stripComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
}

/** A SQL literal as the text Trino would store for a session property. */
function literalValue(expression: string): string {
  const quoted = /^'((?:[^']|'')*)'$/.exec(expression);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/''/g, "'");
  return expression;
}

function unquoteIdentifiers(text: string): string {
  return text.replace(/"([^"]*)"/g, '$1');
}

export function parseSql(sql: string): ParsedSql {
  const hints = readHints(sql);
  const text = stripComments(sql).trim().replace(/;\s*$/, '').trim();
  return { statement: classify(text, hints), hints };
}

function classify(text: string, hints: QueryHints): Statement {
  let m: RegExpExecArray | null;
  if ((m = /^FAIL\b\s*(.*)$/is.exec(text)) !== null) {
    const rest = (m[1] ?? '').trim();
    const [first = '', ...others] = rest.split(/\s+/);
    if (isKnownErrorName(first.toUpperCase())) {
      return { kind: 'fail', errorName: first.toUpperCase(), message: others.join(' ') || `Query failed (${first.toUpperCase()})` };
    }
    return { kind: 'fail', errorName: 'GENERIC_USER_ERROR', message: rest || 'Query failed' };
  }
  if ((m = /^SET\s+SESSION\s+([\w."]+)\s*=\s*(.+)$/is.exec(text)) !== null) {
    return { kind: 'set-session', name: unquoteIdentifiers(m[1] ?? ''), value: literalValue((m[2] ?? '').trim()) };
  }
  if ((m = /^RESET\s+SESSION\s+([\w."]+)$/is.exec(text)) !== null) {
    return { kind: 'reset-session', name: unquoteIdentifiers(m[1] ?? '') };
  }
  if ((m = /^USE\s+(?:([\w"]+)\.)?([\w"]+)$/is.exec(text)) !== null) {
    const schema = unquoteIdentifiers(m[2] ?? '');
    return m[1] === undefined ? { kind: 'use', schema } : { kind: 'use', catalog: unquoteIdentifiers(m[1]), schema };
  }
  if (/^START\s+TRANSACTION\b/is.test(text)) return { kind: 'start-transaction' };
  if (/^COMMIT(\s+WORK)?$/is.test(text)) return { kind: 'commit' };
  if (/^ROLLBACK(\s+WORK)?$/is.test(text)) return { kind: 'rollback' };
  const plain = unquoteIdentifiers(text);
  if ((m = /^CALL\s+system\.runtime\.kill_query\s*\(\s*(?:query_id\s*=>\s*)?'([^']*)'\s*(?:,\s*(?:message\s*=>\s*)?'((?:[^']|'')*)'\s*)?\)$/is.exec(plain)) !== null) {
    const message = m[2]?.replace(/''/g, "'");
    return message === undefined ? { kind: 'kill-query', queryId: m[1] ?? '' } : { kind: 'kill-query', queryId: m[1] ?? '', message };
  }
  if (/\bsystem\.runtime\.queries\b/i.test(plain)) return { kind: 'runtime-queries', ...stateFilter(plain) };
  // An explicit row count makes any statement the synthetic result, SELECT 1 included.
  if (hints.rows === undefined && (m = /^SELECT\s+(-?\d+)$/is.exec(text)) !== null) {
    return { kind: 'select-literal', value: Number(m[1]) };
  }
  return { kind: 'synthetic' };
}

/** `WHERE state = 'RUNNING'` or `state IN ('QUEUED', 'RUNNING')`: the only filter understood. */
function stateFilter(text: string): { states?: readonly string[] } {
  const equals = /\bstate\s*=\s*'(\w+)'/i.exec(text);
  if (equals?.[1] !== undefined) return { states: [equals[1].toUpperCase()] };
  const list = /\bstate\s+IN\s*\(([^)]*)\)/i.exec(text);
  if (list?.[1] !== undefined) {
    return { states: [...list[1].matchAll(/'(\w+)'/g)].map((v) => (v[1] ?? '').toUpperCase()) };
  }
  return {};
}
