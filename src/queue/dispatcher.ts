/**
 * The dispatcher (an edge with timers and HTTP): when a slot frees, it claims the next queued
 * query of a group (highest priority, then oldest), submits it to the chosen cluster itself
 * with the client's headers and body as received, creates it there with the first poll (Trino
 * only registers a POSTed query; the first queued poll dispatches it, so the cluster counts it
 * from then on), learns who owns the query, and keeps the cluster's answer for the client's
 * next poll of the router path. One admission pass at a time in the fleet (QueueStore.lockPass).
 */
import type { Logger } from 'pino';
import { admit, type AdmissionRequest } from '../routing/admission.js';
import type { BackendConditions } from '../routing/engine.js';
import type { Backend } from '../routing/model.js';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import type { StrategyState } from '../routing/strategies.js';
import { signRoutePrefix, splitPrefixedPath, type PrefixKeyring } from '../stickiness/route-prefix.js';
import { parseQueryResultsHead } from '../trino/query-results-head.js';
import { failedQueryResultsJson, QUERY_REJECTED, QUERY_RESULTS_CONTENT_TYPE } from '../trino/query-results.js';
import { coordinatorIdOf } from '../trino/query-id.js';
import type { EntrySignals } from './entry-signals.js';
import { queuedQueryId } from './gateway-queue.js';
import type { ClaimedEntry, QueueEntry, QueueStore } from './queue-store.js';
import { earliestCountFrom, PassCounts } from './running-counts.js';
import { openRequest, SealError, type HeldRequest } from './sealed-request.js';
import { encodeAnswer, type StoredAnswer } from './stored-answer.js';

/** What the dispatcher tells about each query it handed over or lost. */
export interface DispatchEvent {
  readonly entry: QueueEntry;
  readonly outcome: 'dispatched' | 'failed';
  readonly backend: string | undefined;
  readonly queryId: string | undefined;
  /** From queueing to hand-over (or to the end). */
  readonly waitedMs: number;
}

/** Where the dispatcher records the owners it learns (the ownership index). */
export interface OwnerLearner {
  learnQuery(queryId: string, backend: string, learnedBy: 'response', nowMs: number): void;
  learnCoordinator(coordinatorId: string, backend: string, nowMs: number): void;
}

export interface DispatcherOptions {
  readonly store: QueueStore;
  readonly keyring: PrefixKeyring;
  readonly snapshot: () => RoutingSnapshot;
  readonly conditions: () => BackendConditions;
  readonly strategy: StrategyState;
  readonly owners: OwnerLearner;
  readonly signals: EntrySignals;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug' | 'error'>;
  /** This replica's name in claims. */
  readonly replica: string;
  readonly intervalMs: number;
  readonly leaseMs: number;
  /** A waiting query not polled for this long is dropped (Trino's query.client.timeout, 5 min). */
  readonly clientTimeoutMs: number;
  readonly graceMs: number;
  readonly submitTimeoutMs: number;
  /** Ended entries are deleted this long after they ended. */
  readonly retentionMs: number;
  readonly now: () => number;
  readonly fetch?: typeof fetch;
  readonly onEvent?: (event: DispatchEvent) => void;
}

/** Heads of one group looked at per pass (the queue order decides, so only the first few matter). */
const HEADS_PER_PASS = 64;
const PRUNE_EVERY_MS = 60_000;

