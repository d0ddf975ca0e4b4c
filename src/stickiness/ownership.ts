/**
 * Who owns what, in memory: query id -> backend, coordinator id -> backend, transaction id ->
 * backend. Lookups on the request path read only these maps. Every change is also handed to
 * `onChange` so an edge can persist it in batches (write-behind), off the request path.
 */
import { AgedMap } from './aged-map.js';

export type LearnedBy = 'response' | 'probe';

export type OwnershipChange =
  | { readonly kind: 'query'; readonly queryId: string; readonly backend: string; readonly learnedBy: LearnedBy; readonly at: number }
  | { readonly kind: 'coordinator'; readonly coordinatorId: string; readonly backend: string; readonly at: number }
  | { readonly kind: 'transaction_started'; readonly transactionId: string; readonly backend: string; readonly at: number }
  | { readonly kind: 'transaction_ended'; readonly transactionId: string; readonly at: number }
  /** An OAuth2 login a cluster challenged (its auth id's hash, src/trino/login-flows.ts). */
  | { readonly kind: 'login_flow'; readonly authIdHash: string; readonly backend: string; readonly at: number };

export interface OwnershipLimits {
  readonly maxQueries: number;
  readonly retentionMs: number;
  /** Transactions left open longer than this are forgotten. */
  readonly transactionRetentionMs: number;
  /** Login flows remembered at most (routing.loginFlows.maxEntries). */
  readonly maxLoginFlows?: number;
  /** A login flow is forgotten after this long (routing.loginFlows.challengeTimeoutMinutes). */
  readonly loginFlowRetentionMs?: number;
}

/** Trino's http-server.authentication.oauth2.challenge-timeout default. */
export const DEFAULT_LOGIN_FLOW_RETENTION_MS = 15 * 60_000;
export const DEFAULT_MAX_LOGIN_FLOWS = 100_000;

export interface OwnershipSizes {
  readonly queries: number;
  readonly coordinators: number;
  readonly transactions: number;
  readonly loginFlows: number;
}

/**
 * V8 keeps the whole parent string alive behind a substring; ids cut out of a response body
 * are copied so a remembered id costs its own bytes only.
 */
function ownCopy(id: string): string {
  return Buffer.from(id, 'latin1').toString('latin1');
}

export class OwnershipIndex {
  private readonly queries: AgedMap<string>;
  private readonly coordinators = new Map<string, string>();
  private readonly transactions = new Map<string, { backend: string; at: number }>();
  /**
   * Queries whose submission carried a transaction header: their polls are watched for
   * Started/Clear-Transaction-Id, which Trino sends with a later page, not the first.
   */
  /** Queries whose polls are watched for a transaction starting or ending -> the transaction they run in ('' none). */
  private readonly transactionWatch: AgedMap<string>;
  /** OAuth2 login flows: auth id hash -> the cluster that challenged, and when. */
  private readonly loginFlows: AgedMap<{ readonly backend: string; readonly at: number }>;
  private readonly loginFlowRetentionMs: number;
  /** Interned backend names so a million entries share a handful of strings. */
  private readonly backendNames = new Map<string, string>();

  constructor(
    private readonly limits: OwnershipLimits,
    private readonly onChange: (change: OwnershipChange) => void = () => {},
  ) {
    this.queries = new AgedMap(limits.maxQueries, limits.retentionMs);
    this.transactionWatch = new AgedMap(Math.min(limits.maxQueries, 100_000), limits.transactionRetentionMs);
    this.loginFlowRetentionMs = limits.loginFlowRetentionMs ?? DEFAULT_LOGIN_FLOW_RETENTION_MS;
    this.loginFlows = new AgedMap(limits.maxLoginFlows ?? DEFAULT_MAX_LOGIN_FLOWS, this.loginFlowRetentionMs);
  }

  /** The cluster an OAuth2 login flow belongs to; undefined when unknown or past the challenge timeout. */
  loginFlowOwner(authIdHash: string, nowMs: number): string | undefined {
    const flow = this.loginFlows.get(authIdHash);
    return flow === undefined || nowMs - flow.at > this.loginFlowRetentionMs ? undefined : flow.backend;
  }

  /** Whether a flow learned at `at` is still within the challenge timeout. */
  loginFlowCurrent(at: number, nowMs: number): boolean {
    return nowMs - at <= this.loginFlowRetentionMs;
  }

  /** A cluster's OAuth2 challenge: every step of that login goes there. The first owner stays. */
  learnLoginFlow(authIdHash: string, backend: string, nowMs: number): void {
    const name = this.intern(backend);
    const hash = ownCopy(authIdHash);
    if (this.loginFlows.add(hash, { backend: name, at: nowMs }, nowMs)) {
      this.onChange({ kind: 'login_flow', authIdHash: hash, backend: name, at: nowMs });
    }
  }

  private intern(backend: string): string {
    let name = this.backendNames.get(backend);
    if (name === undefined) {
      name = ownCopy(backend);
      this.backendNames.set(name, name);
    }
    return name;
  }

  queryOwner(queryId: string): string | undefined {
    return this.queries.get(queryId);
  }

