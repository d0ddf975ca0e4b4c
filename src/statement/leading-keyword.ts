/**
 * Whether a statement can start or end a transaction, from its first keyword alone: the only
 * statements that do are START TRANSACTION, COMMIT and ROLLBACK (Trino's StartTransactionTask,
 * CommitTask and RollbackTask are the only callers of QueryStateMachine.setStartedTransactionId
 * and clearTransactionId, core/trino-main/.../execution/QueryStateMachine.java), and an EXECUTE
 * of one of them. Only the leading whitespace and comments are scanned (as Trino's lexer skips
 * them, TrinoSql.g4's WS, SIMPLE_COMMENT, BRACKETED_COMMENT), so this costs microseconds on the
 * request path where a full parse costs milliseconds. When unsure it answers true: watching a
 * query's responses costs an exchange per poll, missing a transaction misroutes it.
 */

const TRANSACTION_KEYWORDS: ReadonlySet<string> = new Set(['START', 'COMMIT', 'ROLLBACK']);

/** Index of the first character after leading whitespace and comments (`--` to line end, `/* … *\/`). */
function skipSpaceAndComments(sql: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < sql.length && /\s|\uFEFF/u.test(sql[i]!)) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      if (end < 0) return sql.length;
      i = end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return sql.length;
      i = end + 2;
    } else {
      return i;
    }
  }
}

/** The word at `from` (letters, digits, `_`) or a double-quoted identifier; undefined if neither. */
function wordAt(sql: string, from: number): { readonly text: string; readonly end: number; readonly quoted: boolean } | undefined {
  if (sql[from] === '"') {
    let text = '';
    for (let i = from + 1; i < sql.length; i++) {
      if (sql[i] !== '"') text += sql[i];
      else if (sql[i + 1] === '"') { text += '"'; i++; }
      else return { text, end: i + 1, quoted: true };
    }
    return undefined;
  }
  let end = from;
  while (end < sql.length && /[\p{L}\p{N}_]/u.test(sql[end]!)) end++;
  return end === from ? undefined : { text: sql.slice(from, end), end, quoted: false };
}

/**
 * True when the statement may start or end a transaction. `prepared` resolves `EXECUTE name`
 * (X-Trino-Prepared-Statement); an unresolved or compressed one, and EXECUTE IMMEDIATE, count
 * as "may".
 */
export function mayChangeTransaction(sql: string, prepared: ReadonlyMap<string, string>, depth = 0): boolean {
  const first = wordAt(sql, skipSpaceAndComments(sql, 0));
  if (first === undefined || first.quoted) return false;
  const keyword = first.text.toUpperCase();
  if (TRANSACTION_KEYWORDS.has(keyword)) return true;
  if (keyword !== 'EXECUTE') return false;
  if (depth > 0) return true;
  const name = wordAt(sql, skipSpaceAndComments(sql, first.end));
  if (name === undefined || (!name.quoted && name.text.toUpperCase() === 'IMMEDIATE')) return true;
  const inner = prepared.get(name.text);
  if (inner === undefined || inner.startsWith('$zstd:')) return true;
  return mayChangeTransaction(inner, prepared, depth + 1);
}
