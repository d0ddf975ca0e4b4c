/**
 * The coordinator's HTTP surface: statement submission and polling, cancel, query info, kill,
 * spooled segments, status endpoints and the bits of the web UI a router touches. Status codes
 * and token rules follow Trino's resources; every URI in an answer is built from this request.
 */
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { authenticateSecure, isSecure } from './authentication.js';
import type { Coordinator, NodeState } from './coordinator.js';
import { killedFailure, preemptedFailure } from './errors.js';
import { compressIfAccepted, parseDurationParam, sendBytes, sendEmpty, sendJson, sendText, sleep } from './http-io.js';
import { isValidQueryId } from './ids.js';
import {
  basicAuthUser, detectProtocol, headerRecord, headerText, insecurePrincipal, MISSING_USER_MESSAGE, protocolHeader, requestUser,
  type ProtocolName,
} from './protocol-headers.js';
import type { Query } from './queries.js';
import { executingResults, queryInfo, queuedResults } from './results.js';
import { clusterStats, nodeStatus, serverInfo } from './status.js';
import { FORM_LOGIN_CHALLENGE, LOGIN_FORM_PATH } from './ui-login.js';
import { OAUTH2_CALLBACK } from './oauth2.js';
import { externalBase, forwardedHeaderPresent, type ExternalBase } from './uris.js';
import { versionNumber } from './version.js';

interface RequestContext {
  readonly c: Coordinator;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: Buffer;
  readonly url: URL;
  readonly base: ExternalBase;
  /** host:port this server listens on, for requests without a Host header. */
  readonly localAddress: string;
}

type Params = Readonly<Record<string, string>>;
type Handler = (ctx: RequestContext, params: Params) => void | Promise<void>;

interface Route {
  readonly pattern: readonly string[];
  readonly methods: Readonly<Record<string, Handler>>;
}

const NOT_FOUND = 'Query not found';

/**
 * A refusal as airlift's Jetty error handler writes it: text/plain "Error <code> <reason>: <message>".
 * Follows core/trino-main/.../server/protocol/ExecutingStatementResource.java (badRequest) as served by airlift.
 */
function sendError(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  sendText(res, status, `Error ${status} ${STATUS_CODES[status] ?? 'Error'}: ${message}`, headers);
}

function matchRoute(pattern: readonly string[], parts: readonly string[]): Params | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] ?? '';
    const actual = parts[i] ?? '';
    if (expected.startsWith(':')) params[expected.slice(1)] = actual;
    else if (expected !== actual) return undefined;
  }
  return params;
}

/** The first `name=value` item of a session header that has no name or no `=`, if any. */
function malformedProperty(raw: string | string[] | undefined): string | undefined {
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const line of lines) {
    for (const item of line.split(',')) {
      if (item.trim() === '') continue;
      const eq = item.indexOf('=');
      if (eq <= 0 || item.slice(0, eq).trim() === '') return item.trim();
    }
  }
  return undefined;
}