  coordinatorOwner(coordinatorId: string): string | undefined {
    return this.coordinators.get(coordinatorId);
  }

  transactionOwner(transactionId: string): string | undefined {
    return this.transactions.get(transactionId)?.backend;
  }

  learnQuery(queryId: string, backend: string, learnedBy: LearnedBy, nowMs: number): void {
    const name = this.intern(backend);
    const id = ownCopy(queryId);
    if (this.queries.add(id, name, nowMs)) {
      this.onChange({ kind: 'query', queryId: id, backend: name, learnedBy, at: nowMs });
    }
  }

  learnCoordinator(coordinatorId: string, backend: string, nowMs: number): void {
    const name = this.intern(backend);
    if (this.coordinators.get(coordinatorId) === name) return;
    const id = ownCopy(coordinatorId);
    this.coordinators.set(id, name);
    this.onChange({ kind: 'coordinator', coordinatorId: id, backend: name, at: nowMs });
  }

  startTransaction(transactionId: string, backend: string, nowMs: number): void {
    const name = this.intern(backend);
    const id = ownCopy(transactionId);
    this.transactions.set(id, { backend: name, at: nowMs });
    this.onChange({ kind: 'transaction_started', transactionId: id, backend: name, at: nowMs });
  }

  endTransaction(transactionId: string, nowMs: number): void {
    if (this.transactions.delete(transactionId)) {
      this.onChange({ kind: 'transaction_ended', transactionId, at: nowMs });
    }
  }

  /**
   * Watches the query's polls for Started-/Clear-Transaction-Id. `transactionId`: the one it
   * runs in (a COMMIT's or ROLLBACK's), which a Clear-Transaction-Id on a poll ends: the Java
   * client sends the transaction header on submissions only.
   */
  watchTransactions(queryId: string, nowMs: number, transactionId?: string): void {
    this.transactionWatch.add(ownCopy(queryId), transactionId ?? '', nowMs);
  }

  watchesTransactions(queryId: string): boolean {
    return this.transactionWatch.get(queryId) !== undefined;
  }

  /** The transaction a watched query runs in, if any. */
  watchedTransaction(queryId: string): string | undefined {
    const transactionId = this.transactionWatch.get(queryId);
    return transactionId === undefined || transactionId === '' ? undefined : transactionId;
  }

  /** Loads remembered state (at start) without reporting it as new. */
  restore(state: {
    readonly queries?: Iterable<{ queryId: string; backend: string; at: number }>;
    readonly coordinators?: Iterable<{ coordinatorId: string; backend: string }>;
    readonly transactions?: Iterable<{ transactionId: string; backend: string; at: number }>;
    readonly loginFlows?: Iterable<{ authIdHash: string; backend: string; at: number }>;
  }): void {
    for (const q of state.queries ?? []) this.queries.add(q.queryId, this.intern(q.backend), q.at);
    for (const c of state.coordinators ?? []) this.coordinators.set(c.coordinatorId, this.intern(c.backend));
    for (const t of state.transactions ?? []) this.transactions.set(t.transactionId, { backend: this.intern(t.backend), at: t.at });
    for (const f of state.loginFlows ?? []) this.loginFlows.add(f.authIdHash, { backend: this.intern(f.backend), at: f.at }, f.at);
  }

  /**
   * Applies what another replica learned (announced by the store), without reporting it as
   * new: that replica has persisted it already.
   */
  applyPeerChanges(changes: Iterable<OwnershipChange>): void {
    for (const change of changes) {
      switch (change.kind) {
        case 'query':
          this.queries.add(ownCopy(change.queryId), this.intern(change.backend), change.at);
          break;
        case 'coordinator':
          this.coordinators.set(ownCopy(change.coordinatorId), this.intern(change.backend));
          break;
        case 'transaction_started':
          this.transactions.set(ownCopy(change.transactionId), { backend: this.intern(change.backend), at: change.at });
          break;
        case 'transaction_ended':
          this.transactions.delete(change.transactionId);
          break;
        case 'login_flow':
          this.loginFlows.add(ownCopy(change.authIdHash), { backend: this.intern(change.backend), at: change.at }, change.at);
          break;
      }
    }
  }

  /**
   * Makes the open transactions exactly `open` (another replica may have ended some). Only
   * safe once this index's own changes are persisted, so they are part of `open`.
   */
  replaceTransactions(open: Iterable<{ transactionId: string; backend: string; at: number }>): void {
    this.transactions.clear();
    for (const t of open) this.transactions.set(t.transactionId, { backend: this.intern(t.backend), at: t.at });
  }

  /** Forgets what is past retention. Returns how many query ids were dropped. */
  prune(nowMs: number): number {
    for (const [id, t] of this.transactions) {
      if (nowMs - t.at > this.limits.transactionRetentionMs) this.transactions.delete(id);
    }
    this.transactionWatch.prune(nowMs);
    this.loginFlows.prune(nowMs);
    return this.queries.prune(nowMs);
  }

  sizes(): OwnershipSizes {
    return { queries: this.queries.size, coordinators: this.coordinators.size, transactions: this.transactions.size, loginFlows: this.loginFlows.size };
  }
}
