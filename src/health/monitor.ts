/**
 * The health monitor: checks every configured backend on its own timer, off the request path,
 * and keeps what the request path reads (BackendConditions: health, load, schedule) in memory,
 * updated in place, so routing never waits for a check.
 *
 * Per backend one round of checks runs at a time (probe.ts); its observation goes through the
 * pure health state machine (health-machine.ts) and the state word is derived from it and the
 * operator's switches (backend-state.ts). Each change of the word is logged once and stored.
 * Uptime schedules are evaluated per minute (schedules.ts), and the queries routed between
 * two load polls are counted (in-flight.ts) so least_load spreads a burst.
 */
import type { Logger } from 'pino';
import type { EdgeObserver } from '../envoy/edge-observer.js';
import type { BackendCondition, BackendConditions } from '../routing/engine.js';
import type { Backend } from '../routing/model.js';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import { deriveState } from './backend-state.js';
import { describeFailure } from './check-error.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { observe, UNKNOWN_TRACK, type HealthTrack, type Thresholds } from './health-machine.js';
import { HttpSession, type FetchLike } from './http-session.js';
import { InFlightCounter, submissionObserver } from './in-flight.js';
import { DEFAULT_LOAD_WEIGHTS, inFlightWeight, loadScore, type LoadWeights } from './load-weights.js';
import { PREFIX_ROUTING_MIN_TRINO_VERSION, probeCoordinator, tooOldForPrefixRouting, type LoadSample, type ProbeReport } from './probe.js';
import { minuteOf, MINUTE_MS, ScheduleBook } from './schedules.js';
import {
  RecentChanges,
  STATE_HISTORY_MAX_PER_BACKEND,
  STATE_HISTORY_PRUNE_INTERVAL_MS,
  STATE_HISTORY_RETENTION_MS,
  type StateHistoryStore,
} from './state-history.js';
import type { SharedHealth } from './shared-health.js';
import type { BackendState, BackendStateChange, BackendStatus, HealthStatusSource } from './status.js';

export interface MonitorSettings extends Thresholds {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Trino user of the monitor's queries. */
  readonly user: string;
  readonly loadWeights: LoadWeights;
  /** Read load from /ui/api/stats through a web UI login when system.runtime.queries fails. */
  readonly uiLogin?: boolean;
}

/** The routing snapshot and its changes (RoutingSource). */
export interface RoutingView {
  current(): RoutingSnapshot;
  onChange(listener: (snapshot: RoutingSnapshot) => void): void;
}

export type MonitorLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

export interface HealthMonitorOptions {
  readonly routing: RoutingView;
  readonly settings: MonitorSettings;
  readonly logger: MonitorLogger;
  /** Where state changes are kept; without it only the newest are kept, in memory. */
  readonly history?: StateHistoryStore | undefined;
  readonly clock?: Clock;
  readonly fetch?: FetchLike;
  /** A health query revealed which coordinator runs on `backend` (for query-id routing). */
  readonly onCoordinator?: (coordinatorId: string, backend: string) => void;
  /** In a fleet: the shared judge of health; without it this replica checks on its own. */
  readonly shared?: SharedHealth | undefined;
}

/** Everything known about one monitored backend. */
interface Watched {
  backend: Backend;
  track: HealthTrack;
  inSchedule: boolean;
  /** The last load read, and whether the latest round could read it. */
  load: LoadSample | undefined;
  loadError: string | null;
  overCeiling: boolean;
  lastCheckAt: number | null;
  lastError: string | null;
  state: BackendState;
  drainSince: number | null;
  timer: TimerHandle | undefined;
  session: HttpSession | undefined;
  round: Promise<void> | undefined;
  stopped: boolean;
  /** The sequence of the last published report applied (followers apply each report once). */
  appliedSequence: number;
  /** The version last warned about as too old for prefix routing (one warning per version). */
  prefixVersionWarned: string | undefined;
}

