/**
 * One HTTP request in, one instruction out: the router's whole per-request logic, shared by
 * the ext_proc and ext_authz edges. A follow-up of a query goes to the backend that owns it
 * (signed prefix, query id, coordinator id, transaction, probe); anything else goes through
 * the routing rules. No I/O here except the injected probe.
 */
import type { HeaderList } from '../envoy/header-codec.js';
import { headerValue } from '../envoy/header-codec.js';
import { classifyTrinoPath, originFormPath, type TrinoPath } from '../trino/paths.js';
import { classifyLoginPath, oauth2ChallengeHashes, requestCookie, setsUiToken, type LoginPath } from '../trino/login-flows.js';
import { UI_SESSION_COOKIE, uiSessionSetCookie, verifyUiSession } from '../stickiness/ui-session.js';
import { coordinatorIdOf } from '../trino/query-id.js';
import { isTrinoHeaderError, parseTrinoHeaders, type TrinoHeaderOptions } from '../trino/headers.js';
import { decodeBody, type UnreadBodyReason } from '../trino/body-encoding.js';
import { parseQueryResultsHead } from '../trino/query-results.js';
import { readTransactionHeaders } from '../trino/response-headers.js';
import type { OwnershipIndex } from '../stickiness/ownership.js';
import {
  signRoutePrefix,
  splitPrefixedPath,
  verifyRoutePrefix,
  type PrefixKeyring,
} from '../stickiness/route-prefix.js';
import type { ForwardInstruction, Mechanism, ReplyInstruction, ResponseWatch, RouteInstruction } from './decision.js';
import { awaitsStatement, decideMatched, describeRejection, findRule, ruleGroup, type BackendConditions, type EngineDecision, type RoutedDecision } from './engine.js';
import { isLimited } from './admission.js';
import type { QueueGate } from './queue-gate.js';
import { NO_STATEMENT, type RequestFacts } from './model.js';
import type { CompiledRule, RoutingSnapshot } from './snapshot.js';
import { statementView } from './statement-view.js';
import { unknownOutcome, type StatementOutcome, type StatementSession } from '../statement/facts.js';
import { mayChangeTransaction } from '../statement/leading-keyword.js';
import type { StrategyState } from './strategies.js';
import {
  decodeRefusal, failedStatementReply, isSubmission, REFUSAL_ROOT, routerErrorReply, unknownQueryResourceReply, type RouterErrorKind,
} from './replies.js';

/** Reads a statement's facts (a bounded worker pool: statement/analyzer.ts); never rejects. */
export type StatementReader = (sql: string, session: StatementSession) => Promise<StatementOutcome>;

/** Asks every backend whether it knows a query; resolves to the owner or undefined. */
export type QueryProbe = (queryId: string, headers: HeaderList, backends: readonly string[]) => Promise<string | undefined>;

export interface RequestRouterDeps {
  readonly snapshot: () => RoutingSnapshot;
  readonly conditions: () => BackendConditions;
  readonly strategy: StrategyState;
  readonly ownership: OwnershipIndex;
  /** Undefined disables prefix routing entirely. */
  readonly keyring: PrefixKeyring | undefined;
  readonly probe: QueryProbe | undefined;
  readonly headerOptions: TrinoHeaderOptions;
  /** failed-query: HTTP 200 + FAILED QueryResults; retry: HTTP 503 so clients retry. */
  readonly unavailable: 'failed-query' | 'retry';
  readonly now: () => number;
  /** Called for each new query once its id is known (history, logs). */
  readonly onQuery?: (event: QuerySubmitted) => void;
  /** Called for each submission the router answers itself instead of forwarding (history, logs). */
  readonly onRefused?: (event: SubmissionRefused) => void;
  /** A submission's response body the router could not read (its Content-Encoding): counted, never silent. */
  readonly onUnreadBody?: (reason: UnreadBodyReason) => void;
  /** Statement facts for statement rules; undefined: such rules see every statement as `unknown`. */
  readonly statements?: StatementReader | undefined;
  /** Every statement read for a rule, parsed or not (metrics). */
  readonly onStatement?: (outcome: StatementOutcome) => void;
  /**
   * A login flow this replica does not know, asked of the shared store (another replica saw
   * the challenge); undefined: unknown flows are refused at once.
   */
  readonly findLoginFlow?: ((authIdHash: string) => Promise<string | undefined>) | undefined;
  /** The gateway queue: submissions to limited groups are held there. Undefined: no queueing. */
  readonly queue?: QueueGate | undefined;
}

export interface QuerySubmitted {
  readonly queryId: string;
  readonly backend: string;
  readonly mechanism: Mechanism;
  readonly facts: RequestFacts | undefined;
  readonly decision: EngineDecision | undefined;
  /** The statement as read for a statement rule; undefined when no rule needed it. */
  readonly statement: StatementOutcome | undefined;
  readonly at: number;
  /** Set for a query the gateway queue held and then handed over (its dispatcher reports it). */
  readonly queued?: { readonly waitedMs: number; readonly user: string | undefined; readonly source: string | undefined } | undefined;
}

