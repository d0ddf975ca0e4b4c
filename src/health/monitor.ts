/**
 * The health monitor: checks every configured backend on its own timer, off the request path,
 * and keeps what the request path reads (BackendConditions: health, load, schedule) in memory,
 * updated in place, so routing never waits for a check.
 *
 * This file follows the routing snapshot (backends come and go) and turns each round's report
 * into the backend's health and state word; the parts with one job each live in monitor/:
 * rounds.ts (rounds of checks and their timers), condition-board.ts (what the request path
 * reads), schedule-ticks.ts (uptime schedules per minute), state-journal.ts (the state
 * history), status-view.ts (the status), settings.ts (the config's `monitor` section).
 * Observations go through the pure health state machine (health-machine.ts) and the state word
 * is derived from it and the operator's switches (backend-state.ts); each change of the word is
 * logged once and stored.
 */
import type { EdgeObserver } from '../envoy/edge-observer.js';
import type { BackendConditions } from '../routing/engine.js';
import type { Backend } from '../routing/model.js';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import { deriveState } from './backend-state.js';
import { systemClock, type Clock } from './clock.js';
import { MonitorCredentials, NO_MONITOR_AUTH } from './credentials.js';
import { observe } from './health-machine.js';
import type { FetchLike } from './http-session.js';
import { submissionObserver } from './in-flight.js';
import { monitorFetch } from './monitor-fetch.js';
import { PREFIX_ROUTING_MIN_TRINO_VERSION, tooOldForPrefixRouting, type ProbeReport } from './probe.js';
import { ScheduleBook } from './schedules.js';
import type { StateHistoryStore } from './state-history.js';
import type { SharedHealth } from './shared-health.js';
import type { BackendState, BackendStateChange, BackendStatus, HealthStatusSource } from './status.js';
import { ConditionBoard } from './monitor/condition-board.js';
import { Rounds } from './monitor/rounds.js';
import { ScheduleTicks } from './monitor/schedule-ticks.js';
import type { MonitorSettings } from './monitor/settings.js';
import { StateJournal } from './monitor/state-journal.js';
import { notWatched, statusOf } from './monitor/status-view.js';
import type { MonitorLogger } from './monitor/timer-work.js';
import { newWatched, type Watched } from './monitor/watched.js';

export { monitorSettingsOf, type MonitorSettings } from './monitor/settings.js';
export type { MonitorLogger } from './monitor/timer-work.js';

/** The routing snapshot and its changes (RoutingSource). */
export interface RoutingView {
  current(): RoutingSnapshot;
  onChange(listener: (snapshot: RoutingSnapshot) => void): void;
}

export interface HealthMonitorOptions {
  readonly routing: RoutingView;
  readonly settings: MonitorSettings;
  readonly logger: MonitorLogger;
  /** Where state changes are kept; without it only the newest are kept, in memory. */
  readonly history?: StateHistoryStore | undefined;
  readonly clock?: Clock;
  /** The transport (tests pass in-memory coordinators); default: fetch, node:https with TLS material. */
  readonly fetch?: FetchLike;
  /** Where the credentials' environment variables are read; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A health query revealed which coordinator runs on `backend` (for query-id routing). */
  readonly onCoordinator?: (coordinatorId: string, backend: string) => void;
  /** In a fleet: the shared judge of health; without it this replica checks on its own. */
  readonly shared?: SharedHealth | undefined;
}

/** States whose arrival is logged at warn (the rest at info). */
const STATES_LOGGED_AT_WARN: ReadonlySet<BackendState> = new Set<BackendState>(['unhealthy', 'draining']);

export class HealthMonitor implements HealthStatusSource {
  private readonly watched = new Map<string, Watched>();
  private readonly board: ConditionBoard;
  private readonly schedules: ScheduleBook;
  private readonly ticks: ScheduleTicks;
  private readonly rounds: Rounds;
  private readonly journal: StateJournal;
  private readonly clock: Clock;
  private readonly settings: MonitorSettings;
  private readonly logger: MonitorLogger;
  private started = false;
  private closed = false;

  /** Counts the submissions the router routes (for least_load between polls). */
  readonly edgeObserver: EdgeObserver;

