/**
 * The routing domain: what operators configure (backends, groups, rules) and what a request
 * tells us (facts). Plain data, no I/O: the config loader and the store produce these, the
 * engine reads them.
 */
import type { RuleMatchOf } from './fields.js';

/** A Trino coordinator behind Envoy. `name` is also the Envoy cluster name. */
export interface Backend {
  readonly name: string;
  /** Coordinator base URL, e.g. http://trino-a:8080 (used by the monitor, never by Envoy). */
  readonly url: string;
  /** Operator switch: a disabled backend takes no new queries. */
  readonly enabled: boolean;
  /** Trino 458+ with http-server.process-forwarded=true: follow-ups can be routed by URL prefix (452-457 escape the prefix's slashes). */
  readonly prefixRouting: boolean;
  /** Optional uptime schedules; empty means always in schedule. */
  readonly schedules: readonly UptimeSchedule[];
  /** Load above which the backend takes no new queries (undefined: no ceiling). */
  readonly maxLoad?: number | undefined;
  /**
   * Operator drain: no new queries, running ones finish. Absent means false (kept optional so
   * a config without the key deep-equals its stored form).
   */
  readonly draining?: boolean | undefined;
  /**
   * Queries the backend may run at once (the monitor's running and queued count plus what the
   * fleet dispatched since); beyond it new queries wait in the router's queue. Absent: no limit.
   */
  readonly maxRunningQueries?: number | undefined;
}

export interface UptimeSchedule {
  /** Five-field cron expression marking minutes when the backend is in rotation. */
  readonly cron: string;
  /** IANA time zone the cron expression is evaluated in. */
  readonly timeZone: string;
}

export type StrategyName = 'round_robin' | 'random' | 'weighted' | 'least_load';

export interface GroupMember {
  readonly backend: string;
  /** Relative weight for the weighted strategy (>= 0). */
  readonly weight: number;
}

export interface RoutingGroup {
  readonly name: string;
  readonly members: readonly GroupMember[];
  readonly strategy: StrategyName;
  /** Group to try when no member of this one can take a new query. */
  readonly fallback?: string | undefined;
  /** Queries the group's backends may run at once in total; beyond it new queries queue. Absent: no limit. */
  readonly maxRunningQueries?: number | undefined;
}

/** How one string fact is matched. */
export type StringMatch =
  | { readonly exact: string }
  | { readonly anyOf: readonly string[] }
  | { readonly regex: string };

/**
 * How a list of names (a statement's tables, `catalog.schema.table`, lower-case as Trino
 * resolves them) is matched: true when any name matches any glob (`*` any run of characters,
 * `?` one character; case-insensitive) or the regex.
 */
export type NamesMatch =
  | { readonly glob: readonly string[] }
  | { readonly regex: string };

export type TagsMatch =
  | { readonly containsAll: readonly string[] }
  | { readonly containsAny: readonly string[] };

/**
 * A condition on one request header, by name (case-insensitive). The value is the header's
 * lines joined with "," (as Envoy joins them for ext_authz); `present` asks only whether the
 * header was sent (true) or not (false).
 */
export type HeaderMatch = { readonly name: string } & (StringMatch | { readonly present: boolean });

/** Every present condition must hold for the rule to match. Its keys are the field table's (fields.ts). */
export type RuleMatch = RuleMatchOf;

export interface RoutingRule {
  readonly name: string;
  /** Lower runs first; ties are broken by name so the order is total. */
  readonly priority: number;
  readonly match: RuleMatch;
  /** Where the rule sends a query, unless `backend` or `requestedGroups` says otherwise. */
  readonly group: string;
  /**
   * One backend the rule's queries go to (trino-gateway #789). When it cannot take a query,
   * the query goes to `group` (and its fallbacks), or is refused with `fallback: false`.
   */
  readonly backend?: string | undefined;
  /**
   * Groups a client may name in X-Trino-Routing-Group (trino-gateway's selector): a named
   * group of this list replaces `group`; no header, or a group not listed, leaves `group`.
   */
  readonly requestedGroups?: readonly string[] | undefined;
  /**
   * false: no fallback beyond the rule's own target (the backend alone, or the group alone
   * without its fallback chain); a query the target cannot take is refused. Absent: true.
   */
  readonly fallback?: false | undefined;
  /**
   * Where the rule's queries stand in the router's queue: a higher number is dispatched first
   * (FIFO among equals). Absent: 0.
   */
  readonly queuePriority?: number | undefined;
  /** At most this many of the rule's queries run at once per user, fleet-wide; absent: no limit. */
  readonly maxRunningPerUser?: number | undefined;
}

/** The whole routing configuration, as one value the engine reads. */
export interface RoutingConfig {
  readonly backends: readonly Backend[];
  readonly groups: readonly RoutingGroup[];
  readonly rules: readonly RoutingRule[];
  readonly defaultGroup: string;
}

/** What a request tells the router. Built once per request from Envoy's headers. */
export interface RequestFacts {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly listenerPort: number | undefined;
  readonly user: string | undefined;
  readonly source: string | undefined;
  readonly catalog: string | undefined;
  readonly schema: string | undefined;
  readonly clientInfo: string | undefined;
  readonly clientTags: readonly string[];
  readonly sessionProperties: ReadonlyMap<string, string>;
  /** X-Trino-Routing-Group (or X-Presto-Routing-Group), trimmed; empty means absent. */
  readonly routingGroup: string | undefined;
  /**
   * The headers some rule of the current snapshot names (lower-case name -> lines joined with
   * ","); other headers are not copied.
   */
  readonly headers: ReadonlyMap<string, string>;
  /**
   * What the submission's SQL does, for rules on the statement. Undefined: not read (yet): a
   * submission whose body a rule may still need; statement conditions then count as "could
   * hold". A request that is not a submission has NO_STATEMENT.
   */
  readonly statement: StatementView | undefined;
}

/** A statement as the rules see it (built from statement facts, see statement-view.ts). */
export interface StatementView {
  /** A statement kind (statement/facts.ts), `unknown` when the SQL could not be read; undefined: no statement. */
  readonly kind: string | undefined;
  /** `catalog.schema.table`, lower-case; a part the session could not supply is `?`. */
  readonly tablesRead: readonly string[];
  readonly tablesWritten: readonly string[];
  /** Read and written. */
  readonly tables: readonly string[];
  /** The SQL text as sent, when the whole body was read. */
  readonly text: string | undefined;
}

/** The statement of a request that is not a submission: no statement condition holds. */
export const NO_STATEMENT: StatementView = { kind: undefined, tablesRead: [], tablesWritten: [], tables: [], text: undefined };

/** Live state of a backend as the monitor sees it. */
export type BackendHealth = 'healthy' | 'unhealthy' | 'pending' | 'draining' | 'unknown';
