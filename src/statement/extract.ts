/**
 * Parse tree -> statement facts. Pure: no I/O; the caller supplies the loaded grammar.
 */
import type { ParserRuleContext, ParseTree } from 'antlr4ng';
import type { StatementFacts, StatementKind, StatementSession, TableName, TransactionAction } from './facts.js';
import type { TrinoGrammar } from './trino-grammar.js';

type Ctor = abstract new (...args: never[]) => unknown;

/**
 * Trino lowercases every part of a qualified name, quoted or not (QualifiedName.of in
 * core/trino-parser/.../sql/tree/QualifiedName.java), and fills missing leading parts from the
 * session (MetadataUtil.createQualifiedObjectName in core/trino-main/.../metadata/MetadataUtil.java).
 */
export function identifierValue(text: string): string {
  const quoted = text.length >= 2 && text.startsWith('"') && text.endsWith('"');
  const raw = quoted ? text.slice(1, -1).replaceAll('""', '"') : text.replace(/^`|`$/g, '');
  return raw.toLowerCase();
}

export function resolveName(parts: readonly string[], session: StatementSession): TableName {
  const rev = [...parts].reverse();
  return {
    table: rev[0] ?? '',
    schema: rev[1] ?? (session.schema !== undefined ? session.schema.toLowerCase() : null),
    catalog: rev[2] ?? (session.catalog !== undefined ? session.catalog.toLowerCase() : null),
  };
}

/** A Trino string literal's value ('it''s' -> it's); undefined for U&'...' literals. */
export function stringLiteralValue(text: string): string | undefined {
  if (!text.startsWith("'") || !text.endsWith("'")) return undefined;
  return text.slice(1, -1).replaceAll("''", "'");
}

function kindOf(g: TrinoGrammar, stmt: ParserRuleContext): { kind: StatementKind; transaction?: TransactionAction } {
  const is = (...ctors: Ctor[]): boolean => ctors.some((c) => stmt instanceof c);
  if (is(g.StatementDefaultContext)) return { kind: 'query' };
  if (is(g.InsertIntoContext)) return { kind: 'insert' };
  if (is(g.CreateTableAsSelectContext)) return { kind: 'create_table_as' };
  if (is(g.DeleteContext, g.UpdateContext, g.MergeContext)) return { kind: 'modify' };
  if (is(g.StartTransactionContext)) return { kind: 'transaction', transaction: 'start' };
  if (is(g.CommitContext)) return { kind: 'transaction', transaction: 'commit' };
  if (is(g.RollbackContext)) return { kind: 'transaction', transaction: 'rollback' };
  if (is(g.ExplainContext, g.ExplainAnalyzeContext)) return { kind: 'explain' };
  if (is(g.CallContext)) return { kind: 'call' };
  if (is(g.SetSessionContext, g.ResetSessionContext, g.SetSessionAuthorizationContext,
    g.ResetSessionAuthorizationContext, g.SetRoleContext, g.SetPathContext, g.SetTimeZoneContext, g.UseContext)) {
    return { kind: 'set_session' };
  }
  if (is(g.ShowTablesContext, g.ShowCatalogsContext, g.ShowSchemasContext, g.ShowColumnsContext,
    g.ShowCreateTableContext, g.ShowCreateViewContext, g.ShowCreateSchemaContext, g.ShowCreateMaterializedViewContext,
    g.ShowCreateFunctionContext, g.ShowFunctionsContext, g.ShowSessionContext, g.ShowRolesContext,
    g.ShowRoleGrantsContext, g.ShowGrantsContext, g.ShowStatsContext, g.ShowStatsForQueryContext,
    g.ShowTableCommentContext, g.ShowColumnCommentContext, g.DescribeInputContext, g.DescribeOutputContext)) {
    return { kind: 'show' };
  }
  if (is(g.PrepareContext, g.DeallocateContext, g.ExecuteContext, g.ExecuteImmediateContext,
    g.GrantPrivilegesContext, g.RevokePrivilegesContext, g.GrantRolesContext, g.RevokeRolesContext,
    g.DenyContext, g.AnalyzeContext)) {
    return { kind: 'other' };
  }
  // Everything left in the grammar's statement rule creates, alters, drops, renames, comments
  // on or refreshes an object, or sets its authorization.
  return { kind: 'ddl' };
}

function nameParts(g: TrinoGrammar, ctx: ParserRuleContext): string[] {
  return (ctx.children ?? []).filter((c) => c instanceof g.IdentifierContext).map((c) => identifierValue(c.getText()));
}

/** CTE names visible at `node`: those of every WITH clause of an enclosing query. */
function cteInScope(g: TrinoGrammar, node: ParseTree, name: string): boolean {
  for (let p: ParseTree | null = node.parent; p !== null; p = p.parent) {
    if (p instanceof g.QueryStatementContext) {
      const w = p.with();
      if (w !== null && w.namedQuery().some((q) => identifierValue(q._name?.getText() ?? '') === name)) return true;
    }
  }
  return false;
}

/** The one statement of a parsed program, walking through EXPLAIN / EXPLAIN ANALYZE. */
export function statementFacts(g: TrinoGrammar, stmt: ParserRuleContext, session: StatementSession): StatementFacts {
  const { kind, transaction } = kindOf(g, stmt);
  const read: TableName[] = [];
  const written: TableName[] = [];
  const writtenTargets = new Set<ParserRuleContext>();
  const direct = (c: ParserRuleContext | null): void => { if (c !== null) writtenTargets.add(c); };
  if (stmt instanceof g.InsertIntoContext || stmt instanceof g.DeleteContext || stmt instanceof g.UpdateContext
    || stmt instanceof g.MergeContext) direct(stmt.tableRef());
  else if (stmt instanceof g.CreateTableAsSelectContext) direct(stmt.tableNameCreate());
  else if (kind === 'ddl') {
    for (const c of stmt.children ?? []) {
      if (c instanceof g.TableRefContext || c instanceof g.TableNameCreateContext || c instanceof g.ViewRefContext
        || c instanceof g.ViewNameCreateContext) direct(c);
    }
  }
  for (const t of writtenTargets) written.push(resolveName(nameParts(g, t), session));

  // Iterative walk: a 1 MB statement nests deeper than the JS stack allows recursion.
  const stack: ParseTree[] = [stmt];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node instanceof g.TableNameContext || node instanceof g.TableContext) {
      const ref = node instanceof g.TableNameContext ? node.tableOrViewName() : node.tableRef();
      const target = ref instanceof g.TableOrViewNameContext ? (ref.tableRef() ?? ref.viewRef()) : ref;
      if (target !== null) {
        const parts = nameParts(g, target);
        if (!(parts.length === 1 && cteInScope(g, node, parts[0]!))) read.push(resolveName(parts, session));
      }
      continue;
    }
    const children = (node as ParserRuleContext).children as ParseTree[] | null | undefined;
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  const all = [...read, ...written];
  const uniq = (xs: (string | null)[]): string[] => [...new Set(xs.filter((x): x is string => x !== null))];
  return {
    kind,
    transaction,
    tablesRead: dedupe(read),
    tablesWritten: dedupe(written),
    catalogs: uniq(all.map((t) => t.catalog)),
    schemas: uniq(all.map((t) => (t.catalog !== null && t.schema !== null ? `${t.catalog}.${t.schema}` : null))),
    preparedStatement: undefined,
  };
}

function dedupe(tables: TableName[]): TableName[] {
  const seen = new Map<string, TableName>();
  for (const t of tables) seen.set(`${t.catalog}\u0000${t.schema}\u0000${t.table}`, t);
  return [...seen.values()];
}
