/**
 * The coordinator's state, apart from HTTP: its identity, node state, the queries it knows,
 * open transactions, spooled segments and the request log. A restart replaces the identity
 * and forgets queries, transactions and segments.
 */
import { OAuth2Exchange } from './oauth2.js';
import type { AuthenticationSettings } from './authentication.js';
import { killedFailure, type TrinoFailure } from './errors.js';
import { isValidCoordinatorId, newNodeId, QueryIdGenerator, randomCoordinatorId } from './ids.js';
import { planStatement, type KillOutcome, type RuntimeQueryRow } from './plan.js';
import type { ProtocolName } from './protocol-headers.js';
import { Query, type QueryState } from './queries.js';
import { SegmentStore, type SpoolingSettings } from './spooling.js';
import { parseSql } from './sql.js';
import { UiSessions } from './ui-login.js';

/**
 * What GET /v1/info/state can say of a coordinator. Follows
 * core/trino-main/src/main/java/io/trino/server/NodeStateManager.java: a coordinator refuses
 * SHUTTING_DOWN and DRAINING, so it never reports them (only workers do).
 */
export type NodeState = 'ACTIVE' | 'INACTIVE';

export interface CoordinatorSettings {
  readonly name: string;
  readonly version: string;
  readonly defaultRows: number;
  readonly rowsPerPage: number;
  readonly defaultDurationMs: number;
  readonly pollIntervalMs: number;
  readonly queuedMsByUser: Readonly<Record<string, number>>;
  readonly spooling: SpoolingSettings;
  /** A registered query never polled is dropped after this long (Trino: 5 minutes). */
  readonly abandonUnpolledMs: number;
  /** protocol.v1.alternate-header-name: X-Presto-* headers are read only when set. */
  readonly alternateHeaderName: ProtocolName | undefined;
  /** http-server.compression.enabled: gzip for clients that accept it. */
  readonly compression: boolean;
  /** A password authenticator over https: Basic passwords accepted (unchecked). */
  readonly acceptPasswords: boolean;
  /** http-server.authentication.*: the authenticators; absent: the insecure one only. */
  readonly authentication?: AuthenticationSettings | undefined;
  /** web-ui.shared-secret: UI tokens every coordinator with the same secret accepts. */
  readonly webUiSharedSecret?: string | undefined;
}

export interface Submission {
  readonly sql: string;
  readonly user: string;
  readonly source?: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly protocol: ProtocolName;
  readonly headers: Record<string, string | string[]>;
  readonly transactionHeader: string | undefined;
  readonly dataEncoding: string | undefined;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
}

export class Coordinator {
  readonly nodeId = newNodeId();
  state: NodeState = 'ACTIVE';
  starting: boolean;
  processForwarded: boolean;
  startedAt = Date.now();
  readonly segments = new SegmentStore();
  readonly uiSessions: UiSessions;
  /** OAUTH2's pending logins, in this coordinator only; undefined without OAUTH2. */
  readonly oauth2: OAuth2Exchange | undefined;
  readonly transactions = new Set<string>();
  readonly requestLog: LoggedRequest[] = [];
  private readonly queryMap = new Map<string, Query>();
  /** The most queries running at once (see noteCreated). */
  maxConcurrent = 0;
  private ids: QueryIdGenerator;

  constructor(readonly settings: CoordinatorSettings, coordinatorId: string | undefined, starting: boolean, processForwarded: boolean) {
    if (coordinatorId !== undefined && !isValidCoordinatorId(coordinatorId)) {
      throw new Error(`coordinatorId must be 5 characters from a-z and 2-9 without l, o, 0, 1: got ${JSON.stringify(coordinatorId)}`);
    }
    this.ids = new QueryIdGenerator(coordinatorId ?? randomCoordinatorId());
    this.uiSessions = new UiSessions(settings.webUiSharedSecret);
    const oauth2 = settings.authentication?.oauth2;
    this.oauth2 = oauth2 === undefined || !settings.authentication?.types.includes('OAUTH2') ? undefined : new OAuth2Exchange(oauth2);
    this.starting = starting;
    this.processForwarded = processForwarded;
  }

  get coordinatorId(): string {
    return this.ids.coordinatorId;
  }