function parseToken(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

interface Identity {
  readonly user: string;
  readonly protocol: ProtocolName;
}

/**
 * The session user for endpoints that need one; answers 400/401 itself when there is none.
 * Authentication (the insecure authenticator over http) runs before the resource: mixed Trino
 * and Presto headers fail there (401) unless Basic names the user, and then the session
 * context refuses them (400). Follows server/HttpRequestSessionContextFactory.java.
 */
function authenticate(ctx: RequestContext): Identity | undefined {
  const headers = ctx.req.headers;
  const detection = detectProtocol(headers, ctx.c.settings.alternateHeaderName);
  const secured = ctx.c.settings.authentication;
  if (secured !== undefined) {
    // Follows server/security/AuthenticationFilter.java (see authentication.ts).
    if (isSecure(ctx.req, ctx.c.processForwarded)) {
      const outcome = authenticateSecure(ctx.req, secured, ctx.c.oauth2 === undefined ? undefined : { exchange: ctx.c.oauth2, origin: ctx.base.origin });
      if (!outcome.ok) {
        sendError(ctx.res, 401, outcome.message, outcome.challenges.length === 0 ? {} : { 'WWW-Authenticate': outcome.challenges });
        return undefined;
      }
      if (!detection.ok) {
        sendError(ctx.res, 400, detection.message);
        return undefined;
      }
      return { user: requestUser(headers, detection.protocol, outcome.principal), protocol: detection.protocol };
    }
    if (secured.allowInsecureOverHttp === false) {
      sendError(ctx.res, 403, 'Authentication over HTTP is not enabled');
      return undefined;
    }
  }
  const challenge = { 'WWW-Authenticate': 'Basic realm="Trino"' };
  const principal = insecurePrincipal(headers, detection.ok ? detection.protocol : 'Trino', ctx.c.settings.acceptPasswords);
  if (principal?.ok === false) {
    sendError(ctx.res, 401, principal.message, challenge);
    return undefined;
  }
  if (!detection.ok) {
    if (basicAuthUser(headers) !== undefined) sendError(ctx.res, 400, detection.message);
    else sendError(ctx.res, 401, detection.message, challenge);
    return undefined;
  }
  if (principal === undefined) {
    sendError(ctx.res, 401, MISSING_USER_MESSAGE, challenge);
    return undefined;
  }
  return { user: requestUser(headers, detection.protocol, principal.user), protocol: detection.protocol };
}

/**
 * The query a request names, counted as one more request it received (even one then refused
 * for want of a user: it still reached this coordinator).
 */
function findQuery(ctx: RequestContext, id: string | undefined): Query | undefined {
  const query = id === undefined ? undefined : ctx.c.query(id);
  if (query !== undefined) query.requests++;
  return query;
}

/**
 * How long a poll without news is held: up to the poll hold (Trino: 1 s), shorter only when the
 * query changes sooner. Follows dispatcher/QueuedStatementResource.java and
 * protocol/ExecutingStatementResource.java: since 472 `maxWait` (and `targetResultSize`) are
 * ignored; before, a smaller maxWait cut the wait short.
 */
function pollWaitMs(ctx: RequestContext, untilChange: number): number {
  const honoursMaxWait = versionNumber(ctx.c.settings.version) < 472;
  const maxWait = honoursMaxWait ? parseDurationParam(ctx.url.searchParams.get('maxWait')) ?? Number.POSITIVE_INFINITY : Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(ctx.c.settings.pollIntervalMs, maxWait, untilChange));
}

/** Protocol headers a statement's answer carries (Set-Session, Started-Transaction-Id, ...). */
function statementHeaders(query: Query): OutgoingHttpHeaders {
  const headers: Record<string, string[]> = {};
  for (const [suffix, value] of query.plan.responseHeaders) {
    const name = protocolHeader(query.protocol, suffix);
    (headers[name] ??= []).push(value);
  }
  return headers;
}

/** The spooling encoding the server chose, echoed on every answer (SpoolingQueryDataProducer.java). */
function encodingHeader(query: Query): OutgoingHttpHeaders {
  return query.dataEncoding === undefined ? {} : { [protocolHeader(query.protocol, 'Query-Data-Encoding')]: query.dataEncoding };
}

// ---- statements ----

