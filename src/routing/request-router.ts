/**
 * One HTTP request in, one instruction out: the router's whole per-request logic, shared by
 * the ext_proc and ext_authz edges. A follow-up of a query goes to the backend that owns it
 * (signed prefix, query id, coordinator id, transaction, probe); anything else goes through
 * the routing rules. No I/O here except the injected probe.
 */
import type { HeaderList } from '../envoy/header-codec.js';
import { headerValue } from '../envoy/header-codec.js';
import { classifyTrinoPath, originFormPath, type TrinoPath } from '../trino/paths.js';
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
import { decide, describeRejection, type BackendConditions, type EngineDecision } from './engine.js';
import type { RequestFacts } from './model.js';
import type { RoutingSnapshot } from './snapshot.js';
import type { StrategyState } from './strategies.js';
import {
  decodeRefusal, failedStatementReply, REFUSAL_ROOT, routerErrorReply, unknownQueryResourceReply, type RouterErrorKind,
} from './replies.js';

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
  /** A submission's response body the router could not read (its Content-Encoding): counted, never silent. */
  readonly onUnreadBody?: (reason: UnreadBodyReason) => void;
}

export interface QuerySubmitted {
  readonly queryId: string;
  readonly backend: string;
  readonly mechanism: Mechanism;
  readonly facts: RequestFacts | undefined;
  readonly decision: EngineDecision | undefined;
  readonly at: number;
}

/** What the router remembers about a request between its request and response phases. */
export interface RequestContext {
  readonly instruction: RouteInstruction;
  readonly transactionId: string | undefined;
  /** The request carried a transaction header (NONE included): its query may start one. */
  readonly transactionAware: boolean;
  readonly facts: RequestFacts | undefined;
  readonly receivedAt: number;
  /** The request's method and the path the coordinator knows (for logs; follow-ups have no facts). */
  readonly target?: { readonly method: string; readonly path: string };
}

export interface Incoming {
  readonly headers: HeaderList;
  readonly listenerPort: number | undefined;
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
interface Scope {
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

  /** Routes a request. Synchronous unless a probe is needed. */
  route(request: Incoming): RequestContext | Promise<RequestContext> {
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

  private routePath(scope: Scope, prefixOwner: string | undefined): RequestContext | Promise<RequestContext> {
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
      case 'other':
        if (prefixOwner !== undefined) return this.forwardTo(scope, prefixOwner, 'prefix', trinoPath);
        return this.routeNewQuery(scope, false);
    }
  }

  private routeNewQuery(scope: Scope, submission: boolean): RequestContext {
    if (scope.transactionId !== undefined) {
      const owner = this.deps.ownership.transactionOwner(scope.transactionId);
      if (owner === undefined) {
        return this.reply(scope, 'unknown_transaction', `Unknown transaction ${scope.transactionId}: this router never saw it start`);
      }
      return this.context(scope, this.forward(scope, owner, 'transaction', submission ? 'headers_and_body' : 'headers', undefined), undefined);
    }
    const facts = this.facts(scope);
    if (typeof facts === 'string') return this.reply(scope, 'bad_headers', facts);
    const decision = decide(this.deps.snapshot(), facts, this.deps.conditions(), this.deps.strategy);
    if (decision.outcome === 'rejected') {
      const kind: RouterErrorKind = decision.transient ? 'no_backend' : 'no_backend_configured';
      return this.context(scope, this.replyInstruction(scope, kind, describeRejection(decision)), facts);
    }
    const watch: ResponseWatch = submission ? 'headers_and_body' : scope.transactionAware ? 'headers' : 'none';
    return this.context(scope, this.forward(scope, decision.backend, 'rules', watch, decision), facts);
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
    const watchTransactions = trinoPath.kind === 'statement'
      && (scope.transactionAware || this.deps.ownership.watchesTransactions(trinoPath.queryId));
    return this.context(scope, this.forward(scope, backend, mechanism, watchTransactions ? 'headers' : 'none', undefined), undefined);
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

  private facts(scope: Scope): RequestFacts | string {
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
      headers: namedHeaders(headers, this.deps.snapshot().headerNames),
    };
  }

  private context(scope: Scope, instruction: RouteInstruction, facts: RequestFacts | undefined): RequestContext {
    return {
      instruction,
      transactionId: scope.transactionId,
      transactionAware: scope.transactionAware,
      facts,
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
    return this.context(scope, this.replyInstruction(scope, kind, message), undefined);
  }

  /** Learns from response headers: transactions that started or ended. */
  onResponseHeaders(context: RequestContext, headers: HeaderList): void {
    const instruction = context.instruction;
    if (instruction.kind !== 'forward') return;
    if (instruction.watch === 'headers_and_body') {
      const encoding = headerValue(headers, 'content-encoding');
      if (encoding !== undefined) this.encodings.set(context, encoding);
    }
    const tx = readTransactionHeaders(headers);
    const now = this.deps.now();
    if (tx.startedTransactionId !== undefined) {
      this.deps.ownership.startTransaction(tx.startedTransactionId, instruction.backend, now);
    }
    if (tx.clearTransactionId && context.transactionId !== undefined) {
      this.deps.ownership.endTransaction(context.transactionId, now);
    }
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
    if (context.transactionAware) ownership.watchTransactions(head.id, now);
    this.deps.onQuery?.({
      queryId: head.id,
      backend: instruction.backend,
      mechanism: instruction.mechanism,
      facts: context.facts,
      decision: instruction.decision,
      at: now,
    });
  }
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

