/**
 * Runs one SQL statement the way a Trino client does: POST /v1/statement, then GET every
 * nextUri until there is none, collecting the rows. Used by the monitor for its health query
 * and for reading load from system.runtime.queries; a query it gives up on is cancelled.
 */
import { HealthCheckError, type CheckName } from './check-error.js';
import type { HttpSession } from './http-session.js';

export interface StatementResult {
  readonly queryId: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface StatementRequest {
  readonly check: CheckName;
  /** Coordinator base URL. */
  readonly baseUrl: string;
  readonly sql: string;
  readonly user: string;
  /** X-Trino-Source, so operators see who runs these queries. */
  readonly source: string;
}

/** A result this long is a loop, not a small monitoring query. */
const MAX_PAGES = 10_000;
const CANCEL_TIMEOUT_MS = 1_000;

interface ResultsPage {
  readonly id: string | undefined;
  readonly nextUri: string | undefined;
  readonly columns: readonly string[] | undefined;
  readonly data: readonly (readonly unknown[])[];
  readonly state: string | undefined;
  readonly error: string | undefined;
}

export async function runStatement(http: HttpSession, request: StatementRequest): Promise<StatementResult> {
  const headers = { 'X-Trino-User': request.user, 'X-Trino-Source': request.source };
  const base = new URL(request.baseUrl);
  let page = readPage(request.check, await http.json(request.check, new URL('v1/statement', withSlash(base)).href, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' },
    body: request.sql,
  }));
  const queryId = page.id;
  let columns = page.columns;
  const rows: (readonly unknown[])[] = [...page.data];
  for (let pages = 1; page.nextUri !== undefined && page.error === undefined; pages++) {
    const next = followable(base, page.nextUri);
    if (pages > MAX_PAGES) {
      cancel(http, next, headers);
      throw new HealthCheckError(request.check, `query ${queryId ?? '?'} returned more than ${MAX_PAGES} pages`, { queryId });
    }
    try {
      page = readPage(request.check, await http.json(request.check, next, { headers }));
    } catch (error) {
      cancel(http, next, headers);
      throw error;
    }
    columns ??= page.columns;
    rows.push(...page.data);
  }
  if (page.error !== undefined || page.state === 'FAILED') {
    throw new HealthCheckError(request.check, `query ${queryId ?? '?'} failed: ${page.error ?? 'state FAILED'}`, { queryId });
  }
  if (queryId === undefined) throw new HealthCheckError(request.check, 'the coordinator answered without a query id');
  return { queryId, columns: columns ?? [], rows };
}

/**
 * The URL to poll. A coordinator builds nextUri from the request it got; behind a proxy or
 * with another external address it may name another host, so only its path is taken and it
 * is sent to the coordinator the monitor checks.
 */
function followable(base: URL, nextUri: string): string {
  const next = new URL(nextUri, base);
  return next.origin === base.origin ? next.href : new URL(`${next.pathname}${next.search}`, base.origin).href;
}

function withSlash(base: URL): URL {
  return base.pathname.endsWith('/') ? base : new URL(`${base.pathname}/`, base);
}

/** Best effort: the abandoned query would otherwise wait for Trino's client timeout. */
function cancel(http: HttpSession, nextUri: string, headers: Record<string, string>): void {
  http.send(nextUri, { method: 'DELETE', headers }, CANCEL_TIMEOUT_MS);
}

function readPage(check: CheckName, body: unknown): ResultsPage {
  if (body === null || typeof body !== 'object') throw new HealthCheckError(check, 'the coordinator answered a statement with something that is not QueryResults');
  const record = body as Record<string, unknown>;
  const stats = record.stats as Record<string, unknown> | undefined;
  const error = record.error as Record<string, unknown> | undefined;
  return {
    id: typeof record.id === 'string' ? record.id : undefined,
    nextUri: typeof record.nextUri === 'string' ? record.nextUri : undefined,
    columns: Array.isArray(record.columns)
      ? record.columns.map((c) => (c !== null && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string' ? (c as { name: string }).name : ''))
      : undefined,
    data: Array.isArray(record.data) ? record.data.filter((row): row is unknown[] => Array.isArray(row)) : [],
    state: typeof stats?.state === 'string' ? stats.state : undefined,
    error: error === undefined || error === null ? undefined : errorText(error),
  };
}

function errorText(error: Record<string, unknown>): string {
  const name = typeof error.errorName === 'string' ? error.errorName : 'error';
  const message = typeof error.message === 'string' ? error.message : 'no message';
  return `${name}: ${message}`;
}