function submitStatement(ctx: RequestContext): void {
  const identity = authenticate(ctx);
  if (identity === undefined) return;
  const { user, protocol } = identity;
  const sql = ctx.body.toString('utf8');
  // Follows dispatcher/QueuedStatementResource.java: only an empty body is refused; whitespace is a statement.
  if (sql === '') return sendError(ctx.res, 400, 'SQL statement is empty');
  const header = (suffix: string): string | undefined => headerText(ctx.req.headers, protocolHeader(protocol, suffix));
  const source = header('Source');
  const catalog = header('Catalog');
  const schema = header('Schema');
  // Follows server/HttpRequestSessionContextFactory.java: bad session headers are refused at the POST.
  if (schema !== undefined && catalog === undefined) return sendError(ctx.res, 400, 'Schema is set but catalog is not');
  const malformed = malformedProperty(ctx.req.headers[protocolHeader(protocol, 'Session').toLowerCase()]);
  if (malformed !== undefined) return sendError(ctx.res, 400, `Invalid ${protocolHeader(protocol, 'Session')} header: ${malformed}`);
  const query = ctx.c.submit({
    sql,
    user,
    protocol,
    headers: headerRecord(ctx.req.headers),
    transactionHeader: header('Transaction-Id'),
    // Only the json encoding is produced, whatever list of encodings the client offered.
    dataEncoding: header('Query-Data-Encoding') === undefined ? undefined : 'json',
    ...(source === undefined ? {} : { source }),
    ...(catalog === undefined ? {} : { catalog }),
    ...(schema === undefined ? {} : { schema }),
  });
  sendJson(ctx.res, 200, queuedResults(query, 0, ctx.base, Date.now(), true), encodingHeader(query));
}

async function queuedStatement(ctx: RequestContext, params: Params): Promise<void> {
  const query = findQuery(ctx, params.id);
  const token = parseToken(params.token);
  if (query === undefined || token === undefined || !query.slug.isValid('QUEUED_QUERY', params.slug ?? '', token)) {
    return sendError(ctx.res, 404, NOT_FOUND);
  }
  if (ctx.req.method === 'DELETE') {
    query.cancel(Date.now());
    return sendEmpty(ctx.res, 204);
  }
  if (!query.takeQueuedToken(token)) return sendEmpty(ctx.res, 410);
  // Follows dispatcher/QueuedStatementResource.java: the first poll creates and dispatches the query.
  if (!query.created) {
    query.createIfNeeded();
    ctx.c.noteCreated();
  }
  const wait = pollWaitMs(ctx, query.msUntilDispatch(Date.now()));
  if (wait > 0) await sleep(wait);
  if (ctx.c.query(query.id) !== query) return sendError(ctx.res, 404, NOT_FOUND);
  sendJson(ctx.res, 200, queuedResults(query, token, ctx.base, Date.now()), encodingHeader(query));
}

async function executingStatement(ctx: RequestContext, params: Params): Promise<void> {
  const query = findQuery(ctx, params.id);
  const token = parseToken(params.token);
  if (query === undefined || token === undefined || !query.slug.isValid('EXECUTING_QUERY', params.slug ?? '', token)) {
    return sendError(ctx.res, 404, NOT_FOUND);
  }
  if (ctx.req.method === 'DELETE') {
    query.cancel(Date.now());
    return sendEmpty(ctx.res, 204);
  }
  let lookup = query.lookupExecuting(token);
  if (lookup.kind === 'next') {
    const wait = pollWaitMs(ctx, query.msUntilReady(Date.now()));
    if (wait > 0) {
      await sleep(wait);
      if (ctx.c.query(query.id) !== query) return sendError(ctx.res, 404, NOT_FOUND);
      lookup = query.lookupExecuting(token); // a concurrent retry may have answered it meanwhile
    }
  }
  if (lookup.kind === 'gone') return sendEmpty(ctx.res, 410);
  if (lookup.kind === 'missing') return sendError(ctx.res, 404, NOT_FOUND);
  const { c } = ctx;
  const spool = query.dataEncoding === undefined
    ? undefined
    : (rowOffset: number, rows: readonly (readonly unknown[])[]) => c.segments.create(query.id, rowOffset, rows, c.settings.spooling, `http://${ctx.localAddress}`);
  const page = lookup.kind === 'repeat' ? lookup.page : query.nextPage(token, Date.now(), c.settings.rowsPerPage, spool);
  // Follows server/protocol/ExecutingStatementResource.java: protocol headers go on FAILED pages
  // too (a failed COMMIT still clears the transaction).
  const headers = { ...(page.kind !== 'waiting' ? statementHeaders(query) : {}), ...encodingHeader(query) };
  sendJson(ctx.res, 200, executingResults(query, page, ctx.base, Date.now(), c.settings.rowsPerPage), headers);
}