/** A submission the router refused: why, and what it knew of the query when it did. */
export interface SubmissionRefused {
  readonly reason: RouterErrorKind;
  /** What the client is told (and prints). */
  readonly message: string;
  /** Undefined when the headers could not be read (bad_headers) or were never looked at. */
  readonly facts: RequestFacts | undefined;
  /** The rules' decision, when they were asked (no_backend, no_backend_configured). */
  readonly decision: EngineDecision | undefined;
  readonly statement: StatementOutcome | undefined;
  readonly at: number;
}

/** What the router remembers about a request between its request and response phases. */
export interface RequestContext {
  readonly instruction: RouteInstruction;
  readonly transactionId: string | undefined;
  /** The request carried a transaction header (NONE included): its query may start one. */
  readonly transactionAware: boolean;
  /**
   * The query's responses are to be watched for a transaction starting or ending: a
   * transaction-aware submission whose statement may start or end one (its polls then too).
   */
  readonly watchTransactions: boolean;
  readonly facts: RequestFacts | undefined;
  /** The statement as read for a statement rule, when one needed it. */
  readonly statement: StatementOutcome | undefined;
  readonly receivedAt: number;
  /** The request's method and the path the coordinator knows (for logs; follow-ups have no facts). */
  readonly target?: { readonly method: string; readonly path: string };
  /** A web UI login: when its response sets Trino-UI-Token, the router pins the browser (secure: over https). */
  readonly pinsUiSession?: 'secure' | 'plain';
}

/** Headers the edge adds to the client's response (never replacing the cluster's own). */
export type ResponseHeaderAdditions = readonly (readonly [name: string, value: string])[];

/** A submission's body as an edge has it. */
export interface IncomingBody {
  readonly bytes: Uint8Array;
  /** false: cut (Envoy's buffer limit, ext_authz max_request_bytes with allow_partial_message). */
  readonly complete: boolean;
  /** false: Envoy sent none although the request has one (ext_authz without with_request_body). */
  readonly sent: boolean;
}

export interface Incoming {
  readonly headers: HeaderList;
  readonly listenerPort: number | undefined;
  /**
   * The request body, when the edge already has all it will get (ext_authz, or a request that
   * ended with its headers). Undefined: the edge can ask Envoy for it (ext_proc), so route()
   * answers AwaitingBody when a rule needs the statement.
   */
  readonly body?: IncomingBody | undefined;
  /**
   * false: the edge never sees responses (ext_authz), so an OAuth2 login the router does not
   * know may be genuine: it goes by the rules instead of being refused. Default true (ext_proc).
   */
  readonly seesResponses?: boolean;
}

const EMPTY = new Uint8Array(0);
/** The body of a request whose headers ended the stream. */
export const NO_BODY: IncomingBody = { bytes: EMPTY, complete: true, sent: true };

/**
 * A submission the router cannot route before reading its body: a statement rule could still
 * decide it, or its statement may start or end a transaction. The edge asks Envoy for the body
 * (ext_proc BUFFERED_PARTIAL) and hands it to routeWithBody().
 */
export class AwaitingBody {
  constructor(
    /** @internal */ readonly scope: Scope,
    /** Transaction-owned submissions are routed to this owner whatever the body says. */
    /** @internal */ readonly transactionOwner: string | undefined,
    /** The facts read at the headers, and the snapshot they were read against (reused if still current). */
    /** @internal */ readonly facts: RequestFacts | undefined = undefined,
    /** @internal */ readonly snapshot: RoutingSnapshot | undefined = undefined,
  ) {}
}

const NO_TAGS: readonly string[] = [];
const NO_HEADERS: ReadonlyMap<string, string> = new Map();

/**
 * The headers rules name, lines joined with "," as Envoy joins them in ext_authz's headers
 * map, so a header condition reads the same value in both edge modes. Nothing is copied when
 * no rule names a header.
 */
function namedHeaders(headers: HeaderList, names: ReadonlySet<string>): ReadonlyMap<string, string> {
  if (names.size === 0) return NO_HEADERS;
  let kept: Map<string, string> | undefined;
  for (const [name, value] of headers) {
    if (!names.has(name)) continue;
    kept ??= new Map();
    const earlier = kept.get(name);
    kept.set(name, earlier === undefined ? value : `${earlier},${value}`);
  }
  return kept ?? NO_HEADERS;
}
const NO_SESSION: ReadonlyMap<string, string> = new Map();

/** Everything known about the request being routed, passed between the steps below. */
export interface Scope {
  readonly request: Incoming;
  readonly method: string;
  /** The path the coordinator knows (route prefix removed). */
  readonly path: string;
  /** Set when a route prefix was stripped, so the edge rewrites :path. */
  readonly rewrittenPath: string | undefined;
  readonly transactionId: string | undefined;
  readonly transactionAware: boolean;
  readonly now: number;
}