export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private lastPrune = 0;
  private waitingNow: ReadonlyMap<string, number> = new Map();

  constructor(private readonly options: DispatcherOptions) {}

  start(): this {
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Runs a pass now (or right after the one under way): a query was queued, or a slot may have freed. */
  kick(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'the gateway queue could not dispatch now; it tries again at the next tick'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Queries waiting per group in the whole fleet, as the last pass read them (metrics, status). */
  waiting(): ReadonlyMap<string, number> {
    return this.waitingNow;
  }

  /** Resolves when no pass is under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.idle();
  }

  private async pass(): Promise<void> {
    const { store, now, clientTimeoutMs } = this.options;
    const started = now();
    for (const id of await store.dropAbandoned(started - clientTimeoutMs, started)) {
      this.options.signals.notify(id);
      this.options.logger.info({ entry: id }, 'queued query dropped: its client stopped polling');
    }
    if (started - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = started;
      await store.prune(started - this.options.retentionMs);
    }
    const waiting = await store.waitingGroups(started);
    this.waitingNow = waiting;
    if (waiting.size === 0) return;
    const groups = [...waiting.keys()];
    const release = await store.lockPass();
    // Another replica admits now; the next tick looks again.
    if (release === undefined) return;
    try {
      await this.admitAll(groups);
    } finally {
      await release();
    }
  }

  private async admitAll(groups: readonly string[]): Promise<void> {
    const { store, now, graceMs } = this.options;
    const snapshot = this.options.snapshot();
    const conditions = this.options.conditions();
    const at = now();
    const counts = new PassCounts({ conditions, admitted: await store.admittedSince(earliestCountFrom(conditions, at, graceMs), at), now: at, graceMs });
    for (const group of groups) {
      for (const entry of await store.waiting(group, at, HEADS_PER_PASS)) {
        const request: AdmissionRequest = { group: entry.group, rule: entry.rule, user: entry.user, userLimit: entry.userLimit };
        const admission = admit(snapshot, request, conditions, counts, this.options.strategy);
        if (!admission.admit) {
          // A user at their own limit does not hold back the others; any other reason holds the whole group (FIFO).
          if (admission.reason === 'user_limit') continue;
          break;
        }
        const claimed = await store.claim(entry.id, this.options.replica, now(), now() + this.options.leaseMs, admission.backend);
        if (claimed === undefined) continue;
        counts.add(admission.backend, entry.rule, entry.user);
        const backend = snapshot.backends.get(admission.backend);
        if (backend === undefined) continue;
        // One at a time: queries reach their clusters in queue order (FIFO within a priority).
        await this.submit(claimed, backend);
      }
    }
  }

  /** Submits a claimed entry; never rejects (a failure gives the claim back or fails the entry). */
  private async submit(entry: ClaimedEntry, backend: Backend): Promise<void> {
    const { store, replica, logger } = this.options;
    let held: HeldRequest;
    try {
      held = openRequest(this.options.keyring, entry.request);
    } catch (error) {
      const message = error instanceof SealError ? error.message : String(error);
      await this.failEntry(entry, `The router could not submit the queued query: ${message}`).catch(() => undefined);
      return;
    }
    try {
      const answer = await this.handOver(held, backend);
      if (answer.kind === 'retry') {
        logger.warn({ entry: entry.id, backend: backend.name, reason: answer.reason }, 'queued query not submitted: the cluster did not take it; it stays queued');
        await store.release(entry.id, replica);
        return;
      }
      const at = this.options.now();
      if (answer.queryId !== undefined) {
        this.options.owners.learnQuery(answer.queryId, backend.name, 'response', at);
        const coordinatorId = coordinatorIdOf(answer.queryId);
        if (coordinatorId !== undefined) this.options.owners.learnCoordinator(coordinatorId, backend.name, at);
      }
      const handed = await store.dispatched(entry.id, replica, {
        backend: backend.name, queryId: answer.queryId ?? queuedQueryId(entry.id), answer: encodeAnswer(answer.answer), at,
      });
      if (!handed) {
        // Cancelled (or taken over) while it was being submitted: the cluster must not run it.
        if (answer.cancelUrl !== undefined) await this.cancelOnCluster(answer.cancelUrl, held);
        return;
      }
      this.options.signals.notify(entry.id);
      this.options.onEvent?.({ entry, outcome: 'dispatched', backend: backend.name, queryId: answer.queryId, waitedMs: at - entry.enqueuedAt });
    } catch (error) {
      logger.warn({ err: error, entry: entry.id, backend: backend.name }, 'queued query not submitted; it stays queued');
      await store.release(entry.id, replica).catch(() => undefined);
    }
  }

  private async failEntry(entry: ClaimedEntry, message: string): Promise<void> {
    const at = this.options.now();
    const body = failedQueryResultsJson({ queryId: queuedQueryId(entry.id), message, error: QUERY_REJECTED });
    await this.options.store.fail(entry.id, this.options.replica, encodeAnswer({ status: 200, contentType: QUERY_RESULTS_CONTENT_TYPE, body }), at);
    this.options.signals.notify(entry.id);
    this.options.onEvent?.({ entry, outcome: 'failed', backend: undefined, queryId: undefined, waitedMs: at - entry.enqueuedAt });
  }

  /**
   * POST the submission, then GET its first nextUri so the cluster creates the query; the
   * client gets the last answer. 502-504 and 429 (and a network failure) leave it queued.
   */
  private async handOver(held: HeldRequest, backend: Backend): Promise<
    | { kind: 'answer'; answer: StoredAnswer; queryId: string | undefined; cancelUrl: string | undefined }
    | { kind: 'retry'; reason: string }
  > {
    const headers = this.requestHeaders(held, backend);
    const base = backend.url.replace(/\/+$/, '');
    const posted = await this.call(`${base}/v1/statement`, { method: 'POST', headers, body: held.body });
    if (posted.status === 429 || (posted.status >= 502 && posted.status <= 504)) return { kind: 'retry', reason: `HTTP ${posted.status}` };
    const head = posted.status === 200 ? parseQueryResultsHead(Buffer.from(posted.body, 'utf8')) : undefined;
    const queryId = head?.id;
    const nextUri = head?.nextUri;
    if (nextUri === undefined) return { kind: 'answer', answer: posted, queryId, cancelUrl: undefined };
    const pollUrl = backendUrlOf(base, nextUri);
    if (pollUrl === undefined) return { kind: 'answer', answer: posted, queryId, cancelUrl: undefined };
    const pollHeaders = headers.filter(([name]) => name !== 'content-type' && name !== 'content-encoding');
    let polled: StoredAnswer;
    try {
      polled = await this.call(pollUrl, { method: 'GET', headers: pollHeaders });
    } catch (error) {
      await this.cancelQuietly(pollUrl, pollHeaders);
      return { kind: 'retry', reason: `the first poll failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    // Handed over only once the cluster created the query: the running counts rely on it (a
    // query the client would create later could be missed by a load count taken meanwhile).
    if (polled.status !== 200) {
      await this.cancelQuietly(pollUrl, pollHeaders);
      return { kind: 'retry', reason: `the first poll answered HTTP ${polled.status}` };
    }
    const next = parseQueryResultsHead(Buffer.from(polled.body, 'utf8'))?.nextUri;
    return { kind: 'answer', answer: polled, queryId, cancelUrl: next === undefined ? undefined : backendUrlOf(base, next) };
  }

  /** The client's headers, with the forwarding headers Envoy would have set, so the cluster's URIs lead back through Envoy. */
  private requestHeaders(held: HeldRequest, backend: Backend): [string, string][] {
    const origin = new URL(held.origin);
    const headers: [string, string][] = held.headers.map(([name, value]) => [name, value]);
    headers.push(['x-forwarded-proto', origin.protocol.replace(/:$/, '')], ['x-forwarded-host', origin.host]);
    if (backend.prefixRouting) headers.push(['x-forwarded-prefix', signRoutePrefix(this.options.keyring, backend.name, this.options.now() / 1000)]);
    return headers;
  }

  private async call(url: string, init: { method: string; headers: [string, string][]; body?: Uint8Array }): Promise<StoredAnswer> {
    const fetcher = this.options.fetch ?? fetch;
    const response = await fetcher(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: Buffer.from(init.body) }),
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.submitTimeoutMs),
    });
    return { status: response.status, contentType: response.headers.get('content-type') ?? 'text/plain', body: await response.text() };
  }

  /** DELETE of a registered query's queued URI (Trino: it then never runs); failures ignored. */
  private async cancelQuietly(url: string, headers: [string, string][]): Promise<void> {
    try {
      await this.call(url, { method: 'DELETE', headers });
    } catch {
      // Never polled, a registered query is dropped by Trino after its client timeout anyway.
    }
  }

  private async cancelOnCluster(url: string, held: HeldRequest): Promise<void> {
    const headers = held.headers.filter(([name]) => name !== 'content-type' && name !== 'content-encoding').map(([n, v]): [string, string] => [n, v]);
    try {
      await this.call(url, { method: 'DELETE', headers });
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not cancel a query on its cluster after its client cancelled it in the queue');
    }
  }
}

/** A URI the cluster handed out (through Envoy, maybe with a route prefix) as the cluster's own URL. */
function backendUrlOf(base: string, uri: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return undefined;
  }
  const path = `${parsed.pathname}${parsed.search}`;
  const prefixed = splitPrefixedPath(path);
  return `${base}${prefixed === undefined ? path : prefixed.rest}`;
}