function partialCancel(ctx: RequestContext, params: Params): void {
  const query = findQuery(ctx, params.id);
  const token = parseToken(params.token);
  if (query === undefined || token === undefined || !query.slug.isValid('EXECUTING_QUERY', params.slug ?? '', token)) {
    return sendError(ctx.res, 404, NOT_FOUND);
  }
  // One stage, nothing to cut short: Trino answers 204 and the query carries on.
  sendEmpty(ctx.res, 204);
}

// ---- /v1/query ----

function listQueries(ctx: RequestContext): void {
  if (authenticate(ctx) === undefined) return;
  const now = Date.now();
  sendJson(ctx.res, 200, ctx.c.createdQueries().map((q) => queryInfo(q, ctx.base, now, ctx.c.settings.name)));
}

/**
 * The dispatcher's view of a query, counted as a request it received. A query registered but
 * never polled is unknown here. Follows server/QueryResource.java (DispatchManager lookups).
 */
function findCreatedQuery(ctx: RequestContext, id: string | undefined): Query | undefined {
  const query = id === undefined ? undefined : ctx.c.query(id);
  if (query !== undefined) query.requests++;
  return query?.created === true ? query : undefined;
}

function getQueryInfo(ctx: RequestContext, params: Params): void {
  const query = findCreatedQuery(ctx, params.id);
  if (authenticate(ctx) === undefined) return;
  if (query === undefined) return sendEmpty(ctx.res, 410);
  sendJson(ctx.res, 200, queryInfo(query, ctx.base, Date.now(), ctx.c.settings.name));
}

function cancelQuery(ctx: RequestContext, params: Params): void {
  const query = findCreatedQuery(ctx, params.id);
  if (authenticate(ctx) === undefined) return;
  query?.cancel(Date.now());
  sendEmpty(ctx.res, 204); // Trino answers 204 even for a query it does not know
}

function failQuery(kind: 'killed' | 'preempted'): Handler {
  return (ctx, params) => {
    const query = findCreatedQuery(ctx, params.id);
    if (authenticate(ctx) === undefined) return;
    if (query === undefined) return sendEmpty(ctx.res, 410);
    const message = ctx.body.toString('utf8').trim();
    const failure = kind === 'killed' ? killedFailure(message) : preemptedFailure(message);
    const outcome = ctx.c.kill(query.id, failure);
    // Follows server/QueryResource.java: 202 Accepted for a kill it takes, 409 once the query is done.
    sendEmpty(ctx.res, outcome === 'killed' ? 202 : 409);
  };
}

// ---- status ----

/**
 * PUT /v1/info/state, as a coordinator answers it. Follows server/ServerInfoResource.java and
 * server/NodeStateManager.java: the same state is a no-op, SHUTTING_DOWN and DRAINING throw
 * "Cannot shutdown/drain coordinator" (an unmapped exception: 500), anything else is an
 * invalid transition (400).
 */
function putState(ctx: RequestContext): void {
  if (authenticate(ctx) === undefined) return;
  let requested: unknown;
  try {
    requested = JSON.parse(ctx.body.toString('utf8'));
  } catch {
    requested = ctx.body.toString('utf8').trim();
  }
  if (requested === ctx.c.state) return sendEmpty(ctx.res, 200);
  if (requested === 'SHUTTING_DOWN') return sendText(ctx.res, 500, 'Cannot shutdown coordinator');
  if (requested === 'DRAINING') return sendText(ctx.res, 500, 'Cannot drain coordinator');
  sendText(ctx.res, 400, `Invalid state transition to ${String(requested)}`);
}

