/**
 * One judge of health for a fleet: one replica at a time leads (the store decides who), checks
 * every backend and publishes each round's report; the others apply the newest published
 * report instead of checking, so every replica derives the same states from the same
 * observations. A follower whose newest report is older than one interval plus a lease checks
 * on its own rather than serve stale states. Every replica keeps counting its own in-flight
 * queries.
 */
import type { ProbeReport } from './probe.js';

export interface PublishedReport {
  readonly backend: string;
  /** The coordinator URL that was checked (a report about an old URL is not applied). */
  readonly url: string;
  /** Increases with every report the fleet publishes for this backend. */
  readonly sequence: number;
  /** When the round ended, epoch ms. */
  readonly at: number;
  readonly report: ProbeReport;
}

export interface SharedHealth {
  /** True while this replica leads; it then checks and publishes. */
  leading(): boolean;
  /** Stores the round's report for the fleet (the leader only). */
  publish(backend: string, url: string, report: ProbeReport, at: number): Promise<void>;
  /** The newest published report of a backend. */
  latest(backend: string): Promise<PublishedReport | undefined>;
}
