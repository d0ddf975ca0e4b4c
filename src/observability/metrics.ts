/**
 * Every Prometheus metric the router exports, in one place, on its own registry (plus the
 * standard Node.js process metrics). Traffic is counted on the request path through the
 * EdgeObserver and the query listener: a few map lookups and number increments per request
 * (metric-cells.ts), no I/O. Everything else (backend health and load, ownership map sizes,
 * write-behind queues) is read from its source only when Prometheus scrapes. Label values are bounded: backend, group and rule
 * names come from the operator's config, reasons and kinds from code, and every free-form
 * value passes a BoundedLabel; query ids and users are never labels.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DispatchEvent } from '../queue/dispatcher.js';
import type { Logger } from 'pino';
import type { Edge, EdgeObserver } from '../envoy/edge-observer.js';
import type { BackendState, BackendStatus, HealthStatusSource } from '../health/status.js';
import type { HistoryPruneCounts } from '../history/query-history.js';
import { MECHANISMS, type Mechanism } from '../routing/decision.js';
import type { QuerySubmitted, RequestContext } from '../routing/request-router.js';
import { FORWARDED } from '../routing/replies.js';
import type { WriteBehindStats } from '../runtime/write-behind.js';
import type { OwnershipSizes } from '../stickiness/ownership.js';
import type { XdsObserver } from '../xds/observer.js';
import type { ConfigFileStatusSource } from '../config-watch/status.js';
import type { XdsType } from '../xds/resources.js';
import type { UnreadBodyReason } from '../trino/body-encoding.js';
import { UNKNOWN_REASONS, type StatementOutcome } from '../statement/facts.js';
import { BoundedLabel } from './bounded-label.js';
import { CellHistogram, CellTree, type CountCell, type HistogramCell, type Labels } from './metric-cells.js';

export const METRIC_PREFIX = 'trino_router_';

/** The names this module registers (the process metrics of prom-client come on top). */
export const METRIC_NAMES = {
  routingDecisions: 'trino_router_routing_decisions_total',
  decisionDuration: 'trino_router_decision_duration_seconds',
  streamsActive: 'trino_router_edge_streams_active',
  streamsTotal: 'trino_router_edge_streams_total',
  edgeErrors: 'trino_router_edge_errors_total',
  queriesSubmitted: 'trino_router_queries_submitted_total',
  backendState: 'trino_router_backend_state',
  backendRunning: 'trino_router_backend_running_queries',
  backendQueued: 'trino_router_backend_queued_queries',
  backendLoadScore: 'trino_router_backend_load_score',
  ownershipEntries: 'trino_router_ownership_entries',
  adminCalls: 'trino_router_admin_calls_total',
  writeBehindPending: 'trino_router_write_behind_pending',
  writeBehindWritten: 'trino_router_write_behind_written_total',
  writeBehindFailures: 'trino_router_write_behind_failures_total',
  writeBehindDropped: 'trino_router_write_behind_dropped_total',
  historyPruned: 'trino_router_history_pruned_rows_total',
  xdsStreams: 'trino_router_xds_streams_active',
  xdsResponses: 'trino_router_xds_responses_total',
  xdsAcks: 'trino_router_xds_acks_total',
  xdsNacks: 'trino_router_xds_nacks_total',
  healthLeader: 'trino_router_health_leader',
  storeFeedConnected: 'trino_router_store_feed_connected',
  responseBodiesUnread: 'trino_router_response_bodies_unread_total',
  statementsRead: 'trino_router_statements_read_total',
  configFileRevision: 'trino_router_config_file_applied_revision',
  configFileAppliedAt: 'trino_router_config_file_applied_timestamp_seconds',
  configFileRejections: 'trino_router_config_file_rejections_total',
  queueLength: 'trino_router_queue_length',
  queueWait: 'trino_router_queue_wait_seconds',
} as const;

/** 10 ms to 30 min: a queued query waits from a poll's length to as long as its client keeps polling. */
export const QUEUE_WAIT_BUCKETS_SECONDS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** 10 µs to 100 ms: a rule decision takes microseconds, a probe up to its 500 ms cap (+Inf). */
export const DECISION_BUCKETS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];