export class HealthMonitor implements HealthStatusSource {
  private readonly watched = new Map<string, Watched>();
  /** What the request path reads; entries are replaced, never mutated. */
  private readonly conditionMap = new Map<string, BackendCondition>();
  private readonly inFlight = new InFlightCounter();
  private readonly schedules: ScheduleBook;
  private readonly recent = new RecentChanges();
  private readonly clock: Clock;
  private readonly fetch: FetchLike;
  private readonly settings: MonitorSettings;
  private readonly logger: MonitorLogger;
  private scheduleMinute = Number.NaN;
  private minuteTimer: TimerHandle | undefined;
  /** Set while the request path has seen a schedule switch whose state change is not recorded yet. */
  private deferredStates: { timer: TimerHandle; at: number } | undefined;
  private pruneTimer: TimerHandle | undefined;
  private started = false;
  private closed = false;

  /** Counts the submissions the router routes (for least_load between polls). */
  readonly edgeObserver: EdgeObserver;

  constructor(private readonly options: HealthMonitorOptions) {
    this.clock = options.clock ?? systemClock;
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.settings = options.settings;
    this.logger = options.logger;
    this.schedules = new ScheduleBook((problem) => this.logger.error(
      { backend: problem.backend, cron: problem.schedule.cron, timeZone: problem.schedule.timeZone, err: problem.message },
      'uptime schedule cannot be evaluated; it is ignored (the backend stays in rotation)',
    ));
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
    this.scheduleMinuteTick();
    this.prune();
    await Promise.all(firstRounds);
  }