  constructor(private readonly options: HealthMonitorOptions) {
    this.clock = options.clock ?? systemClock;
    this.settings = options.settings;
    this.logger = options.logger;
    this.board = new ConditionBoard(this.settings.loadWeights);
    this.journal = new StateJournal(options.history, this.clock, this.logger);
    this.schedules = new ScheduleBook((problem) => this.logger.error(
      { backend: problem.backend, cron: problem.schedule.cron, timeZone: problem.schedule.timeZone, err: problem.message },
      'uptime schedule cannot be evaluated; it is ignored (the backend stays in rotation)',
    ));
    this.ticks = new ScheduleTicks({
      clock: this.clock,
      logger: this.logger,
      schedules: this.schedules,
      board: this.board,
      watched: () => this.watched.values(),
      refresh: (watched, now) => void this.refresh(watched, now),
    });
    this.rounds = new Rounds({
      clock: this.clock,
      fetch: options.fetch ?? monitorFetch,
      credentials: new MonitorCredentials(this.settings.auth ?? NO_MONITOR_AUTH, this.settings.user, options.env),
      settings: this.settings,
      logger: this.logger,
      board: this.board,
      shared: options.shared,
      apply: (watched, report, mark, readFrom) => this.apply(watched, report, mark, readFrom),
    });
    this.edgeObserver = submissionObserver((backend) => this.recordSubmission(backend));
  }

  /**
   * Starts checking every backend of the current snapshot, and follows later snapshots.
   * Resolves when the first round of checks is over, so a router that awaits it starts
   * serving with every backend's health known.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('the health monitor was already started');
    this.started = true;
    this.options.routing.onChange((snapshot) => {
      if (!this.closed) this.reconcile(snapshot);
    });
    const firstRounds = this.reconcile(this.options.routing.current());
    this.ticks.start();
    this.journal.startPruning();
    await Promise.all(firstRounds);
  }

  /** Stops every timer and check; resolves when no check is running any more. */
  async close(): Promise<void> {
    this.closed = true;
    this.rounds.close();
    this.ticks.close();
    this.journal.close();
    const rounds: Promise<void>[] = [];
    for (const watched of this.watched.values()) {
      this.rounds.stop(watched);
      if (watched.round !== undefined) rounds.push(watched.round);
    }
    await Promise.all(rounds);
  }

  /** Resolves once no round of checks is running (tests drive rounds with a fake clock). */
  async idle(): Promise<void> {
    for (;;) {
      const rounds = [...this.watched.values()].flatMap((w) => (w.round === undefined ? [] : [w.round]));
      if (rounds.length === 0) return;
      await Promise.all(rounds);
    }
  }

  /**
   * What the request path reads: one entry per monitored backend, current to the minute. Only
   * memory is touched here: when a request is the first to see a new minute (its timer is
   * late), the schedules switch the backends' conditions at once, and the state change is
   * logged and stored right after, off the request path.
   */
  conditions(): BackendConditions {
    const now = this.clock.now();
    if (this.ticks.stale(now)) this.ticks.refresh(now, 'defer');
    return this.board.conditions;
  }

  status(): readonly BackendStatus[] {
    return this.options.routing.current().config.backends.map((backend) => {
      const watched = this.watched.get(backend.name);
      return watched === undefined ? notWatched(backend) : statusOf(watched, this.board);
    });
  }

  history(backend: string, limit: number): Promise<readonly BackendStateChange[]> {
    return this.journal.list(backend, limit);
  }

  // ---- backends come and go ----

  /** Follows a snapshot: watches new backends, forgets removed ones, applies changed settings. */
  private reconcile(snapshot: RoutingSnapshot): Promise<void>[] {
    const backends = snapshot.config.backends;
    this.schedules.update(backends);
    const now = this.clock.now();
    const rounds: Promise<void>[] = [];
    const names = new Set<string>();
    for (const backend of backends) {
      names.add(backend.name);
      const current = this.watched.get(backend.name);
      if (current === undefined) {
        rounds.push(this.watch(backend, undefined, now));
      } else if (current.backend.url !== backend.url) {
        // Another coordinator: what was known about the old one says nothing about it.
        this.rounds.stop(current);
        rounds.push(this.watch(backend, current, now));
      } else {
        current.backend = backend;
        current.inSchedule = this.schedules.inSchedule(backend.name, now);
        this.refresh(current, now);
      }
    }
    for (const [name, watched] of this.watched) {
      if (names.has(name)) continue;
      this.rounds.stop(watched);
      this.watched.delete(name);
      this.board.forget(name);
      this.logger.info({ backend: name }, 'backend removed from the configuration; no longer monitored');
    }
    this.ticks.evaluatedAt(now);
    return rounds;
  }

  private watch(backend: Backend, previous: Watched | undefined, now: number): Promise<void> {
    const watched = newWatched(backend, previous, this.schedules.inSchedule(backend.name, now));
    this.watched.set(backend.name, watched);
    this.refresh(watched, now);
    return this.rounds.begin(watched);
  }

