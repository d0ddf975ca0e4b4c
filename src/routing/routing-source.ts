/**
 * The compiled routing snapshot the request path reads, kept in step with the store. The
 * store is the source of truth (the admin API and other replicas write it); a refresh
 * compares revisions and recompiles only on change, so requests never wait on the store.
 */
import type { Logger } from 'pino';
import type { RoutingStore } from './routing-store.js';
import { compileSnapshot, type RoutingSnapshot } from './snapshot.js';

export class RoutingSource {
  private readonly listeners: ((snapshot: RoutingSnapshot) => void)[] = [];
  /** The refresh under way; callers during it share its outcome and then run one more. */
  private refreshing: Promise<boolean> | undefined;
  private again: Promise<boolean> | undefined;
  /** Set while reads fail, so an outage is logged when it starts and when it ends, not per try. */
  private failing = false;

  private constructor(
    private readonly store: RoutingStore,
    private readonly logger: SourceLogger,
    private snapshot: RoutingSnapshot,
  ) {}

  static async open(store: RoutingStore, logger: SourceLogger): Promise<RoutingSource> {
    const { config, revision } = await store.read();
    return new RoutingSource(store, logger, compileSnapshot(config, revision));
  }

  readonly current = (): RoutingSnapshot => this.snapshot;

  /** Called with each new snapshot (monitors follow the backend list). */
  onChange(listener: (snapshot: RoutingSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Recompiles when the store's revision moved. Resolves to true when the snapshot changed;
   * never rejects (a failure keeps the current snapshot and is logged). A call made while a
   * refresh runs waits for one that starts after it, so it sees every commit before the call.
   */
  refresh(): Promise<boolean> {
    if (this.refreshing === undefined) return this.start();
    this.again ??= this.refreshing.then(() => {
      this.again = undefined;
      return this.start();
    });
    return this.again;
  }

  private start(): Promise<boolean> {
    const run = this.reload().finally(() => {
      if (this.refreshing === run) this.refreshing = undefined;
    });
    this.refreshing = run;
    return run;
  }

  private async reload(): Promise<boolean> {
    try {
      const stored = await this.store.revision();
      this.recovered();
      if (stored === this.snapshot.revision) return false;
      const { config, revision } = await this.store.read();
      // Revisions only grow: an older read (a slow store) never replaces a newer snapshot.
      if (revision <= this.snapshot.revision) return false;
      this.snapshot = compileSnapshot(config, revision);
    } catch (error) {
      // Keep routing with the last good snapshot; the next refresh tries again.
      const fields = { err: error, revision: this.snapshot.revision };
      if (this.failing) this.logger.debug?.(fields, 'routing still cannot be read from the store');
      else this.logger.error(fields, 'could not reload routing from the store; keeping the current snapshot');
      this.failing = true;
      return false;
    }
    this.logger.info({ revision: this.snapshot.revision }, 'routing configuration reloaded from the store');
    for (const listener of this.listeners) listener(this.snapshot);
    return true;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info({ revision: this.snapshot.revision }, 'routing can be read from the store again');
  }
}

type SourceLogger = Pick<Logger, 'info' | 'error'> & Partial<Pick<Logger, 'debug'>>;
