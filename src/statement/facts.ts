/**
 * Statement facts: what a Trino submission's SQL does, read with a real Trino grammar
 * (dt-sql-parser's TrinoSql.g4, chosen over node-sql-parser's trino dialect, which failed most
 * non-SELECT statements, and the GPL sql-parser-cst; see the commit adding the dependency).
 * Parsing is slow (tens of ms for 2 KB, hundreds for 100 KB), so it runs in a worker pool
 * bounded in size and time (analyzer.ts); every failure is an `unknown` outcome, never a throw.
 */

export const STATEMENT_KINDS = [
  'query', 'insert', 'create_table_as', 'modify', 'ddl', 'show', 'explain', 'call',
  'set_session', 'transaction', 'other',
] as const;
export type StatementKind = (typeof STATEMENT_KINDS)[number];

/** Which transaction statement (the router watches only what can start or end one). */
export type TransactionAction = 'start' | 'commit' | 'rollback';

/** A table name resolved as Trino resolves it; a part the session cannot supply is null. */
export interface TableName {
  readonly catalog: string | null;
  readonly schema: string | null;
  readonly table: string;
}

export interface StatementFacts {
  readonly kind: StatementKind;
  /** Set only when kind is 'transaction'. */
  readonly transaction: TransactionAction | undefined;
  readonly tablesRead: readonly TableName[];
  readonly tablesWritten: readonly TableName[];
  /** Catalogs and schemas (`catalog.schema`, unresolved parts omitted) of all the tables. */
  readonly catalogs: readonly string[];
  readonly schemas: readonly string[];
  /** The prepared statement an `EXECUTE name` ran, when it did. */
  readonly preparedStatement: string | undefined;
}

/** The session a statement is resolved against (X-Trino-Catalog, -Schema, -Prepared-Statement). */
export interface StatementSession {
  readonly catalog?: string | undefined;
  readonly schema?: string | undefined;
  readonly preparedStatements?: ReadonlyMap<string, string> | undefined;
}

/**
 * Why a statement has no facts: over the size cap or cut at Envoy's buffer limit, the parse
 * over its time budget, not Trino SQL, an EXECUTE the session cannot resolve, every worker busy,
 * the analyzer closed or failing, an empty body, a body Envoy did not send (ext_authz without
 * with_request_body), or one whose Content-Encoding could not be decoded.
 */
export const UNKNOWN_REASONS = [
  'too_large', 'timeout', 'syntax_error', 'unresolved_prepared_statement', 'overloaded',
  'closed', 'internal_error', 'empty', 'body_not_sent', 'undecodable',
] as const;
export type UnknownReason = (typeof UNKNOWN_REASONS)[number];

export type StatementOutcome =
  | { readonly status: 'parsed'; readonly facts: StatementFacts; readonly parseMicros: number }
  | { readonly status: 'unknown'; readonly reason: UnknownReason; readonly detail: string };

export const unknownOutcome = (reason: UnknownReason, detail: string): StatementOutcome =>
  ({ status: 'unknown', reason, detail });