  set coordinatorId(id: string) {
    if (!isValidCoordinatorId(id)) throw new Error(`invalid coordinatorId ${JSON.stringify(id)}`);
    this.ids.coordinatorId = id;
  }

  /** A new coordinator process on the same address: new id, nothing remembered. */
  restart(): void {
    this.ids = new QueryIdGenerator(randomCoordinatorId());
    this.queryMap.clear();
    this.transactions.clear();
    this.segments.clear();
    this.uiSessions.rotate();
    this.oauth2?.restart();
    this.startedAt = Date.now();
  }

  submit(submission: Submission, now = Date.now()): Query {
    const parsed = parseSql(submission.sql);
    const plan = planStatement(parsed, {
      clusterName: this.settings.name,
      defaultRows: this.settings.defaultRows,
      starting: this.starting,
      transactionHeader: submission.transactionHeader,
      transactions: this.transactions,
      runtimeQueries: () => this.runtimeQueries(),
      killQuery: (id, message) => this.kill(id, killedFailure(message)),
    });
    const query = new Query({
      id: this.ids.next(),
      sql: submission.sql,
      user: submission.user,
      protocol: submission.protocol,
      headers: submission.headers,
      plan,
      submittedAt: now,
      queuedMs: parsed.hints.queuedMs ?? this.settings.queuedMsByUser[submission.user] ?? 0,
      durationMs: parsed.hints.durationMs ?? this.settings.defaultDurationMs,
      ...(submission.source === undefined ? {} : { source: submission.source }),
      ...(submission.catalog === undefined ? {} : { catalog: submission.catalog }),
      ...(submission.schema === undefined ? {} : { schema: submission.schema }),
      ...(submission.dataEncoding === undefined ? {} : { dataEncoding: submission.dataEncoding }),
    });
    this.queryMap.set(query.id, query);
    return query;
  }

  /**
   * A query the statement paths know: registered by its POST or created since. A registration
   * never polled is forgotten after abandonUnpolledMs (QueuedStatementResource's purger).
   */
  query(id: string, now = Date.now()): Query | undefined {
    const query = this.queryMap.get(id);
    if (query !== undefined && !query.created && now - query.submittedAt > this.settings.abandonUnpolledMs) {
      this.queryMap.delete(id);
      return undefined;
    }
    return query;
  }

  /** A query the dispatcher knows (/v1/query, kill, system.runtime.queries): created by its first poll. */
  createdQuery(id: string): Query | undefined {
    const query = this.queryMap.get(id);
    return query?.created === true ? query : undefined;
  }

  /** Every query, registered or created (for test inspection). */
  queries(): Query[] {
    return [...this.queryMap.values()];
  }

  /**
   * Samples the queries running now, at a query's creation (the only moment the count grows):
   * created, not ended; the health monitor's system.runtime queries are left out.
   */
  noteCreated(now = Date.now()): void {
    let running = 0;
    for (const q of this.queryMap.values()) {
      if (q.created && q.state(now) !== 'FINISHED' && q.state(now) !== 'FAILED' && !q.sql.includes('system.runtime')) running++;
    }
    if (running > this.maxConcurrent) this.maxConcurrent = running;
  }

  /** Queries the dispatcher knows, as /v1/query and system.runtime.queries list them. */
  createdQueries(): Query[] {
    return this.queries().filter((q) => q.created);
  }

  /** Fails a running query for an administrator (kill_query, PUT .../killed|preempted). */
  kill(id: string, failure: TrinoFailure, now = Date.now()): KillOutcome {
    const query = this.createdQuery(id);
    if (query === undefined) return 'not-found';
    query.refresh(now);
    return query.fail(failure, now) ? 'killed' : 'not-running';
  }

  runtimeQueries(now = Date.now()): RuntimeQueryRow[] {
    return this.createdQueries().map((q) => ({ queryId: q.id, state: q.state(now), user: q.user }));
  }

  countByState(now = Date.now()): Record<QueryState, number> {
    const counts: Record<QueryState, number> = { QUEUED: 0, RUNNING: 0, FINISHED: 0, FAILED: 0 };
    for (const q of this.createdQueries()) counts[q.state(now)]++;
    return counts;
  }
}