  // ---- a round's report ----

  private apply(watched: Watched, report: ProbeReport, mark: number, readFrom: number): void {
    const name = watched.backend.name;
    const now = this.clock.now();
    watched.lastCheckAt = now;
    watched.lastError = report.observation.kind === 'down' ? report.observation.reason : null;
    const before = watched.track.health;
    watched.track = observe(watched.track, report.observation, this.settings);
    if (report.load !== undefined) {
      watched.load = report.load;
      watched.loadReadAt = readFrom;
      watched.loadError = null;
    } else {
      watched.loadError = report.loadError ?? 'no load was read';
    }
    // Even a round that could not read the load ends the count: otherwise a backend whose load
    // stays unreadable would pile up "in flight" queries until its ceiling shut it out for good.
    this.board.settle(name, mark);
    if (report.coordinatorId !== undefined) this.learnCoordinator(report.coordinatorId, name);
    this.notePrefixVersion(watched, report.version);
    const stateChanged = this.refresh(watched, now);
    if (watched.track.health !== before && !stateChanged) {
      // The state word did not move (an operator switch or the schedule decides it), but the
      // health did: still worth one line.
      const level = watched.track.health === 'unhealthy' ? 'warn' : 'info';
      this.logger[level]({ backend: name, from: before, to: watched.track.health, reason: watched.track.reason }, 'backend health changed');
    }
    this.noteCeiling(watched, now);
  }

  private learnCoordinator(coordinatorId: string, backend: string): void {
    try {
      this.options.onCoordinator?.(coordinatorId, backend);
    } catch (error) {
      this.logger.error({ err: error, backend, coordinatorId }, 'could not record the coordinator id a health query revealed');
    }
  }

  /**
   * Warns once (per reported version) when a backend with prefix routing runs a Trino that
   * URL-escapes X-Forwarded-Prefix (452-457) or ignores it (before 452): its follow-ups would
   * come back with URLs the router cannot route.
   */
  private notePrefixVersion(watched: Watched, version: string | undefined): void {
    if (!watched.backend.prefixRouting || version === undefined || !tooOldForPrefixRouting(version)) return;
    if (watched.prefixVersionWarned === version) return;
    watched.prefixVersionWarned = version;
    this.logger.warn(
      { backend: watched.backend.name, version, needs: PREFIX_ROUTING_MIN_TRINO_VERSION },
      `backend has prefixRouting on but runs Trino ${version}: prefix routing needs Trino ${PREFIX_ROUTING_MIN_TRINO_VERSION}+ (452-457 URL-escape X-Forwarded-Prefix); set prefixRouting: false or upgrade`,
    );
  }

  /** Logs once when a backend's polled load crosses its ceiling, and once when it is back under. */
  private noteCeiling(watched: Watched, now: number): void {
    const maxLoad = watched.backend.maxLoad;
    const score = this.board.polledScore(watched);
    const over = maxLoad !== undefined && watched.load !== undefined && score >= maxLoad;
    if (over === watched.overCeiling) return;
    watched.overCeiling = over;
    this.logger.info(
      { backend: watched.backend.name, load: score, maxLoad, running: watched.load?.running, queued: watched.load?.queued, at: now },
      over ? 'backend reached its load ceiling; it takes no new queries' : 'backend is below its load ceiling again',
    );
  }

  // ---- the state word ----

  private recordSubmission(backend: string): void {
    this.board.recordSubmission(backend);
    const watched = this.watched.get(backend);
    if (watched !== undefined) this.board.post(watched);
  }

  /** Rebuilds the backend's condition and state word; returns true when the word changed. */
  private refresh(watched: Watched, now: number): boolean {
    const name = watched.backend.name;
    this.board.post(watched);
    const derived = deriveState({ backend: watched.backend, track: watched.track, inSchedule: watched.inSchedule, remaining: this.board.remaining(watched) });
    if (!derived.draining) watched.drainSince = null;
    else watched.drainSince ??= now;
    if (derived.state === watched.state) return false;
    const change: BackendStateChange = { backend: name, from: watched.state, to: derived.state, at: now, reason: derived.reason };
    watched.state = derived.state;
    // A backend that stops taking queries is what an operator is paged for: warn, not info.
    const level = STATES_LOGGED_AT_WARN.has(change.to) ? 'warn' : 'info';
    this.logger[level]({ backend: name, from: change.from, to: change.to, reason: change.reason, at: change.at }, 'backend state changed');
    this.journal.record(change);
    return true;
  }
}