/** Every state of src/health/status.ts, so each backend has one series per state. */
export const BACKEND_STATES = [
  'healthy', 'unhealthy', 'pending', 'draining', 'drained', 'disabled', 'outside_schedule', 'unknown',
] as const satisfies readonly BackendState[];
// Compile-time check that the list above names every BackendState.
const everyStateListed: Exclude<BackendState, (typeof BACKEND_STATES)[number]> extends never ? true : never = true;
void everyStateListed;

/** Label value where a dimension does not apply (e.g. the group of a follow-up). */
const NONE = '';

const UNREAD_BODY_REASONS: readonly UnreadBodyReason[] = ['unsupported_encoding', 'decode_failed'];

const OWNERSHIP_MAPS = { query_id: 'queries', coordinator_id: 'coordinators', transaction: 'transactions', login_flow: 'loginFlows' } as const;
const EDGES: readonly Edge[] = ['ext_proc', 'ext_authz'];
/** The xDS resource types the router serves ('other' never has series of its own). */
const XDS_TYPES: readonly XdsType[] = ['cluster', 'listener'];

export interface RouterMetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop, GC). Default true. */
  readonly processMetrics?: boolean;
  /** Told when a source fails at scrape time (the scrape goes on without its series). */
  readonly logger?: Pick<Logger, 'warn'>;
}

type DecisionLabel = 'edge' | 'group' | 'backend' | 'mechanism' | 'outcome';
type LatencyLabel = 'edge' | 'mechanism';