// ---- web UI ----

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * The web UI's login gate. Follows server/ui/FormWebUiAuthenticationFilter.java: without a
 * valid Trino-UI-Token cookie `/ui/api/*` answers 401 `WWW-Authenticate: Trino-Form-Login`
 * and other UI pages 303 to the login form. Returns the logged-in user, or undefined once it
 * has answered.
 */
function uiUser(ctx: RequestContext): string | undefined {
  const user = ctx.c.uiSessions.user(ctx.req.headers);
  if (user !== undefined) return user;
  if (ctx.url.pathname.startsWith('/ui/api/')) {
    sendText(ctx.res, 401, 'Unauthorized', { 'WWW-Authenticate': FORM_LOGIN_CHALLENGE });
  } else {
    sendRedirect(ctx.res, LOGIN_FORM_PATH);
  }
  return undefined;
}

function sendRedirect(res: ServerResponse, location: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(303, { ...headers, Location: location, 'Content-Length': 0 });
  res.end();
}

/** POST /ui/login with a form (server/ui/LoginResource.java): 303 with the cookie, or back to the form. */
function formLogin(ctx: RequestContext): void {
  const outcome = ctx.c.uiSessions.login(new URLSearchParams(ctx.body.toString('utf8')));
  if (!outcome.ok) return sendRedirect(ctx.res, outcome.location);
  sendRedirect(ctx.res, outcome.location, { 'Set-Cookie': outcome.cookie });
}

/** POST /ui/auth/login with JSON, the new UI's login (Trino 483+); 404 before it existed. */
function jsonLogin(ctx: RequestContext): void {
  if (versionNumber(ctx.c.settings.version) < 483) return sendText(ctx.res, 404, 'Not Found');
  let body: unknown;
  try {
    body = JSON.parse(ctx.body.toString('utf8'));
  } catch {
    return sendText(ctx.res, 400, 'Invalid JSON');
  }
  const record = body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
  const form = new URLSearchParams();
  for (const field of ['username', 'password', 'redirectPath']) {
    if (typeof record[field] === 'string') form.set(field, record[field]);
  }
  const outcome = ctx.c.uiSessions.login(form);
  if (!outcome.ok) return sendText(ctx.res, 401, 'Unauthorized');
  sendEmpty(ctx.res, 200, { 'Set-Cookie': outcome.cookie });
}

function queryPage(ctx: RequestContext): void {
  if (uiUser(ctx) === undefined) return;
  const id = decodeURIComponent(ctx.url.search.slice(1));
  const query = isValidQueryId(id) ? findCreatedQuery(ctx, id) : undefined;
  if (query === undefined) return sendError(ctx.res, 404, NOT_FOUND);
  const name = escapeHtml(ctx.c.settings.name);
  const html = `<!DOCTYPE html>\n<html><head><title>Query ${query.id} - ${name}</title></head>` +
    `<body><h1>Query ${query.id}</h1><p>Cluster: ${name}</p><p>State: ${query.state(Date.now())}</p></body></html>\n`;
  sendBytes(ctx.res, 200, 'text/html; charset=utf-8', Buffer.from(html));
}

function uiQueryInfo(ctx: RequestContext, params: Params): void {
  const query = findCreatedQuery(ctx, params.id);
  if (uiUser(ctx) === undefined) return;
  if (query === undefined) return sendEmpty(ctx.res, 410);
  sendJson(ctx.res, 200, queryInfo(query, ctx.base, Date.now(), ctx.c.settings.name));
}

function uiStats(ctx: RequestContext): void {
  if (uiUser(ctx) === undefined) return;
  sendJson(ctx.res, 200, clusterStats(ctx.c));
}

function uiQueryList(ctx: RequestContext): void {
  if (uiUser(ctx) === undefined) return;
  sendJson(ctx.res, 200, ctx.c.createdQueries().map((q) => queryInfo(q, ctx.base, Date.now(), ctx.c.settings.name)));
}

