/**
 * One query's life on the coordinator: QUEUED (on the queued path) until dispatch, RUNNING
 * until every page has been handed out, then FINISHED; or FAILED (error, cancel, kill). Time
 * alone moves it from QUEUED to RUNNING and makes planned failures happen, so its state does
 * not depend on how often the client polls.
 *
 * Token rules are Trino's: the queued path accepts the token it last answered or the next one
 * (else 410); the executing path answers a repeat of the last token from its cache (a client
 * retry), 410 for older tokens and 404 for tokens it never issued.
 */
import { CANCELED, type TrinoFailure } from './errors.js';
import { Slug } from './ids.js';
import type { ExecutionPlan } from './plan.js';
import type { ProtocolName } from './protocol-headers.js';
import type { SegmentRef } from './spooling.js';

export type QueryState = 'QUEUED' | 'RUNNING' | 'FINISHED' | 'FAILED';

export interface QueryInit {
  readonly id: string;
  readonly sql: string;
  readonly user: string;
  readonly source?: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly protocol: ProtocolName;
  readonly headers: Record<string, string | string[]>;
  readonly plan: ExecutionPlan;
  readonly submittedAt: number;
  readonly queuedMs: number;
  readonly durationMs: number;
  /** Set when the client asked for the spooling protocol (X-Trino-Query-Data-Encoding). */
  readonly dataEncoding?: string;
}

/** One answer on the executing path, kept so a retried request gets the same answer. */
export interface ExecutingPage {
  readonly token: number;
  readonly kind: 'waiting' | 'data' | 'final';
  readonly state: QueryState;
  readonly rowStart: number;
  readonly rowEnd: number;
  readonly segment?: SegmentRef;
}

export type ExecutingLookup =
  | { readonly kind: 'repeat'; readonly page: ExecutingPage }
  | { readonly kind: 'next' }
  | { readonly kind: 'gone' }
  | { readonly kind: 'missing' };

/** Stores a page of rows as a spooled segment; returns its reference. */
export type Spooler = (rowOffset: number, rows: readonly (readonly unknown[])[]) => SegmentRef;

export class Query {
  readonly id: string;
  readonly sql: string;
  readonly user: string;
  readonly source: string | undefined;
  readonly catalog: string | undefined;
  readonly schema: string | undefined;
  readonly protocol: ProtocolName;
  readonly headers: Record<string, string | string[]>;
  readonly plan: ExecutionPlan;
  readonly dataEncoding: string | undefined;
  readonly slug = new Slug();
  readonly submittedAt: number;
  /** When it leaves the queue. */
  readonly dispatchAt: number;
  /** When its first data page (or its execution failure) is due. */
  readonly readyAt: number;

  /** HTTP requests about this query, the submission included. */
  requests = 1;
  /**
   * False until the first poll of the queued nextUri: the POST only registers a query.
   * Follows core/trino-main/.../dispatcher/QueuedStatementResource.java (Query.submitIfNeeded).
   */
  created = false;
  cancelled = false;
  failure: TrinoFailure | undefined;
  endedAt: number | undefined;

  private lastQueuedToken = 0;
  private lastPage: ExecutingPage | undefined;
  private rowsSent = 0;
  private pagesSent = 0;

  constructor(init: QueryInit) {
    this.id = init.id;
    this.sql = init.sql;
    this.user = init.user;
    this.source = init.source;
    this.catalog = init.catalog;
    this.schema = init.schema;
    this.protocol = init.protocol;
    this.headers = init.headers;
    this.plan = init.plan;
    this.dataEncoding = init.dataEncoding;
    this.submittedAt = init.submittedAt;
    this.dispatchAt = init.submittedAt + init.queuedMs;
    this.readyAt = init.submittedAt + Math.max(init.durationMs, init.queuedMs);
  }

  /** The first queued poll creates and dispatches the query (Query.submitIfNeeded). */
  createIfNeeded(): void {
    this.created = true;
  }

  get done(): boolean {
    return this.endedAt !== undefined;
  }

  get rowsDelivered(): number {
    return this.rowsSent;
  }

  get pagesDelivered(): number {
    return this.pagesSent;
  }

  /** Applies what happens with time alone: planned failures fall due. */
  refresh(now: number): void {
    const planned = this.plan.failure;
    if (this.done || planned === undefined) return;
    if (now >= (planned.phase === 'dispatch' ? this.dispatchAt : this.readyAt)) this.fail(planned.failure, now);
  }

  state(now: number): QueryState {
    this.refresh(now);
    if (this.failure !== undefined) return 'FAILED';
    if (this.endedAt !== undefined) return 'FINISHED';
    return now < this.dispatchAt ? 'QUEUED' : 'RUNNING';
  }

  /** Fails the query unless it already ended; true if this call failed it. */
  fail(failure: TrinoFailure, now: number): boolean {
    if (this.done) return false;
    this.failure = failure;
    this.endedAt = now;
    return true;
  }

  cancel(now: number): boolean {
    this.refresh(now);
    const failed = this.fail(CANCELED, now);
    if (failed) this.cancelled = true;
    return failed;
  }

  /** Milliseconds until the state can change on its own (0 if now or never). */
  msUntilDispatch(now: number): number {
    return this.done ? 0 : Math.max(0, this.dispatchAt - now);
  }

  msUntilReady(now: number): number {
    return this.done ? 0 : Math.max(0, this.readyAt - now);
  }

  // ---- queued path ----

  /** Accepts the token last answered or the next one, as Trino does; false means 410 Gone. */
  takeQueuedToken(token: number): boolean {
    if (token !== this.lastQueuedToken && token !== this.lastQueuedToken + 1) return false;
    this.lastQueuedToken = token;
    return true;
  }

  // ---- executing path ----

  lookupExecuting(token: number): ExecutingLookup {
    const last = this.lastPage;
    if (last === undefined) return token === 0 ? { kind: 'next' } : { kind: 'missing' };
    if (token === last.token) return { kind: 'repeat', page: last };
    if (token < last.token) return { kind: 'gone' };
    if (last.kind === 'final' || token !== last.token + 1) return { kind: 'missing' };
    return { kind: 'next' };
  }

  /** Produces the answer for `token`, which lookupExecuting said is the next one. */
  nextPage(token: number, now: number, rowsPerPage: number, spool: Spooler | undefined): ExecutingPage {
    this.refresh(now);
    let page: ExecutingPage;
    if (this.failure !== undefined) {
      page = { token, kind: 'final', state: 'FAILED', rowStart: this.rowsSent, rowEnd: this.rowsSent };
    } else if (now < this.readyAt) {
      page = { token, kind: 'waiting', state: this.state(now), rowStart: this.rowsSent, rowEnd: this.rowsSent };
    } else {
      const total = this.plan.rows.count();
      if (this.rowsSent < total) {
        const rowStart = this.rowsSent;
        const rowEnd = Math.min(total, rowStart + Math.max(1, rowsPerPage));
        const segment = spool?.(rowStart, this.plan.rows.slice(rowStart, rowEnd));
        page = { token, kind: 'data', state: 'RUNNING', rowStart, rowEnd, ...(segment === undefined ? {} : { segment }) };
        this.rowsSent = rowEnd;
        this.pagesSent++;
      } else {
        this.endedAt = now;
        page = { token, kind: 'final', state: 'FINISHED', rowStart: total, rowEnd: total };
      }
    }
    this.lastPage = page;
    return page;
  }
}