interface EdgeCells {
  readonly active: CountCell<'edge'>;
  readonly opened: CountCell<'edge'>;
  /** By mechanism, and NONE for replies. */
  readonly latency: Readonly<Record<string, HistogramCell<LatencyLabel>>>;
}

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly logger: Pick<Logger, 'warn'> | undefined;

  private ownershipSizes: (() => OwnershipSizes) | undefined;
  private fleet: { leading: () => boolean; feedConnected: () => boolean } | undefined;
  private health: HealthStatusSource | undefined;
  private readonly journals = new Map<string, () => WriteBehindStats>();
  private historyPrunedTotals: (() => HistoryPruneCounts) | undefined;
  private configFile: ConfigFileStatusSource | undefined;
  private queueLengths: (() => ReadonlyMap<string, number>) | undefined;
  private queueWait!: Histogram<'group' | 'outcome'>;

  private readonly backends = new BoundedLabel(500);
  private readonly groups = new BoundedLabel(500);
  private readonly rules = new BoundedLabel(1000);
  private readonly reasons = new BoundedLabel(50);
  private readonly errorKinds = new BoundedLabel(50);
  private readonly adminMethods = new BoundedLabel(200);

  // Request-path state: cells bumped per request, read by the metrics below at scrape time.
  // Labels in lookup order: the few-valued ones first keeps the trees shallow and wide at the leaves.
  private readonly decisionCells = new CellTree<DecisionLabel>(['edge', 'outcome', 'mechanism', 'backend', 'group']);
  private readonly errorCells = new CellTree<'edge' | 'kind'>(['edge', 'kind']);
  private readonly submittedCells = new CellTree<'backend' | 'group' | 'rule'>(['backend', 'group', 'rule']);
  private readonly streamCells = new CellTree<'edge'>(['edge']);
  private readonly openedCells = new CellTree<'edge'>(['edge']);
  private readonly latency: CellHistogram<LatencyLabel>;
  private readonly edges: Readonly<Record<Edge, EdgeCells>>;

  private readonly adminCalls: Counter<'method' | 'code'>;
  private readonly responseBodiesUnread: Counter<'reason'>;
  private readonly statementsRead: Counter<'outcome' | 'reason'>;
  private readonly xdsStreams: Gauge;
  private readonly xdsResponses: Counter<'type'>;
  private readonly xdsAcks: Counter<'type'>;
  private readonly xdsNacks: Counter<'type'>;

  constructor(options: RouterMetricsOptions = {}) {
    this.logger = options.logger;
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    this.counterOf(registers, METRIC_NAMES.routingDecisions,
      'Requests answered by an edge: forwarded to a backend (outcome "forwarded") or answered by the router (outcome = the reply reason). group is empty for follow-ups; group, backend and mechanism are empty for replies.',
      ['edge', 'group', 'backend', 'mechanism', 'outcome'], () => this.decisionCells.values());
    this.latency = new CellHistogram<LatencyLabel>(METRIC_NAMES.decisionDuration,
      'Time the router took to decide where a request goes, probes included (mechanism empty for replies).',
      ['edge', 'mechanism'], DECISION_BUCKETS_SECONDS, this.registry);
    const active: Gauge<'edge'> = new Gauge({
      name: METRIC_NAMES.streamsActive,
      help: 'ext_proc streams (one per HTTP request) or ext_authz calls in progress.',
      labelNames: ['edge'],
      registers,
      collect: () => {
        for (const cell of this.streamCells.values()) active.set(cell.labels, cell.value);
      },
    });
    this.counterOf(registers, METRIC_NAMES.streamsTotal, 'ext_proc streams or ext_authz calls opened.', ['edge'], () => this.openedCells.values());
    this.counterOf(registers, METRIC_NAMES.edgeErrors,
      'ext_proc streams or ext_authz calls that failed, by kind (transport, handler, empty_message…).',
      ['edge', 'kind'], () => this.errorCells.values());
    this.counterOf(registers, METRIC_NAMES.queriesSubmitted,
      'New queries whose id the router learned from the coordinator, by backend, group and rule (empty: default group or a transaction).',
      ['backend', 'group', 'rule'], () => this.submittedCells.values());
    this.adminCalls = new Counter({
      name: METRIC_NAMES.adminCalls,
      help: 'Admin API calls by gRPC method and status code.',
      labelNames: ['method', 'code'],
      registers,
    });
    this.responseBodiesUnread = new Counter({
      name: METRIC_NAMES.responseBodiesUnread,
      help: 'Submission responses whose body the router could not read for the query id (unsupported_encoding, decode_failed): those queries are routed by prefix or coordinator id only.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of UNREAD_BODY_REASONS) this.responseBodiesUnread.inc({ reason }, 0);
    this.statementsRead = new Counter({
      name: METRIC_NAMES.statementsRead,
      help: 'Submission statements read for statement rules: parsed, or unknown with the reason (too_large, timeout, syntax_error, overloaded, ...); unknown ones are routed as the rules say for statementKind unknown.',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.statementsRead.inc({ outcome: 'parsed', reason: '' }, 0);
    for (const reason of UNKNOWN_REASONS) this.statementsRead.inc({ outcome: 'unknown', reason }, 0);
    this.xdsStreams = new Gauge({ name: METRIC_NAMES.xdsStreams, help: 'Open xDS (ADS) streams: Envoys taking their clusters from the router.', registers });
    this.xdsResponses = new Counter({ name: METRIC_NAMES.xdsResponses, help: 'xDS responses sent, by resource type (cluster, listener).', labelNames: ['type'], registers });
    this.xdsAcks = new Counter({ name: METRIC_NAMES.xdsAcks, help: 'xDS responses a client accepted (ACK), by resource type.', labelNames: ['type'], registers });
    this.xdsNacks = new Counter({
      name: METRIC_NAMES.xdsNacks,
      help: 'xDS responses a client rejected (NACK; it keeps its previous version), by resource type.',
      labelNames: ['type'],
      registers,
    });
    // Series exist from the start: an alert on NACKs sees 0, not "no data".
    for (const type of XDS_TYPES) {
      this.xdsResponses.inc({ type }, 0);
      this.xdsAcks.inc({ type }, 0);
      this.xdsNacks.inc({ type }, 0);
    }
    this.registerHealthGauges(registers);
    this.registerConfigFileMetrics(registers);
    this.registerStateGauges(registers);
    this.registerQueueMetrics(registers);

    // Per-edge cells exist from the start: dashboards show 0, not "no data", before traffic.
    const edges = {} as Record<Edge, EdgeCells>;
    for (const edge of EDGES) {
      const latency: Record<string, HistogramCell<LatencyLabel>> = { [NONE]: this.latency.cell({ edge, mechanism: NONE }) };
      for (const mechanism of MECHANISMS) latency[mechanism] = this.latency.cell({ edge, mechanism });
      edges[edge] = { active: this.streamCells.cell(edge), opened: this.openedCells.cell(edge), latency };
    }
    this.edges = edges;
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Pushed to by the ext_proc and ext_authz edges. */
  readonly edgeObserver: EdgeObserver = {
    streamOpened: (edge) => {
      const cells = this.edges[edge];
      cells.active.value++;
      cells.opened.value++;
    },
    streamClosed: (edge) => {
      this.edges[edge].active.value--;
    },
    streamError: (edge, kind) => {
      this.errorCells.cell(edge, this.errorKinds.value(kind)).value++;
    },
    routed: (edge, context: RequestContext, decisionSeconds) => {
      const instruction = context.instruction;
      let group: string = NONE;
      let backend: string = NONE;
      let mechanism: Mechanism | typeof NONE = NONE;
      let outcome = FORWARDED;
      if (instruction.kind === 'forward') {
        const decision = instruction.decision;
        if (decision?.outcome === 'routed') group = this.groups.value(decision.group);
        backend = this.backends.value(instruction.backend);
        mechanism = instruction.mechanism;
      } else {
        outcome = this.reasons.value(instruction.reason);
      }
      this.decisionCells.cell(edge, outcome, mechanism, backend, group).value++;
      const cell = this.edges[edge].latency[mechanism];
      if (cell !== undefined) this.latency.observe(cell, decisionSeconds >= 0 ? decisionSeconds : 0);
    },
  };

  /** A query listener (app.ts `queryListeners`). */
  readonly querySubmitted = (query: QuerySubmitted): void => {
    const decision = query.decision?.outcome === 'routed' ? query.decision : undefined;
    const backend = this.backends.value(query.backend);
    const group = decision === undefined ? NONE : this.groups.value(decision.group);
    const rule = decision?.rule === undefined ? NONE : this.rules.value(decision.rule);
    this.submittedCells.cell(backend, group, rule).value++;
  };

  /** Only submissions a statement rule needed read (milliseconds of parsing each): prom-client directly. */
  readonly statementRead = (outcome: StatementOutcome): void => {
    this.statementsRead.inc(outcome.status === 'parsed' ? { outcome: 'parsed', reason: '' } : { outcome: 'unknown', reason: outcome.reason });
  };

  /** The admin server's `onCall(method, code)` (not on the request path: prom-client directly). */
  readonly unreadBody = (reason: UnreadBodyReason): void => {
    this.responseBodiesUnread.inc({ reason });
  };

  readonly adminCall = (method: string, code: GrpcStatus): void => {
    this.adminCalls.inc({ method: this.adminMethods.value(method), code: grpcStatusName(code) });
  };

  /** Pushed to by the ADS server (not on the request path: prom-client directly). */
  readonly xdsObserver: XdsObserver = {
    streamOpened: () => this.xdsStreams.inc(),
    streamClosed: () => this.xdsStreams.dec(),
    responseSent: (_peer, type) => this.xdsResponses.inc({ type }),
    acked: (_peer, type) => this.xdsAcks.inc({ type }),
    rejected: (_peer, type) => this.xdsNacks.inc({ type }),
  };

  /** Ownership map sizes, read at scrape time. */
  watchOwnership(sizes: () => OwnershipSizes): void {
    this.ownershipSizes = sizes;
  }

  /** Backend health state and load, read at scrape time. */
  watchHealth(source: HealthStatusSource): void {
    this.health = source;
  }

  /** In a fleet: whether this replica judges health, and whether its change feed is live. */
  watchFleet(fleet: { leading: () => boolean; feedConnected: () => boolean }): void {
    this.fleet = fleet;
  }

  /** A write-behind queue (ownership, history), read at scrape time. */
  watchJournal(journal: string, stats: () => WriteBehindStats): void {
    this.journals.set(journal, stats);
  }

  /** Rows the history pruner deleted, read at scrape time. */
  watchHistoryPruning(totals: () => HistoryPruneCounts): void {
    this.historyPrunedTotals = totals;
  }

  /** The config file's last apply and refused edits (store.seed: watch), read at scrape time. */
  watchConfigFile(source: ConfigFileStatusSource): void {
    this.configFile = source;
  }

  /** The gateway queue's length per group (the fleet's, as the dispatcher last read it), at scrape time. */
  watchQueue(lengths: () => ReadonlyMap<string, number>): void {
    this.queueLengths = lengths;
  }

  /** A queued query handed over, failed or dropped: its wait, by group and outcome. */
  readonly queueEvent = (event: DispatchEvent): void => {
    this.queueWait.observe({ group: this.groups.value(event.entry.group), outcome: event.outcome }, event.waitedMs / 1000);
  };

  private registerQueueMetrics(registers: Registry[]): void {
    const length: Gauge<'group'> = new Gauge({
      name: METRIC_NAMES.queueLength,
      help: 'Queries waiting in the gateway queue, by group (the whole fleet\'s, as this replica\'s dispatcher last read it).',
      labelNames: ['group'],
      registers,
      collect: () => {
        length.reset();
        for (const [group, count] of this.read('gateway queue', this.queueLengths) ?? []) length.set({ group: this.groups.value(group) }, count);
      },
    });
    this.queueWait = new Histogram({
      name: METRIC_NAMES.queueWait,
      help: 'How long queries waited in the gateway queue, by group and outcome (dispatched: handed to a cluster; failed: the cluster refused it), observed by the replica that handed it over.',
      labelNames: ['group', 'outcome'],
      buckets: [...QUEUE_WAIT_BUCKETS_SECONDS],
      registers,
    });
  }

  private registerHealthGauges(registers: Registry[]): void {
    // The monitor's status is in memory: each gauge reads it on its own at scrape time.
    const statuses = (): readonly BackendStatus[] => {
      const source = this.health;
      return source === undefined ? [] : this.read('backend health', () => source.status()) ?? [];
    };
    const stateGauge: Gauge<'backend' | 'state'> = new Gauge({
      name: METRIC_NAMES.backendState,
      help: 'Backend state as the health monitor sees it: 1 for the current state, 0 for the others.',
      labelNames: ['backend', 'state'],
      registers,
      collect: () => {
        stateGauge.reset();
        for (const status of statuses()) {
          const backend = this.backends.value(status.backend);
          for (const state of BACKEND_STATES) stateGauge.set({ backend, state }, status.state === state ? 1 : 0);
          if (!(BACKEND_STATES as readonly string[]).includes(status.state)) stateGauge.set({ backend, state: status.state }, 1);
        }
      },
    });
    const loadGauge = (name: string, help: string, read: (status: BackendStatus) => number | undefined): void => {
      const gauge: Gauge<'backend'> = new Gauge({
        name,
        help,
        labelNames: ['backend'],
        registers,
        collect: () => {
          gauge.reset();
          for (const status of statuses()) {
            const value = read(status);
            if (value !== undefined) gauge.set({ backend: this.backends.value(status.backend) }, value);
          }
        },
      });
    };
    loadGauge(METRIC_NAMES.backendRunning, 'Queries running on the backend at its last check.', (s) => s.load?.running);
    loadGauge(METRIC_NAMES.backendQueued, 'Queries queued on the backend at its last check.', (s) => s.load?.queued);
    loadGauge(METRIC_NAMES.backendLoadScore, 'Load score the least_load strategy compares (weighted running and queued).', (s) => s.load?.score);
  }

  private registerStateGauges(registers: Registry[]): void {
    const ownership: Gauge<'map'> = new Gauge({
      name: METRIC_NAMES.ownershipEntries,
      help: 'Entries in the in-memory ownership maps (query_id, coordinator_id, transaction).',
      labelNames: ['map'],
      registers,
      collect: () => {
        const sizes = this.read('ownership', this.ownershipSizes);
        if (sizes === undefined) return;
        for (const [map, field] of Object.entries(OWNERSHIP_MAPS)) ownership.set({ map }, sizes[field]);
      },
    });

    const leader: Gauge = new Gauge({
      name: METRIC_NAMES.healthLeader,
      help: 'In a fleet (PostgreSQL store): 1 while this replica is the one that checks backend health and publishes it.',
      registers,
      collect: () => {
        const leading = this.read('health leadership', this.fleet?.leading);
        if (leading !== undefined) leader.set(leading ? 1 : 0);
      },
    });
    const feed: Gauge = new Gauge({
      name: METRIC_NAMES.storeFeedConnected,
      help: 'In a fleet (PostgreSQL store): 1 while the change feed (LISTEN) is connected; 0 means other replicas\' changes arrive by polling only.',
      registers,
      collect: () => {
        const connected = this.read('store change feed', this.fleet?.feedConnected);
        if (connected !== undefined) feed.set(connected ? 1 : 0);
      },
    });

    const journalStats = (): [string, WriteBehindStats][] => {
      const all: [string, WriteBehindStats][] = [];
      for (const [journal, stats] of this.journals) {
        const value = this.read(`${journal} journal`, stats);
        if (value !== undefined) all.push([journal, value]);
      }
      return all;
    };
    const pending: Gauge<'journal'> = new Gauge({
      name: METRIC_NAMES.writeBehindPending,
      help: 'Items waiting to be written to the store, by journal (ownership, history).',
      labelNames: ['journal'],
      registers,
      collect: () => {
        for (const [journal, stats] of journalStats()) pending.set({ journal }, stats.pending);
      },
    });
    const journalTotals = (field: 'written' | 'failures' | 'dropped') => () =>
      journalStats().map(([journal, stats]) => ({ labels: { journal }, value: stats[field] }));
    this.counterOf(registers, METRIC_NAMES.writeBehindWritten, 'Items written to the store, by journal.', ['journal'], journalTotals('written'));
    this.counterOf(registers, METRIC_NAMES.writeBehindFailures, 'Batch writes the store refused (each is retried), by journal.', ['journal'], journalTotals('failures'));
    this.counterOf(registers, METRIC_NAMES.writeBehindDropped,
      'Items never written (over the pending cap during a store outage, or after shutdown), by journal.', ['journal'], journalTotals('dropped'));
    this.counterOf(registers, METRIC_NAMES.historyPruned, 'Query history rows deleted, by reason (retention, cap).', ['reason'], () => {
      const totals = this.read('history pruning', this.historyPrunedTotals);
      return totals === undefined ? [] : [{ labels: { reason: 'retention' }, value: totals.retention }, { labels: { reason: 'cap' }, value: totals.cap }];
    });
  }

  private registerConfigFileMetrics(registers: Registry[]): void {
    const status = () => this.read('config file', this.configFile === undefined ? undefined : () => this.configFile!.status());
    const revision: Gauge = new Gauge({
      name: METRIC_NAMES.configFileRevision,
      help: 'The store revision the config file was last applied as (seeded, overwritten or, with store.seed: watch, each change); 0 until then.',
      registers,
      collect: () => {
        const applied = status()?.lastAppliedRevision;
        if (applied !== undefined) revision.set(applied);
      },
    });
    const appliedAt: Gauge = new Gauge({
      name: METRIC_NAMES.configFileAppliedAt,
      help: 'When the config file was last applied (Unix seconds); 0 until then.',
      registers,
      collect: () => {
        const at = status()?.lastAppliedAt;
        if (at !== undefined) appliedAt.set(at / 1000);
      },
    });
    this.counterOf(registers, METRIC_NAMES.configFileRejections,
      'Config file edits refused (YAML or validation errors, an unreadable file, a store that refused the write); the last good configuration stayed in force.', [],
      () => {
        const s = status();
        return s === undefined ? [] : [{ labels: {}, value: s.rejections }];
      });
  }

  /** A counter whose values are running totals kept elsewhere (cells, sources), copied at scrape time. */
  private counterOf<L extends string>(
    registers: Registry[],
    name: string,
    help: string,
    labelNames: readonly L[],
    totals: () => Iterable<{ readonly labels: Labels<L>; readonly value: number }>,
  ): void {
    const counter: Counter<L> = new Counter({
      name,
      help,
      labelNames: [...labelNames],
      registers,
      collect: () => {
        counter.reset();
        for (const { labels, value } of totals()) counter.inc(labels as Partial<Record<L, string>>, value);
      },
    });
  }

  private read<T>(what: string, source: (() => T) | undefined): T | undefined {
    if (source === undefined) return undefined;
    try {
      return source();
    } catch (error) {
      this.logger?.warn({ err: error, source: what }, 'could not read a metrics source');
      return undefined;
    }
  }
}

function grpcStatusName(code: GrpcStatus): string {
  return (GrpcStatus as unknown as Record<number, string | undefined>)[code] ?? String(code);
}