export class RequestRouter {
  /** The last prefix signed per backend (see signedPrefix). */
  private readonly signed = new Map<string, { readonly second: number; readonly keyring: PrefixKeyring; readonly prefix: string }>();

  /** Content-Encoding of a watched response, from its headers until its body arrives. */
  private readonly encodings = new WeakMap<RequestContext, string>();

  constructor(private readonly deps: RequestRouterDeps) {}

  /**
   * signRoutePrefix(keyring, backend, now), reused within the same whole second: a prefix
   * depends only on the key, the backend and the second it was issued, so every request sent
   * to a backend in one second gets the same prefix; one HMAC per backend per second.
   */
  private signedPrefix(keyring: PrefixKeyring, backend: string, nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    const last = this.signed.get(backend);
    if (last !== undefined && last.second === second && last.keyring === keyring) return last.prefix;
    const prefix = signRoutePrefix(keyring, backend, nowMs / 1000);
    if (last === undefined && this.signed.size >= 1024) this.signed.clear();
    this.signed.set(backend, { second, keyring, prefix });
    return prefix;
  }

  /**
   * Routes a request. Synchronous unless a probe (or, with the body given, a statement parse)
   * is needed; AwaitingBody when the submission's body must be read first.
   */
  route(request: Incoming): RequestContext | AwaitingBody | Promise<RequestContext> {
    const now = this.deps.now();
    const method = headerValue(request.headers, ':method') ?? 'GET';
    // An absolute-form request target (presto-client's cancel) read as the origin form Envoy's
    // HTTP/1 codec would make of it, so it is routed as the follow-up it is.
    const targetPath = headerValue(request.headers, ':path') ?? '/';
    const rawPath = originFormPath(targetPath);
    const transactionHeader = headerValue(request.headers, 'x-trino-transaction-id') ?? headerValue(request.headers, 'x-presto-transaction-id');
    const transactionId = transactionOf(transactionHeader);
    const transactionAware = transactionHeader !== undefined;
    // Scopes are built as whole literals: spreading a shared base object took most of route()'s
    // own time in profiles (V8 clones a spread through a slow generic path).
    if (rawPath.startsWith(REFUSAL_ROOT)) {
      return this.refusalPoll({ request, method, path: rawPath, rewrittenPath: undefined, transactionId, transactionAware, now });
    }
    const queue = this.deps.queue;
    if (queue !== undefined && rawPath.startsWith(queue.root)) {
      return this.queuePoll(queue, { request, method, path: rawPath, rewrittenPath: undefined, transactionId, transactionAware, now });
    }
    const prefixed = splitPrefixedPath(rawPath);
    if (prefixed === undefined) {
      const rewrittenPath = rawPath === targetPath ? undefined : rawPath;
      return this.routePath({ request, method, path: rawPath, rewrittenPath, transactionId, transactionAware, now }, undefined);
    }
    const scope: Scope = { request, method, path: prefixed.rest, rewrittenPath: prefixed.rest, transactionId, transactionAware, now };
    const keyring = this.deps.keyring;
    if (keyring === undefined) return this.reply(scope, 'prefix_disabled', 'Route prefixes are not enabled on this router');
    const verdict = verifyRoutePrefix(keyring, prefixed, now / 1000);
    if (!verdict.valid) {
      return this.reply(scope, 'forged_prefix', `The URL's route prefix is not valid (${verdict.reason.replaceAll('_', ' ')})`);
    }
    return this.routePath(scope, prefixed.backend);
  }

  /** The poll of a refused submission: the refusal itself, as Trino reports a failed query. */
  private refusalPoll(scope: Scope): RequestContext {
    const refusal = decodeRefusal(scope.path);
    if (refusal === undefined) return this.reply(scope, 'malformed_query_id', 'Malformed router URL');
    return this.context(scope, failedStatementReply(refusal.kind, refusal.message), undefined);
  }