  /** Stops every timer and check; resolves when no check is running any more. */
  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.minuteTimer);
    this.clock.clearTimeout(this.pruneTimer);
    if (this.deferredStates !== undefined) this.clock.clearTimeout(this.deferredStates.timer);
    this.deferredStates = undefined;
    const rounds: Promise<void>[] = [];
    for (const watched of this.watched.values()) {
      this.stop(watched);
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
    if (minuteOf(now) !== this.scheduleMinute) this.refreshSchedules(now, 'defer');
    return this.conditionMap;
  }

  status(): readonly BackendStatus[] {
    return this.options.routing.current().config.backends.map((backend) => {
      const watched = this.watched.get(backend.name);
      return watched === undefined ? notWatched(backend) : this.statusOf(watched);
    });
  }

  async history(backend: string, limit: number): Promise<readonly BackendStateChange[]> {
    if (!(limit > 0)) return [];
    const store = this.options.history;
    if (store === undefined) return this.recent.list(backend, limit);
    try {
      return await store.list(backend, limit);
    } catch (error) {
      this.logger.warn({ err: error, backend }, 'could not read the backend state history from the store; showing the newest changes kept in memory');
      return this.recent.list(backend, limit);
    }
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
        this.stop(current);
        rounds.push(this.watch(backend, current, now));
      } else {
        current.backend = backend;
        current.inSchedule = this.schedules.inSchedule(backend.name, now);
        this.refresh(current, now);
      }
    }
    for (const [name, watched] of this.watched) {
      if (names.has(name)) continue;
      this.stop(watched);
      this.watched.delete(name);
      this.conditionMap.delete(name);
      this.inFlight.forget(name);
      this.logger.info({ backend: name }, 'backend removed from the configuration; no longer monitored');
    }
    this.scheduleMinute = minuteOf(now);
    return rounds;
  }

  private watch(backend: Backend, previous: Watched | undefined, now: number): Promise<void> {
    const watched: Watched = {
      backend,
      track: previous === undefined ? UNKNOWN_TRACK : { ...UNKNOWN_TRACK, reason: `coordinator URL changed to ${backend.url}; not checked yet` },
      inSchedule: this.schedules.inSchedule(backend.name, now),
      load: undefined,
      loadError: null,
      overCeiling: false,
      lastCheckAt: null,
      lastError: null,
      // Carried over so the change from the old coordinator's state is logged.
      state: previous?.state ?? 'unknown',
      drainSince: previous?.drainSince ?? null,
      timer: undefined,
      session: undefined,
      round: undefined,
      stopped: false,
      appliedSequence: -1,
      prefixVersionWarned: undefined,
    };
    this.watched.set(backend.name, watched);
    this.refresh(watched, now);
    return this.beginRound(watched);
  }

  private stop(watched: Watched): void {
    watched.stopped = true;
    this.clock.clearTimeout(watched.timer);
    watched.timer = undefined;
    watched.session?.abort();
  }

  // ---- rounds of checks ----

  /**
   * Runs one round now; the next starts one interval after this one started (or at once if it
   * overran). The promise never rejects: whatever a round throws is logged, and the next round
   * is scheduled all the same, so a misbehaving coordinator can neither crash the process (an
   * unhandled rejection) nor stop its own checks.
   */
  private beginRound(watched: Watched): Promise<void> {
    watched.timer = undefined;
    const startedAt = this.clock.now();
    const round: Promise<void> = this.runRound(watched)
      .catch((error: unknown) => this.logFailure('health check round failed unexpectedly', error, { backend: watched.backend.name }))
      .then(() => {
        if (watched.round === round) watched.round = undefined;
        if (watched.stopped || this.closed) return;
        const delay = Math.max(0, startedAt + this.settings.intervalMs - this.clock.now());
        watched.timer = this.clock.setTimeout(() => void this.beginRound(watched), delay);
      })
      .catch(() => undefined);
    watched.round = round;
    return round;
  }

  private async runRound(watched: Watched): Promise<void> {
    if (await this.followLeader(watched)) return;
    const name = watched.backend.name;
    const session = new HttpSession(this.fetch, this.clock, this.settings.timeoutMs);
    watched.session = session;
    // Queries routed from here on may be missing from this round's load.
    const mark = this.inFlight.mark(name);
    let report: ProbeReport;
    try {
      report = await probeCoordinator(session, { baseUrl: watched.backend.url, user: this.settings.user, uiLogin: this.settings.uiLogin });
    } catch (error) {
      const reason = describeFailure(error);
      report = { observation: { kind: 'down', reason }, load: undefined, loadError: reason, coordinatorId: undefined };
    } finally {
      session.finish();
      if (watched.session === session) watched.session = undefined;
    }
    if (watched.stopped || this.closed) return;
    this.apply(watched, report, mark);
    const shared = this.options.shared;
    if (shared?.leading() === true) {
      shared.publish(name, watched.backend.url, report, this.clock.now()).catch((error: unknown) =>
        this.logger.warn({ err: error, backend: name }, 'could not publish a health report for the fleet; the other replicas check on their own once it is stale'));
    }
  }

  /**
   * A follower applies the leader's newest report instead of checking. True when it did (or
   * when that report was applied already); false when this replica must check itself: it
   * leads, there is no fleet, or the newest report is missing, about another URL, or stale.
   */
  private async followLeader(watched: Watched): Promise<boolean> {
    const shared = this.options.shared;
    if (shared === undefined || shared.leading()) return false;
    const mark = this.inFlight.mark(watched.backend.name);
    let published;
    try {
      published = await shared.latest(watched.backend.name);
    } catch (error) {
      this.logger.debug({ err: error, backend: watched.backend.name }, 'could not read the fleet\'s health report; checking on our own');
      return false;
    }
    if (watched.stopped || this.closed) return true;
    const freshAfter = this.clock.now() - this.settings.intervalMs - this.leaseMs();
    if (published === undefined || published.url !== watched.backend.url || published.at < freshAfter) return false;
    if (published.sequence !== watched.appliedSequence) {
      watched.appliedSequence = published.sequence;
      this.apply(watched, published.report, mark);
    }
    return true;
  }

  /** How much older than one interval a leader's report may be: one check's deadline and a second. */
  private leaseMs(): number {
    return this.settings.timeoutMs + 1_000;
  }

  private apply(watched: Watched, report: ProbeReport, mark: number): void {
    const name = watched.backend.name;
    const now = this.clock.now();
    watched.lastCheckAt = now;
    watched.lastError = report.observation.kind === 'down' ? report.observation.reason : null;
    const before = watched.track.health;
    watched.track = observe(watched.track, report.observation, this.settings);
    if (report.load !== undefined) {
      watched.load = report.load;
      watched.loadError = null;
    } else {
      watched.loadError = report.loadError ?? 'no load was read';
    }
    // Even a round that could not read the load ends the count: otherwise a backend whose load
    // stays unreadable would pile up "in flight" queries until its ceiling shut it out for good.
    this.inFlight.settle(name, mark);
    if (report.coordinatorId !== undefined) this.learnCoordinator(report.coordinatorId, name);
    this.notePrefixVersion(watched, report.version);
    const stateChanged = this.refresh(watched, now);
    if (watched.track.health !== before && !stateChanged) {
      // The state word did not move (an operator switch or the schedule decides it), but the
      // health did: still worth one line.
      this.logger.info({ backend: name, from: before, to: watched.track.health, reason: watched.track.reason }, 'backend health changed');
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
    const score = this.polledScore(watched);
    const over = maxLoad !== undefined && watched.load !== undefined && score >= maxLoad;
    if (over === watched.overCeiling) return;
    watched.overCeiling = over;
    this.logger.info(
      { backend: watched.backend.name, load: score, maxLoad, running: watched.load?.running, queued: watched.load?.queued, at: now },
      over ? 'backend reached its load ceiling; it takes no new queries' : 'backend is below its load ceiling again',
    );
  }

  // ---- what the request path reads ----

  private recordSubmission(backend: string): void {
    this.inFlight.record(backend);
    const watched = this.watched.get(backend);
    if (watched !== undefined) this.conditionMap.set(backend, this.conditionOf(watched));
  }

  private polledScore(watched: Watched): number {
    const load = watched.load;
    return load === undefined ? 0 : loadScore(load.running, load.queued, this.settings.loadWeights);
  }

  private conditionOf(watched: Watched): BackendCondition {
    const inFlight = this.inFlight.count(watched.backend.name);
    const polledLoad = this.polledScore(watched);
    return {
      health: watched.track.health,
      load: polledLoad + inFlight * inFlightWeight(this.settings.loadWeights),
      inSchedule: watched.inSchedule,
      inFlight,
      polledLoad,
    };
  }

  /**
   * Queries left on the backend, when the latest round could read its load. A drained backend
   * stays drained when it stops answering (operators stop it once drained): nothing new was
   * sent to it since it had no query left.
   */
  private remaining(watched: Watched): number | undefined {
    const inFlight = this.inFlight.count(watched.backend.name);
    if (watched.load === undefined || watched.loadError !== null) return watched.state === 'drained' && inFlight === 0 ? 0 : undefined;
    return watched.load.running + watched.load.queued + inFlight;
  }

  /** Rebuilds the backend's condition and state word; returns true when the word changed. */
  private refresh(watched: Watched, now: number): boolean {
    const name = watched.backend.name;
    this.conditionMap.set(name, this.conditionOf(watched));
    const derived = deriveState({ backend: watched.backend, track: watched.track, inSchedule: watched.inSchedule, remaining: this.remaining(watched) });
    if (!derived.draining) watched.drainSince = null;
    else watched.drainSince ??= now;
    if (derived.state === watched.state) return false;
    const change: BackendStateChange = { backend: name, from: watched.state, to: derived.state, at: now, reason: derived.reason };
    watched.state = derived.state;
    this.logger.info({ backend: name, from: change.from, to: change.to, reason: change.reason, at: change.at }, 'backend state changed');
    this.persist(change);
    return true;
  }

  private persist(change: BackendStateChange): void {
    this.recent.add(change);
    this.options.history?.append(change, STATE_HISTORY_MAX_PER_BACKEND).catch((error: unknown) => {
      this.logger.warn({ err: error, backend: change.backend, from: change.from, to: change.to }, 'could not store a backend state change; it is kept in memory only');
    });
  }

  // ---- timers: schedule minutes, pruning ----

  /**
   * Re-evaluates uptime schedules when the minute has moved on since the last evaluation.
   * `now` records state changes at once (timers); `defer` (the request path) only switches the
   * conditions and leaves logging and storing the changes to a timer that fires right after.
   */
  private refreshSchedules(now: number, states: 'now' | 'defer'): void {
    const minute = minuteOf(now);
    if (minute === this.scheduleMinute) return;
    this.scheduleMinute = minute;
    let switched = false;
    for (const watched of this.watched.values()) {
      const inSchedule = this.schedules.inSchedule(watched.backend.name, now);
      if (inSchedule === watched.inSchedule) continue;
      watched.inSchedule = inSchedule;
      switched = true;
      if (states === 'now') this.refresh(watched, now);
      else this.conditionMap.set(watched.backend.name, this.conditionOf(watched));
    }
    if (switched && states === 'defer' && this.deferredStates === undefined && !this.closed) {
      const timer = this.clock.setTimeout(() => this.recordDeferredStates(), 0);
      this.deferredStates = { timer, at: now };
    }
  }

  /** Logs and stores the state changes a request saw first (at the time it saw them). */
  private recordDeferredStates(): void {
    const at = this.deferredStates?.at ?? this.clock.now();
    this.deferredStates = undefined;
    this.guarded('could not record backend state changes', () => {
      for (const watched of this.watched.values()) this.refresh(watched, at);
    });
  }

  /** Fires at every minute boundary, so schedule changes are logged even without traffic. */
  private scheduleMinuteTick(): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.minuteTimer = this.clock.setTimeout(() => {
      this.guarded('could not evaluate the uptime schedules', () => this.refreshSchedules(this.clock.now(), 'now'));
      this.scheduleMinuteTick();
    }, minuteOf(now) + MINUTE_MS - now);
  }

  /** Runs the work of a timer: an exception thrown from a timer callback would end the process. */
  private guarded(what: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.logFailure(`${what}; trying again at the next tick`, error);
    }
  }

  private logFailure(what: string, error: unknown, context: Record<string, unknown> = {}): void {
    try {
      this.logger.error({ ...context, err: error }, what);
    } catch {
      // Not even the log could take it; the monitor goes on.
    }
  }

  private prune(): void {
    if (this.closed) return;
    const store = this.options.history;
    store?.pruneOlderThan(this.clock.now() - STATE_HISTORY_RETENTION_MS).then(
      (deleted) => {
        if (deleted > 0) this.logger.debug({ deleted }, 'pruned old backend state changes');
      },
      (error: unknown) => this.logger.warn({ err: error }, 'could not prune the backend state history; trying again later'),
    );
    this.pruneTimer = this.clock.setTimeout(() => this.guarded('could not prune the backend state history', () => this.prune()), STATE_HISTORY_PRUNE_INTERVAL_MS);
  }

  // ---- status ----

  private statusOf(watched: Watched): BackendStatus {
    const load = watched.load;
    const remaining = this.remaining(watched);
    return {
      backend: watched.backend.name,
      state: watched.state,
      health: watched.track.health,
      load: load === undefined ? null : { running: load.running, queued: load.queued, score: this.polledScore(watched) },
      lastCheckAt: watched.lastCheckAt,
      lastError: watched.lastError,
      inSchedule: watched.inSchedule,
      drain: watched.drainSince === null || remaining === undefined
        ? null
        : { remaining, drained: watched.state === 'drained', since: watched.drainSince },
      inFlight: this.inFlight.count(watched.backend.name),
      loadError: watched.loadError,
    };
  }
}

/** A backend of the snapshot the monitor has not picked up (only between a change and its listener). */
function notWatched(backend: Backend): BackendStatus {
  return {
    backend: backend.name,
    state: backend.enabled ? 'unknown' : 'disabled',
    health: 'unknown',
    load: null,
    lastCheckAt: null,
    lastError: null,
    inSchedule: true,
    drain: null,
  };
}

/** Monitor settings from the config file's `monitor` section. */
export function monitorSettingsOf(config: {
  readonly intervalSeconds: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly user: string;
  readonly loadWeights?: LoadWeights | undefined;
  readonly uiLogin?: boolean | undefined;
}): MonitorSettings {
  return {
    intervalMs: config.intervalSeconds * 1000,
    timeoutMs: config.timeoutMs,
    failureThreshold: config.failureThreshold,
    successThreshold: config.successThreshold,
    user: config.user,
    loadWeights: config.loadWeights ?? DEFAULT_LOAD_WEIGHTS,
    ...(config.uiLogin === true ? { uiLogin: true } : {}),
  };
}
