/**
 * The one table of rule fields. Each entry says how a condition's value is read from the
 * request facts, its kind (what a condition on it looks like), whether the rule index can file
 * rules under it, its config/admin-API name and its label in explain output. Matchers, the rule
 * index, validation, the config file, the admin API, explain and the CLI all walk this table;
 * what differs between kinds is written once per kind (here for the engine, in each edge for
 * its own format). A new condition on an existing kind is one entry here, its proto field, and
 * the parser that puts its value into RequestFacts.
 */
import { STATEMENT_KINDS } from '../statement/facts.js';
import type { HeaderMatch, NamesMatch, RequestFacts, StringMatch, TagsMatch } from './model.js';

/** What a condition on the field looks like (and what the facts hold for it). */
export interface FieldKinds {
  /** One string fact; exact / anyOf / regex. */
  readonly string: { readonly spec: StringMatch; readonly fact: string | undefined };
  /** A set of strings; containsAll / containsAny. */
  readonly tags: { readonly spec: TagsMatch; readonly fact: readonly string[] };
  /** A port number; any of a list. */
  readonly ports: { readonly spec: readonly number[]; readonly fact: number | undefined };
  /** name -> value pairs; each named one must have exactly that value. */
  readonly properties: { readonly spec: Readonly<Record<string, string>>; readonly fact: ReadonlyMap<string, string> };
  /** Named request headers (lower-case name -> value, repeated lines joined with ","). */
  readonly headers: { readonly spec: readonly HeaderMatch[]; readonly fact: ReadonlyMap<string, string> };
  /** A list of names (tables); glob / regex, true when any name matches. */
  readonly names: { readonly spec: NamesMatch; readonly fact: readonly string[] };
}

export type FieldKind = keyof FieldKinds;

/**
 * When the field's value is known: `headers` at the request headers; `body` only once the
 * request body has been read and parsed (a statement's facts). Until then a body field's
 * reader returns NOT_KNOWN_YET and the rule cannot be decided at the headers phase.
 */
export type FieldPhase = 'headers' | 'body';

export interface FieldDefinition<K extends FieldKind = FieldKind> {
  /** Config file key, RuleMatch key and the admin API's (camel-cased) message field. */
  readonly key: string;
  /** The admin API's proto field name, for error paths. */
  readonly apiName: string;
  /** How explain names the request's value of this field. */
  readonly label: string;
  readonly kind: K;
  readonly phase: FieldPhase;
  /** The only values an exact / anyOf condition may name (a closed set such as statement kinds). */
  readonly values?: readonly string[] | undefined;
  /**
   * Filing order in the rule index (lower: tried first, the most selective); undefined: the
   * index never files rules under this field (their rules are filed under another condition).
   */
  readonly indexRank: number | undefined;
  /**
   * The request's value. Each entry has its own function literal, so each read is a
   * monomorphic property load (a `facts[key]` read was the rule walk's main cost).
   */
  readonly read: (facts: RequestFacts) => FieldKinds[K]['fact'];
  /**
   * `check` applied to the request's value, as the rule walk runs it. Written out per entry
   * (same load as `read`) because a shared `check(read(facts))` made every read a call
   * through a megamorphic site: the 1,000-rule bench lost a third of its decisions/s.
   */
  readonly test: (check: (value: FieldKinds[K]['fact']) => boolean) => (facts: RequestFacts) => boolean;
}

/** What `statementKind` may name: Trino's statement kinds, and `unknown` for SQL that could not be read. */
export const STATEMENT_KIND_VALUES: readonly string[] = [...STATEMENT_KINDS, 'unknown'];
const NO_NAMES: readonly string[] = [];

function field<const Key extends string, K extends FieldKind>(
  definition: FieldDefinition<K> & { readonly key: Key },
): FieldDefinition<K> & { readonly key: Key } {
  return definition;
}

