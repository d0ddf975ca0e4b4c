/**
 * One statement, synchronously: size cap, EXECUTE resolution, parse, facts. Never throws.
 * Runs in a pool worker (analyzer.ts), where blocking is harmless; tests call it directly.
 */
import type { ParserRuleContext } from 'antlr4ng';
import { unknownOutcome, type StatementOutcome, type StatementSession } from './facts.js';
import { statementFacts, stringLiteralValue } from './extract.js';
import type { TrinoGrammar } from './trino-grammar.js';

export interface AnalyzeLimits {
  /** Statements longer than this (UTF-8 bytes) are not parsed. */
  readonly maxBytes: number;
}

type Parsed = { readonly statement: ParserRuleContext } | { readonly error: string };

function parseOne(g: TrinoGrammar, sql: string): Parsed {
  const attempt = (mode: number): Parsed => {
    const errors: string[] = [];
    const listener = {
      syntaxError: (_r: unknown, _s: unknown, line: number, col: number, msg: string) => { errors.push(`line ${line}:${col + 1}: ${msg}`); },
      reportAmbiguity: () => {}, reportAttemptingFullContext: () => {}, reportContextSensitivity: () => {},
    };
    const lexer = new g.TrinoSqlLexer(g.antlr.CharStreams.fromString(sql));
    lexer.removeErrorListeners();
    lexer.addErrorListener(listener);
    const parser = new g.TrinoSqlParser(new g.antlr.CommonTokenStream(lexer));
    parser.removeErrorListeners();
    parser.addErrorListener(listener);
    parser.interpreter.predictionMode = mode;
    const program = parser.program();
    if (errors.length > 0) return { error: errors[0]! };
    const statements: ParserRuleContext[] = [];
    const stack: ParserRuleContext[] = [program];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n instanceof g.StatementContext) { statements.push(n); continue; }
      for (const c of n.children ?? []) if (c instanceof g.antlr.ParserRuleContext) stack.push(c);
    }
    if (statements.length !== 1) return { error: `expected one statement, found ${statements.length}` };
    return { statement: statements[0]! };
  };
  // SLL is the fast path; only a statement it rejects is retried with full LL (ANTLR's advice).
  const sll = attempt(g.antlr.PredictionMode.SLL);
  return 'statement' in sll ? sll : attempt(g.antlr.PredictionMode.LL);
}

export function analyzeStatement(g: TrinoGrammar, sql: string, session: StatementSession, limits: AnalyzeLimits, depth = 0): StatementOutcome {
  try {
    const bytes = Buffer.byteLength(sql, 'utf8');
    if (bytes > limits.maxBytes) return unknownOutcome('too_large', `${bytes} bytes over the ${limits.maxBytes}-byte cap`);
    const started = process.hrtime.bigint();
    const parsed = parseOne(g, sql);
    if ('error' in parsed) return unknownOutcome('syntax_error', parsed.error);
    let stmt = parsed.statement;
    while (stmt instanceof g.ExplainContext || stmt instanceof g.ExplainAnalyzeContext) {
      const facts = statementFacts(g, stmt.statement(), session);
      return parsedOutcome({ ...facts, kind: 'explain', transaction: undefined }, started);
    }
    if (stmt instanceof g.ExecuteContext || stmt instanceof g.ExecuteImmediateContext) {
      if (depth > 0) return unknownOutcome('syntax_error', 'EXECUTE inside a prepared statement');
      let inner: string | undefined;
      let name: string | undefined;
      if (stmt instanceof g.ExecuteContext) {
        // Prepared-statement names are matched as sent (case-sensitive in Trino's session map).
        name = stmt.identifier().getText().replace(/^"(.*)"$/s, '$1');
        inner = session.preparedStatements?.get(name);
        if (inner === undefined) return unknownOutcome('unresolved_prepared_statement', `no prepared statement named ${name}`);
        if (inner.startsWith('$zstd:')) return unknownOutcome('unresolved_prepared_statement', `prepared statement ${name} is zstd-compressed`);
      } else {
        inner = stringLiteralValue(stmt.string().getText());
        if (inner === undefined) return unknownOutcome('unresolved_prepared_statement', 'EXECUTE IMMEDIATE with a Unicode literal');
      }
      const outcome = analyzeStatement(g, inner, session, limits, depth + 1);
      if (outcome.status !== 'parsed') return outcome;
      return parsedOutcome({ ...outcome.facts, preparedStatement: name }, started);
    }
    return parsedOutcome(statementFacts(g, stmt, session), started);
  } catch (err) {
    return unknownOutcome('internal_error', err instanceof Error ? err.message : String(err));
  }
}

function parsedOutcome(facts: import('./facts.js').StatementFacts, started: bigint): StatementOutcome {
  return { status: 'parsed', facts, parseMicros: Number((process.hrtime.bigint() - started) / 1000n) };
}