// ---- OAuth2 (oauth2.ts) ----

/** The callback URI Trino hands the IdP: the external base with X-Forwarded-Prefix (OAuth2CallbackResource). */
function callbackUri(ctx: RequestContext): string {
  return `${ctx.base.origin}${ctx.base.prefix}${OAUTH2_CALLBACK}`;
}

function oauth2Initiate(ctx: RequestContext, params: Params): void {
  const exchange = ctx.c.oauth2;
  if (exchange === undefined) return sendText(ctx.res, 404, 'Not Found');
  sendRedirect(ctx.res, exchange.initiate(params.hash ?? '', callbackUri(ctx)));
}

async function oauth2Callback(ctx: RequestContext): Promise<void> {
  const exchange = ctx.c.oauth2;
  if (exchange === undefined) return sendText(ctx.res, 404, 'Not Found');
  const outcome = await exchange.callback(ctx.url.searchParams, callbackUri(ctx));
  sendBytes(ctx.res, outcome.status, 'text/html; charset=utf-8', Buffer.from(outcome.body));
}

async function oauth2Token(ctx: RequestContext, params: Params): Promise<void> {
  const exchange = ctx.c.oauth2;
  if (exchange === undefined) return sendText(ctx.res, 404, 'Not Found');
  const authId = params.authId ?? '';
  if (ctx.req.method === 'DELETE') {
    return exchange.drop(authId) ? sendText(ctx.res, 200, 'Authentication deleted') : sendText(ctx.res, 404, 'Not Found');
  }
  const poll = await exchange.poll(authId);
  if (poll === undefined) return sendText(ctx.res, 404, 'Not Found');
  // Pending: the request's own URL as Jetty rebuilds it (forwarded scheme and host, no prefix).
  sendJson(ctx.res, 200, poll === 'pending' ? { nextUri: `${ctx.base.origin}${ctx.url.pathname}` } : poll);
}

// ---- spooling ----

/** GET /v1/spooled/download/{id}, by retrieval mode (CoordinatorSegmentResource.java). */
function downloadSegment(ctx: RequestContext, params: Params): void {
  const id = params.id ?? '';
  findQuery(ctx, ctx.c.segments.ownerOf(id));
  const mode = ctx.c.settings.spooling.mode;
  if (mode === 'storage') return sendText(ctx.res, 503, 'Retrieval mode is STORAGE but segment resource was called');
  const bytes = ctx.c.segments.content(id);
  if (bytes === undefined) return sendText(ctx.res, 404, 'Segment not found');
  if (mode === 'coordinator_storage_redirect') return sendRedirect(ctx.res, ctx.c.segments.directUri(id, `http://${ctx.localAddress}`));
  sendBytes(ctx.res, 200, 'application/octet-stream', bytes);
}

/** The storage's side of a pre-signed URL (what S3 or another object store would answer). */
function storageSegment(ctx: RequestContext, params: Params): void {
  const id = params.id ?? '';
  findQuery(ctx, ctx.c.segments.ownerOf(id));
  const bytes = ctx.c.segments.fromStorage(id, ctx.url.searchParams.get('signature'));
  if (bytes === undefined) return sendText(ctx.res, 403, 'Access Denied');
  sendBytes(ctx.res, 200, 'application/octet-stream', bytes);
}

function acknowledgeSegment(ctx: RequestContext, params: Params): void {
  const id = params.id ?? '';
  findQuery(ctx, ctx.c.segments.ownerOf(id));
  if (!ctx.c.segments.acknowledge(id)) return sendText(ctx.res, 404, 'Segment not found');
  sendEmpty(ctx.res, 200);
}