/** In the order explain lists a rule's conditions and the request's facts. */
export const RULE_FIELDS = [
  field({ key: 'method', apiName: 'method', label: 'method', kind: 'string', phase: 'headers', indexRank: 8, read: (f) => f.method, test: (p) => (f) => p(f.method) }),
  field({ key: 'path', apiName: 'path', label: 'path', kind: 'string', phase: 'headers', indexRank: 7, read: (f) => f.path, test: (p) => (f) => p(f.path) }),
  field({ key: 'host', apiName: 'host', label: 'host', kind: 'string', phase: 'headers', indexRank: 6, read: (f) => f.host, test: (p) => (f) => p(f.host) }),
  field({ key: 'user', apiName: 'user', label: 'user', kind: 'string', phase: 'headers', indexRank: 0, read: (f) => f.user, test: (p) => (f) => p(f.user) }),
  field({ key: 'source', apiName: 'source', label: 'source', kind: 'string', phase: 'headers', indexRank: 1, read: (f) => f.source, test: (p) => (f) => p(f.source) }),
  field({ key: 'catalog', apiName: 'catalog', label: 'catalog', kind: 'string', phase: 'headers', indexRank: 4, read: (f) => f.catalog, test: (p) => (f) => p(f.catalog) }),
  field({ key: 'schema', apiName: 'schema', label: 'schema', kind: 'string', phase: 'headers', indexRank: 5, read: (f) => f.schema, test: (p) => (f) => p(f.schema) }),
  field({ key: 'clientInfo', apiName: 'client_info', label: 'client info', kind: 'string', phase: 'headers', indexRank: 2, read: (f) => f.clientInfo, test: (p) => (f) => p(f.clientInfo) }),
  field({ key: 'listenerPort', apiName: 'listener_port', label: 'listener port', kind: 'ports', phase: 'headers', indexRank: 13, read: (f) => f.listenerPort, test: (p) => (f) => p(f.listenerPort) }),
  field({ key: 'clientTags', apiName: 'client_tags', label: 'client tags', kind: 'tags', phase: 'headers', indexRank: 12, read: (f) => f.clientTags, test: (p) => (f) => p(f.clientTags) }),
  field({ key: 'sessionProperties', apiName: 'session_properties', label: 'session', kind: 'properties', phase: 'headers', indexRank: 10, read: (f) => f.sessionProperties, test: (p) => (f) => p(f.sessionProperties) }),
  field({ key: 'routingGroup', apiName: 'routing_group', label: 'routing group', kind: 'string', phase: 'headers', indexRank: 3, read: (f) => f.routingGroup, test: (p) => (f) => p(f.routingGroup) }),
  field({ key: 'header', apiName: 'header', label: 'headers', kind: 'headers', phase: 'headers', indexRank: 11, read: (f) => f.headers, test: (p) => (f) => p(f.headers) }),
  // The statement's fields: known only once the body is read. Until then (statement undefined)
  // a condition "could hold", so the rule index finds the first rule that may match.
  field({ key: 'statementKind', apiName: 'statement_kind', label: 'statement kind', kind: 'string', phase: 'body', indexRank: undefined, values: STATEMENT_KIND_VALUES, read: (f) => f.statement?.kind, test: (p) => (f) => f.statement === undefined || p(f.statement.kind) }),
  field({ key: 'tablesRead', apiName: 'tables_read', label: 'tables read', kind: 'names', phase: 'body', indexRank: undefined, read: (f) => f.statement?.tablesRead ?? NO_NAMES, test: (p) => (f) => f.statement === undefined || p(f.statement.tablesRead) }),
  field({ key: 'tablesWritten', apiName: 'tables_written', label: 'tables written', kind: 'names', phase: 'body', indexRank: undefined, read: (f) => f.statement?.tablesWritten ?? NO_NAMES, test: (p) => (f) => f.statement === undefined || p(f.statement.tablesWritten) }),
  field({ key: 'tables', apiName: 'tables', label: 'tables', kind: 'names', phase: 'body', indexRank: undefined, read: (f) => f.statement?.tables ?? NO_NAMES, test: (p) => (f) => f.statement === undefined || p(f.statement.tables) }),
  field({ key: 'statementText', apiName: 'statement_text', label: 'statement text', kind: 'string', phase: 'body', indexRank: undefined, read: (f) => f.statement?.text, test: (p) => (f) => f.statement === undefined || p(f.statement.text) }),
] as const;

type Entry = (typeof RULE_FIELDS)[number];
export type RuleFieldKey = Entry['key'];
/** The kind of the field named `key`. */
export type KindOf<Key extends RuleFieldKey> = Extract<Entry, { readonly key: Key }>['kind'];
/** What a rule may say about each field: derived from the table, so a new entry is a new condition. */
export type RuleMatchOf = { readonly [E in Entry as E['key']]?: FieldKinds[E['kind']]['spec'] };

/** Every field of one kind, in table order. */
export function fieldsOfKind<K extends FieldKind>(kind: K): readonly (FieldDefinition<K> & { readonly key: RuleFieldKey })[] {
  return RULE_FIELDS.filter((f) => f.kind === kind) as unknown as readonly (FieldDefinition<K> & { readonly key: RuleFieldKey })[];
}

export const RULE_FIELD_KEYS: readonly RuleFieldKey[] = RULE_FIELDS.map((f) => f.key);

const BY_KEY: ReadonlyMap<string, FieldDefinition> = new Map(RULE_FIELDS.map((f) => [f.key, f as FieldDefinition]));

export function ruleField(key: string): FieldDefinition | undefined {
  return BY_KEY.get(key);
}

/** Whether a rule with these conditions needs the statement (a body field) to be decided. */
export function needsStatement(match: RuleMatchOf): boolean {
  for (const definition of RULE_FIELDS) if (definition.phase === 'body' && match[definition.key] !== undefined) return true;
  return false;
}

/** The names of the headers some condition of these matches mentions, lower-case. */
export function mentionedHeaders(matches: Iterable<RuleMatchOf>): ReadonlySet<string> {
  const names = new Set<string>();
  for (const match of matches) for (const condition of match.header ?? []) names.add(condition.name.toLowerCase());
  return names;
}
