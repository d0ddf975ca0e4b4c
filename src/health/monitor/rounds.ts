/**
 * Rounds of checks, one at a time per backend, each on its own timer: a round runs the checks
 * (probe.ts) under one deadline, or, in a fleet, a follower applies the leader's newest report
 * instead. The report goes to `apply`; the leader publishes it for the fleet.
 */
import type { Clock } from '../clock.js';
import type { MonitorCredentials } from '../credentials.js';
import { describeFailure, failureKindOf } from '../check-error.js';
import { HttpSession, type FetchLike } from '../http-session.js';
import { probeCoordinator, type ProbeReport } from '../probe.js';
import type { SharedHealth } from '../shared-health.js';
import type { ConditionBoard } from './condition-board.js';
import type { MonitorSettings } from './settings.js';
import { logFailure, type MonitorLogger } from './timer-work.js';
import type { Watched } from './watched.js';

export interface RoundParts {
  readonly clock: Clock;
  readonly fetch: FetchLike;
  readonly settings: MonitorSettings;
  readonly logger: MonitorLogger;
  readonly board: ConditionBoard;
  readonly shared: SharedHealth | undefined;
  readonly credentials: MonitorCredentials;
  /**
   * Takes a round's report (`mark`: the in-flight mark taken when it started; `readFrom`: the
   * time before which every query created on the backend is in the report's load).
   */
  apply(watched: Watched, report: ProbeReport, mark: number, readFrom: number): void;
}

export class Rounds {
  private closed = false;

  constructor(private readonly parts: RoundParts) {}

  /**
   * Runs one round now; the next starts one interval after this one started (or at once if it
   * overran). The promise never rejects: whatever a round throws is logged, and the next round
   * is scheduled all the same, so a misbehaving coordinator can neither crash the process (an
   * unhandled rejection) nor stop its own checks.
   */
  begin(watched: Watched): Promise<void> {
    const { clock, settings, logger } = this.parts;
    watched.timer = undefined;
    const startedAt = clock.now();
    const round: Promise<void> = this.run(watched)
      .catch((error: unknown) => logFailure(logger, 'health check round failed unexpectedly', error, { backend: watched.backend.name }))
      .then(() => {
        if (watched.round === round) watched.round = undefined;
        if (watched.stopped || this.closed) return;
        const delay = Math.max(0, startedAt + settings.intervalMs - clock.now());
        watched.timer = clock.setTimeout(() => void this.begin(watched), delay);
      })
      .catch(() => undefined);
    watched.round = round;
    return round;
  }

  /** Stops the backend's timer and aborts its running round. */
  stop(watched: Watched): void {
    watched.stopped = true;
    this.parts.clock.clearTimeout(watched.timer);
    watched.timer = undefined;
    watched.session?.abort();
  }

  close(): void {
    this.closed = true;
  }

  private async run(watched: Watched): Promise<void> {
    if (await this.followLeader(watched)) return;
    const { clock, fetch, settings, board, shared, logger, credentials } = this.parts;
    const name = watched.backend.name;
    // Queries routed from here on may be missing from this round's load.
    const mark = board.mark(name);
    const readFrom = clock.now();
    let report: ProbeReport;
    let session: HttpSession | undefined;
    try {
      const { user, identity } = await credentials.identityOf(name);
      if (watched.stopped || this.closed) return;
      session = new HttpSession(fetch, clock, settings.timeoutMs, identity);
      watched.session = session;
      report = await probeCoordinator(session, { baseUrl: watched.backend.url, backend: name, user, uiLogin: settings.uiLogin });
    } catch (error) {
      const reason = describeFailure(error);
      report = { observation: { kind: 'down', reason, failure: failureKindOf(error) }, load: undefined, loadError: reason, coordinatorId: undefined };
    } finally {
      session?.finish();
      if (session !== undefined && watched.session === session) watched.session = undefined;
    }
    if (watched.stopped || this.closed) return;
    this.parts.apply(watched, report, mark, readFrom);
    if (shared?.leading() === true) {
      shared.publish(name, watched.backend.url, report, clock.now()).catch((error: unknown) =>
        logger.warn({ err: error, backend: name }, 'could not publish a health report for the fleet; the other replicas check on their own once it is stale'));
    }
  }

  /**
   * A follower applies the leader's newest report instead of checking. True when it did (or
   * when that report was applied already); false when this replica must check itself: it
   * leads, there is no fleet, or the newest report is missing, about another URL, or stale.
   */
  private async followLeader(watched: Watched): Promise<boolean> {
    const { shared, board, clock, settings, logger } = this.parts;
    if (shared === undefined || shared.leading()) return false;
    const mark = board.mark(watched.backend.name);
    let published;
    try {
      published = await shared.latest(watched.backend.name);
    } catch (error) {
      logger.debug({ err: error, backend: watched.backend.name }, 'could not read the fleet\'s health report; checking on our own');
      return false;
    }
    if (watched.stopped || this.closed) return true;
    // How much older than one interval a leader's report may be: one check's deadline and a second.
    const leaseMs = settings.timeoutMs + 1_000;
    const freshAfter = clock.now() - settings.intervalMs - leaseMs;
    if (published === undefined || published.url !== watched.backend.url || published.at < freshAfter) return false;
    if (published.sequence !== watched.appliedSequence) {
      watched.appliedSequence = published.sequence;
      // The leader's round began at most one check deadline before it ended.
      this.parts.apply(watched, published.report, mark, published.at - settings.timeoutMs);
    }
    return true;
  }
}