const ROUTES: readonly Route[] = [
  { pattern: ['v1', 'statement'], methods: { POST: submitStatement } },
  { pattern: ['v1', 'statement', 'queued', ':id', ':slug', ':token'], methods: { GET: queuedStatement, HEAD: queuedStatement, DELETE: queuedStatement } },
  { pattern: ['v1', 'statement', 'executing', 'partialCancel', ':id', ':stage', ':slug', ':token'], methods: { DELETE: partialCancel } },
  { pattern: ['v1', 'statement', 'executing', ':id', ':slug', ':token'], methods: { GET: executingStatement, HEAD: executingStatement, DELETE: executingStatement } },
  { pattern: ['v1', 'query'], methods: { GET: listQueries } },
  { pattern: ['v1', 'query', ':id'], methods: { GET: getQueryInfo, DELETE: cancelQuery } },
  { pattern: ['v1', 'query', ':id', 'killed'], methods: { PUT: failQuery('killed') } },
  { pattern: ['v1', 'query', ':id', 'preempted'], methods: { PUT: failQuery('preempted') } },
  { pattern: ['v1', 'info'], methods: { GET: (ctx) => sendJson(ctx.res, 200, serverInfo(ctx.c)) } },
  { pattern: ['v1', 'info', 'state'], methods: { GET: (ctx) => sendJson(ctx.res, 200, ctx.c.state), PUT: putState } },
  { pattern: ['v1', 'info', 'coordinator'], methods: { GET: (ctx) => sendEmpty(ctx.res, 200) } },
  { pattern: ['v1', 'status'], methods: { GET: (ctx) => sendJson(ctx.res, 200, nodeStatus(ctx.c, ctx.localAddress)) } },
  { pattern: ['ui', 'login'], methods: { POST: formLogin } },
  { pattern: ['ui', 'auth', 'login'], methods: { POST: jsonLogin } },
  { pattern: ['ui', 'api', 'stats'], methods: { GET: uiStats } },
  { pattern: ['ui', 'api', 'query'], methods: { GET: uiQueryList } },
  { pattern: ['ui', 'api', 'query', ':id'], methods: { GET: uiQueryInfo } },
  { pattern: ['ui', 'query.html'], methods: { GET: queryPage } },
  { pattern: ['oauth2', 'token', 'initiate', ':hash'], methods: { GET: oauth2Initiate } },
  { pattern: ['oauth2', 'token', ':authId'], methods: { GET: oauth2Token, DELETE: oauth2Token } },
  { pattern: ['oauth2', 'callback'], methods: { GET: oauth2Callback } },
  { pattern: ['v1', 'spooled', 'download', ':id'], methods: { GET: downloadSegment } },
  { pattern: ['v1', 'spooled', 'ack', ':id'], methods: { GET: acknowledgeSegment } },
  { pattern: ['_storage', 'spooled', ':id'], methods: { GET: storageSegment } },
];

/** Answers one request (faults already applied by the server). */
export async function handleRequest(
  c: Coordinator, req: IncomingMessage, res: ServerResponse, body: Buffer, localAddress: string,
): Promise<void> {
  if (c.settings.compression) compressIfAccepted(req, res);
  if (!c.processForwarded) {
    const forwarded = forwardedHeaderPresent(req.headers);
    if (forwarded !== undefined) {
      return sendText(res, 406, `Server configuration does not allow processing of the ${forwarded} header`);
    }
  }
  const url = new URL(req.url ?? '/', 'http://standin.invalid');
  const parts = url.pathname.split('/').slice(1);
  const ctx: RequestContext = { c, req, res, body, url, base: externalBase(req.headers, localAddress, c.processForwarded, versionNumber(c.settings.version)), localAddress };
  for (const route of ROUTES) {
    const params = matchRoute(route.pattern, parts);
    if (params === undefined) continue;
    const handler = route.methods[req.method ?? 'GET'];
    if (handler === undefined) return sendText(res, 405, 'Method Not Allowed', { Allow: Object.keys(route.methods).join(', ') });
    return handler(ctx, params);
  }
  sendText(res, 404, 'Not Found');
}