  /** A poll or cancel of a query held in the gateway queue: the queue answers it. */
  private queuePoll(queue: QueueGate, scope: Scope): Promise<RequestContext> {
    return queue.answer(scope.method, scope.path, originOf(scope.request.headers)).then(
      (reply) => this.context(scope, reply, undefined),
      (error: unknown) => this.reply(scope, 'queue_unavailable', `The router's queue cannot answer now: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /**
   * Whether a submission would be held in the gateway queue: its rule's group (or the default
   * group) has running-query limits. Such a submission's body is read, to be resubmitted later.
   */
  private mayQueue(snapshot: RoutingSnapshot, rule: CompiledRule | undefined, facts: RequestFacts): boolean {
    if (this.deps.queue === undefined) return false;
    const group = rule === undefined ? snapshot.defaultGroup : ruleGroup(rule.rule, facts);
    return isLimited(snapshot, group, rule?.rule);
  }

  private routePath(scope: Scope, prefixOwner: string | undefined): RequestContext | AwaitingBody | Promise<RequestContext> {
    const trinoPath = classifyTrinoPath(scope.method, scope.path);
    switch (trinoPath.kind) {
      case 'submit':
        // A prefix never chooses where a new query runs: the rules do.
        return this.routeNewQuery(scope, true);
      case 'statement':
      case 'partialCancel':
      case 'query':
      case 'uiQuery': {
        if (prefixOwner === undefined) return this.routeFollowUp(scope, trinoPath.queryId, trinoPath);
        // A genuine prefix can be replayed in front of another query's path: what the router
        // knows about the query named in the path outranks the prefix, so a query's requests
        // only ever reach the cluster that owns it.
        const known = this.knownOwner(trinoPath.queryId);
        if (known !== undefined && known.backend !== prefixOwner) return this.forwardTo(scope, known.backend, known.mechanism, trinoPath);
        return this.forwardTo(scope, prefixOwner, 'prefix', trinoPath);
      }
      case 'spooled':
        if (prefixOwner !== undefined) return this.forwardTo(scope, prefixOwner, 'prefix', trinoPath);
        return this.reply(
          scope,
          'unroutable_segment',
          'Spooled segment URLs carry no query id: the router can route them only through route prefixes (Trino 458+ with http-server.process-forwarded=true and prefixRouting on the backend)',
        );
      case 'invalid':
        return this.reply(scope, 'malformed_query_id', `Malformed Trino URL: ${trinoPath.reason}`);
      case 'status':
        if (prefixOwner !== undefined) return this.forwardTo(scope, prefixOwner, 'prefix', trinoPath);
        return this.routeNewQuery(scope, false);
      case 'other': {
        const login = classifyLoginPath(scope.method, scope.path);
        if (login !== undefined) return withoutForwardedPrefix(this.routeLogin(scope, login, prefixOwner, trinoPath));
        if (prefixOwner !== undefined) return this.forwardTo(scope, prefixOwner, 'prefix', trinoPath);
        return this.routeNewQuery(scope, false);
      }
    }
  }

  /**
   * The steps of a login whose state lives in one coordinator: OAuth2 steps by the challenge
   * the router saw, web UI calls by the router's session cookie; anything forged is refused,
   * never routed by the rules. What the router learned outranks a (genuine) prefix.
   */
  private routeLogin(scope: Scope, login: LoginPath, prefixOwner: string | undefined, trinoPath: TrinoPath): RequestContext | AwaitingBody | Promise<RequestContext> {
    const unlearned = (): RequestContext | AwaitingBody | Promise<RequestContext> =>
      prefixOwner !== undefined ? this.forwardTo(scope, prefixOwner, 'prefix', trinoPath) : this.routeNewQuery(scope, false);
    switch (login.kind) {
      case 'invalidLogin':
        return this.reply(scope, 'forged_login', `Malformed login URL: ${login.reason}`);
      case 'oauth2Initiate':
      case 'oauth2Token':
        return this.routeLoginFlow(scope, login.authIdHash, prefixOwner, trinoPath);
      case 'oauth2Callback':
        // A Web UI OAuth2 state names no pending token: any cluster with the same oauth2.state-key verifies it.
        return login.authIdHash === undefined ? unlearned() : this.routeLoginFlow(scope, login.authIdHash, prefixOwner, trinoPath);
      case 'uiLogin':
        return this.pinningUiSession(scope, unlearned());
      case 'uiSession': {
        const keyring = this.deps.keyring;
        const cookie = keyring === undefined ? undefined : requestCookie(scope.request.headers, UI_SESSION_COOKIE);
        if (keyring === undefined || cookie === undefined) return unlearned();
        const verdict = verifyUiSession(keyring, cookie, scope.now / 1000);
        if (!verdict.valid) {
          return this.reply(scope, 'forged_login', `The router's web UI session cookie is not valid (${verdict.reason.replaceAll('_', ' ')}): log in again`);
        }
        return this.context(scope, this.forward(scope, verdict.backend, 'ui_session', 'none', undefined), undefined);
      }
    }
  }

  private routeLoginFlow(scope: Scope, authIdHash: string, prefixOwner: string | undefined, trinoPath: TrinoPath): RequestContext | Promise<RequestContext> {
    const owner = this.deps.ownership.loginFlowOwner(authIdHash, scope.now);
    if (owner !== undefined) return this.context(scope, this.forward(scope, owner, 'login_flow', 'none', undefined), undefined);
    const unknown = (): RequestContext | Promise<RequestContext> => {
      if (prefixOwner !== undefined) return this.forwardTo(scope, prefixOwner, 'prefix', trinoPath);
      // A request that is no submission is never held for its body.
      if (scope.request.seesResponses === false) return this.routeNewQuery(scope, false) as RequestContext | Promise<RequestContext>;
      return this.reply(scope, 'forged_login', 'Unknown or expired login: no Trino cluster behind this router started it (an OAuth2 login must finish within the challenge timeout)');
    };
    const find = this.deps.findLoginFlow;
    if (find === undefined) return unknown();
    return find(authIdHash).then(
      (found) => (found === undefined ? unknown() : this.context(scope, this.forward(scope, found, 'login_flow', 'none', undefined), undefined)),
      unknown,
    );
  }

  /** A web UI login routed as any UI call, with its response headers watched for Trino-UI-Token (needs the prefix keys). */
  private pinningUiSession(scope: Scope, routed: RequestContext | AwaitingBody | Promise<RequestContext>): RequestContext | AwaitingBody | Promise<RequestContext> {
    if (this.deps.keyring === undefined || routed instanceof AwaitingBody) return routed;
    const secure = headerValue(scope.request.headers, 'x-forwarded-proto') === 'https' ? 'secure' : 'plain';
    const pin = (context: RequestContext): RequestContext => {
      const instruction = context.instruction;
      if (instruction.kind !== 'forward') return context;
      const watch: ResponseWatch = instruction.watch === 'none' ? 'headers' : instruction.watch;
      return { ...context, instruction: { ...instruction, watch }, pinsUiSession: secure };
    };
    return routed instanceof Promise ? routed.then(pin) : pin(routed);
  }

  private routeNewQuery(scope: Scope, submission: boolean): RequestContext | AwaitingBody | Promise<RequestContext> {
    if (scope.transactionId !== undefined) {
      const owner = this.deps.ownership.transactionOwner(scope.transactionId);
      if (owner === undefined) {
        return this.reply(scope, 'unknown_transaction', `Unknown transaction ${scope.transactionId}: this router never saw it start`);
      }
      if (!submission) return this.context(scope, this.forward(scope, owner, 'transaction', 'headers', undefined), undefined, true);
      // Only a COMMIT or ROLLBACK ends the transaction: its body says whether to watch the polls.
      const body = scope.request.body;
      if (body === undefined) return new AwaitingBody(scope, owner);
      return this.transactionSubmission(scope, owner, body);
    }
    const snapshot = this.deps.snapshot();
    const facts = this.facts(scope, snapshot, submission);
    if (typeof facts === 'string') return this.reply(scope, 'bad_headers', facts);
    const rule = findRule(snapshot, facts);
    // A JDBC/CLI submission (Transaction-Id: NONE) may start a transaction: one look at its body
    // spares a response-headers exchange on every poll of every other query.
    if ((submission && (scope.transactionAware || this.mayQueue(snapshot, rule, facts))) || awaitsStatement(rule, facts)) {
      const body = scope.request.body;
      if (body === undefined) return new AwaitingBody(scope, undefined, facts, snapshot);
      return this.submissionWithBody(scope, facts, rule, body);
    }
    return this.decided(scope, facts, rule, submission, scope.transactionAware, undefined);
  }

  /**
   * Routes a submission the router held for its body (see AwaitingBody). The snapshot is read
   * again: the body may arrive after a configuration change.
   */
  routeWithBody(awaiting: AwaitingBody, body: IncomingBody): RequestContext | Promise<RequestContext> {
    const scope = awaiting.scope;
    if (awaiting.transactionOwner !== undefined) return this.transactionSubmission(scope, awaiting.transactionOwner, body);
    const snapshot = this.deps.snapshot();
    // The headers are read again only if the configuration changed meanwhile (named headers, statement rules).
    const facts = snapshot === awaiting.snapshot && awaiting.facts !== undefined ? awaiting.facts : this.facts(scope, snapshot, true);
    if (typeof facts === 'string') return this.reply(scope, 'bad_headers', facts);
    return this.submissionWithBody(scope, facts, findRule(snapshot, facts), body);
  }

  private transactionSubmission(scope: Scope, owner: string, body: IncomingBody): RequestContext {
    const sql = this.sqlOf(scope, body);
    const watch = typeof sql !== 'string' || mayChangeTransaction(sql, this.preparedStatements(scope));
    return this.context(scope, this.forward(scope, owner, 'transaction', 'headers_and_body', undefined), undefined, watch);
  }

  private submissionWithBody(
    scope: Scope,
    facts: RequestFacts,
    rule: CompiledRule | undefined,
    body: IncomingBody,
  ): RequestContext | Promise<RequestContext> {
    const sql = this.sqlOf(scope, body);
    const watchFor = (parsed: StatementOutcome | undefined): boolean => {
      if (!scope.transactionAware) return false;
      if (parsed?.status === 'parsed') return parsed.facts.kind === 'transaction';
      return typeof sql !== 'string' || mayChangeTransaction(sql, this.preparedStatements(scope));
    };
    if (!awaitsStatement(rule, facts)) return this.decided(scope, facts, rule, true, watchFor(undefined), undefined, body);
    const finish = (outcome: StatementOutcome): RequestContext | Promise<RequestContext> => {
      this.deps.onStatement?.(outcome);
      const snapshot = this.deps.snapshot();
      const withStatement: RequestFacts = { ...facts, statement: statementView(outcome, typeof sql === 'string' && body.complete ? sql : undefined) };
      return this.decided(scope, withStatement, findRule(snapshot, withStatement), true, watchFor(outcome), outcome, body);
    };
    if (typeof sql !== 'string') return finish(sql);
    if (!body.complete) return finish(unknownOutcome('too_large', `the body was cut at ${body.bytes.length} bytes (Envoy's buffer limit)`));
    if (sql.trim() === '') return finish(unknownOutcome('empty', 'the submission has no SQL'));
    const reader = this.deps.statements;
    if (reader === undefined) return finish(unknownOutcome('closed', 'statement reading is not configured'));
    const session: StatementSession = { catalog: facts.catalog, schema: facts.schema, preparedStatements: this.preparedStatements(scope) };
    return reader(sql, session).then(finish, (error: unknown) => finish(unknownOutcome('internal_error', error instanceof Error ? error.message : String(error))));
  }

  /** The SQL of a submission body, or why it has none the router can read. */
  private sqlOf(scope: Scope, body: IncomingBody): string | StatementOutcome {
    if (!body.sent) return unknownOutcome('body_not_sent', 'Envoy sent no request body (ext_authz needs with_request_body)');
    const decoded = decodeBody(body.bytes, headerValue(scope.request.headers, 'content-encoding'));
    if (!decoded.ok) return unknownOutcome('undecodable', `the body's Content-Encoding could not be decoded (${decoded.reason})`);
    return Buffer.from(decoded.bytes.buffer, decoded.bytes.byteOffset, decoded.bytes.byteLength).toString('utf8');
  }

  /** X-Trino-Prepared-Statement, read only when a statement needs it (EXECUTE). */
  private preparedStatements(scope: Scope): ReadonlyMap<string, string> {
    const parsed = parseTrinoHeaders(scope.request.headers, this.deps.headerOptions);
    return isTrinoHeaderError(parsed) ? NO_SESSION : parsed.preparedStatements;
  }

  private decided(
    scope: Scope,
    facts: RequestFacts,
    rule: CompiledRule | undefined,
    submission: boolean,
    watchTransactions: boolean,
    statement: StatementOutcome | undefined,
    body?: IncomingBody,
  ): RequestContext | Promise<RequestContext> {
    const snapshot = this.deps.snapshot();
    const decision = decideMatched(snapshot, rule, facts, this.deps.conditions(), this.deps.strategy);
    if (decision.outcome === 'rejected') {
      const kind: RouterErrorKind = decision.transient ? 'no_backend' : 'no_backend_configured';
      return this.refuse(scope, kind, describeRejection(decision), facts, decision, statement);
    }
    const queue = this.deps.queue;
    if (submission && queue !== undefined && scope.transactionId === undefined && isLimited(snapshot, decision.group, rule?.rule)) {
      return this.hold(queue, scope, facts, rule, decision, statement, body);
    }
    const watch: ResponseWatch = submission ? 'headers_and_body' : scope.transactionAware ? 'headers' : 'none';
    return this.context(scope, this.forward(scope, decision.backend, 'rules', watch, decision), facts, watchTransactions, statement);
  }

  /**
   * Holds a submission to a limited group in the gateway queue; the client gets QUEUED and
   * polls the router until a slot frees (the dispatcher then submits it). The gate refuses a
   * submission whose body the router does not have whole: it could not be resubmitted.
   */
  private hold(
    queue: QueueGate,
    scope: Scope,
    facts: RequestFacts,
    rule: CompiledRule | undefined,
    decision: RoutedDecision,
    statement: StatementOutcome | undefined,
    body: IncomingBody | undefined,
  ): RequestContext | Promise<RequestContext> {
    const refuse = (message: string): RequestContext => this.context(scope, this.replyInstruction(scope, 'queue_unavailable', message), facts, false, statement);
    return queue.hold({
      headers: scope.request.headers,
      body: body?.bytes ?? new Uint8Array(0),
      bodyComplete: body !== undefined && body.sent && body.complete,
      origin: originOf(scope.request.headers),
      facts,
      decision,
      rule: rule?.rule,
      receivedAt: scope.now,
    }).then(
      (reply) => this.context(scope, reply, facts, false, statement),
      (error: unknown) => refuse(`The router could not queue the query: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /** The owner of a query as this router knows it without asking a cluster: its id, else its coordinator's id. */
  private knownOwner(queryId: string): { readonly backend: string; readonly mechanism: 'query_id' | 'coordinator_id' } | undefined {
    const ownership = this.deps.ownership;
    const owner = ownership.queryOwner(queryId);
    if (owner !== undefined) return { backend: owner, mechanism: 'query_id' };
    const coordinatorId = coordinatorIdOf(queryId);
    const coordinatorOwner = coordinatorId === undefined ? undefined : ownership.coordinatorOwner(coordinatorId);
    if (coordinatorOwner !== undefined) return { backend: coordinatorOwner, mechanism: 'coordinator_id' };
    return undefined;
  }

  private routeFollowUp(scope: Scope, queryId: string, trinoPath: TrinoPath): RequestContext | Promise<RequestContext> {
    const ownership = this.deps.ownership;
    const known = this.knownOwner(queryId);
    if (known !== undefined) return this.forwardTo(scope, known.backend, known.mechanism, trinoPath);
    const probe = this.deps.probe;
    const backends = [...this.deps.snapshot().backends.keys()];
    if (probe === undefined || backends.length === 0) return this.unknownQuery(scope, queryId, trinoPath);
    return probe(queryId, scope.request.headers, backends).then(
      (found) => {
        if (found === undefined) return this.unknownQuery(scope, queryId, trinoPath);
        ownership.learnQuery(queryId, found, 'probe', this.deps.now());
        return this.forwardTo(scope, found, 'probe', trinoPath);
      },
      () => this.unknownQuery(scope, queryId, trinoPath),
    );
  }

  private unknownQuery(scope: Scope, queryId: string, trinoPath: TrinoPath): RequestContext {
    const message = `Query ${queryId} is not known to any Trino cluster behind this router`;
    // Clients of /v1/query/{id} expect Trino's own answers for an unknown query (410, DELETE 204).
    if (trinoPath.kind === 'query') return this.context(scope, unknownQueryResourceReply(scope.method, trinoPath.action, message), undefined);
    return this.reply(scope, 'unknown_query', message);
  }

  /** A follow-up of a known query: straight to its owner, whatever the owner's state. */
  private forwardTo(scope: Scope, backend: string, mechanism: Mechanism, trinoPath: TrinoPath): RequestContext {
    const ownership = this.deps.ownership;
    const watched = trinoPath.kind === 'statement' && ownership.watchesTransactions(trinoPath.queryId);
    const watchTransactions = trinoPath.kind === 'statement' && (scope.transactionAware || watched);
    const context = this.context(scope, this.forward(scope, backend, mechanism, watchTransactions ? 'headers' : 'none', undefined), undefined);
    // A COMMIT's poll without the transaction header (the Java client's): the watch knows it.
    const transactionId = context.transactionId ?? (watched ? ownership.watchedTransaction((trinoPath as { queryId: string }).queryId) : undefined);
    return transactionId === context.transactionId ? context : { ...context, transactionId };
  }

  private forward(
    scope: Scope,
    backend: string,
    mechanism: Mechanism,
    watch: ResponseWatch,
    decision: EngineDecision | undefined,
  ): ForwardInstruction {
    // A backend removed from the config keeps prefix routing so its running queries finish.
    const prefixRouting = this.deps.snapshot().backends.get(backend)?.prefixRouting ?? true;
    const keyring = this.deps.keyring;
    const forwardedPrefix = keyring !== undefined && prefixRouting ? this.signedPrefix(keyring, backend, scope.now) : undefined;
    return { kind: 'forward', backend, mechanism, path: scope.rewrittenPath, forwardedPrefix, watch, decision };
  }

  private facts(scope: Scope, snapshot: RoutingSnapshot, submission: boolean): RequestFacts | string {
    const headers = scope.request.headers;
    const parsed = parseTrinoHeaders(headers, this.deps.headerOptions);
    if (isTrinoHeaderError(parsed)) return parsed.message;
    const queryStart = scope.path.indexOf('?');
    return {
      method: scope.method,
      path: queryStart < 0 ? scope.path : scope.path.slice(0, queryStart),
      host: headerValue(headers, ':authority') ?? headerValue(headers, 'host') ?? '',
      listenerPort: scope.request.listenerPort,
      user: parsed.user,
      source: parsed.source,
      catalog: parsed.catalog,
      schema: parsed.schema,
      clientInfo: parsed.clientInfo,
      clientTags: parsed.clientTags.length > 0 ? parsed.clientTags : NO_TAGS,
      sessionProperties: parsed.sessionProperties.size > 0 ? parsed.sessionProperties : NO_SESSION,
      routingGroup: parsed.routingGroup,
      headers: namedHeaders(headers, snapshot.headerNames),
      // Unread until a statement rule needs it; a request that is not a submission has none.
      statement: submission && snapshot.statementRules ? undefined : NO_STATEMENT,
    };
  }

  private context(
    scope: Scope,
    instruction: RouteInstruction,
    facts: RequestFacts | undefined,
    watchTransactions = false,
    statement: StatementOutcome | undefined = undefined,
  ): RequestContext {
    return {
      instruction,
      transactionId: scope.transactionId,
      transactionAware: scope.transactionAware,
      watchTransactions,
      facts,
      statement,
      receivedAt: scope.now,
      target: { method: scope.method, path: scope.path },
    };
  }

  private replyInstruction(scope: Scope, kind: RouterErrorKind, message: string): ReplyInstruction {
    return routerErrorReply(kind, message, {
      method: scope.method,
      path: scope.path,
      origin: originOf(scope.request.headers),
      unavailable: this.deps.unavailable,
    });
  }

  private reply(scope: Scope, kind: RouterErrorKind, message: string): RequestContext {
    return this.refuse(scope, kind, message, undefined, undefined, undefined);
  }

  /** The router's own answer; a refused submission is also reported (history, logs). */
  private refuse(
    scope: Scope,
    kind: RouterErrorKind,
    message: string,
    facts: RequestFacts | undefined,
    decision: EngineDecision | undefined,
    statement: StatementOutcome | undefined,
  ): RequestContext {
    const onRefused = this.deps.onRefused;
    if (onRefused !== undefined && isSubmission(scope.method, scope.path)) {
      onRefused({ reason: kind, message, facts, decision, statement, at: scope.now });
    }
    return this.context(scope, this.replyInstruction(scope, kind, message), facts, false, statement);
  }

  /**
   * Learns from response headers: transactions that started or ended, the OAuth2 challenge of
   * a submission (401). Returns the headers to add to the client's response: the UI session
   * pin when a web UI login succeeded.
   */
  onResponseHeaders(context: RequestContext, headers: HeaderList): ResponseHeaderAdditions | undefined {
    const instruction = context.instruction;
    if (instruction.kind !== 'forward') return undefined;
    const now = this.deps.now();
    if (context.pinsUiSession !== undefined) {
      const keyring = this.deps.keyring;
      if (keyring === undefined || !setsUiToken(headers)) return undefined;
      return [['set-cookie', uiSessionSetCookie(keyring, instruction.backend, now / 1000, context.pinsUiSession === 'secure')]];
    }
    if (instruction.watch === 'headers_and_body') {
      const encoding = headerValue(headers, 'content-encoding');
      if (encoding !== undefined) this.encodings.set(context, encoding);
      // A submission refused for want of OAuth2 credentials: the login it starts lives in this cluster.
      if (headerValue(headers, ':status') === '401') {
        for (const hash of oauth2ChallengeHashes(headers)) this.deps.ownership.learnLoginFlow(hash, instruction.backend, now);
      }
    }
    const tx = readTransactionHeaders(headers);
    if (tx.startedTransactionId !== undefined) {
      this.deps.ownership.startTransaction(tx.startedTransactionId, instruction.backend, now);
    }
    if (tx.clearTransactionId && context.transactionId !== undefined) {
      this.deps.ownership.endTransaction(context.transactionId, now);
    }
    return undefined;
  }

  /** Learns from a submission's first response: the query id and the coordinator's id. */
  onResponseBody(context: RequestContext, body: Uint8Array): void {
    const instruction = context.instruction;
    if (instruction.kind !== 'forward') return;
    const decoded = decodeBody(body, this.encodings.get(context));
    if (!decoded.ok) {
      this.deps.onUnreadBody?.(decoded.reason);
      return;
    }
    const head = parseQueryResultsHead(decoded.bytes);
    const coordinatorId = head?.id === undefined ? undefined : coordinatorIdOf(head.id);
    // Only a well-formed Trino id is remembered: anything else is not a query to follow.
    if (head?.id === undefined || coordinatorId === undefined) return;
    const now = this.deps.now();
    const ownership = this.deps.ownership;
    ownership.learnQuery(head.id, instruction.backend, 'response', now);
    ownership.learnCoordinator(coordinatorId, instruction.backend, now);
    if (context.watchTransactions) ownership.watchTransactions(head.id, now, context.transactionId);
    this.deps.onQuery?.({
      queryId: head.id,
      backend: instruction.backend,
      mechanism: instruction.mechanism,
      facts: context.facts,
      decision: instruction.decision,
      statement: context.statement,
      at: now,
    });
  }
}

/**
 * Login steps reach Trino without X-Forwarded-Prefix: Trino puts it into the OAuth2
 * redirect_uri it sends the IdP and computes again at the callback, so a prefix re-signed in
 * between would fail the code exchange, and every cluster and second would need its own
 * redirect URI registered. Unprefixed, it is `<gateway>/oauth2/callback` for all of them.
 */
function withoutForwardedPrefix(routed: RequestContext | AwaitingBody | Promise<RequestContext>): RequestContext | AwaitingBody | Promise<RequestContext> {
  const strip = (context: RequestContext): RequestContext => {
    const instruction = context.instruction;
    if (instruction.kind !== 'forward' || instruction.forwardedPrefix === undefined) return context;
    return { ...context, instruction: { ...instruction, forwardedPrefix: undefined } };
  };
  if (routed instanceof AwaitingBody) return routed;
  return routed instanceof Promise ? routed.then(strip) : strip(routed);
}

/** `proto://authority` the client used (Envoy sets x-forwarded-proto before ext_proc runs). */
function originOf(headers: HeaderList): string | undefined {
  const authority = headerValue(headers, ':authority') ?? headerValue(headers, 'host');
  if (authority === undefined || authority === '' || /[\s/?#@]/.test(authority)) return undefined;
  const proto = headerValue(headers, 'x-forwarded-proto') === 'https' ? 'https' : 'http';
  return `${proto}://${authority}`;
}

/** The transaction a request runs in, if any (`NONE` means none yet). */
function transactionOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.toUpperCase() === 'NONE' ? undefined : trimmed;
}

