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
  /** The last read failure's message while reads fail (admin reads report it). */
  private failure: string | null = null;

  private constructor(
    private readonly store: RoutingStore,
    private readonly logger: SourceLogger,
    private snapshot: RoutingSnapshot,
    private readonly now: () => number,
    /** When the store last answered a read: the snapshot was current then. */
    private syncedAt: number,
  ) {}

  static async open(store: RoutingStore, logger: SourceLogger, now: () => number = Date.now): Promise<RoutingSource> {
    const { config, revision } = await store.read();
    return new RoutingSource(store, logger, compileSnapshot(config, revision), now, now());
  }

  readonly current = (): RoutingSnapshot => this.snapshot;

  /** When the store last answered, and its error while it does not. */
  sync(): { readonly syncedAt: number; readonly storeError: string | null } {
    return { syncedAt: this.syncedAt, storeError: this.failure };
  }

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
      const checkedAt = this.now();
      const stored = await this.store.revision();
      this.recovered();
      if (stored === this.snapshot.revision) {
        this.syncedAt = Math.max(this.syncedAt, checkedAt);
        return false;
      }
      const { config, revision } = await this.store.read();
      this.syncedAt = Math.max(this.syncedAt, checkedAt);
      // Revisions only grow: an older read (a slow store) never replaces a newer snapshot.
      if (revision <= this.snapshot.revision) return false;
      this.snapshot = compileSnapshot(config, revision);
    } catch (error) {
      // Keep routing with the last good snapshot; the next refresh tries again.
      const fields = { err: error, revision: this.snapshot.revision };
      if (this.failing) this.logger.debug?.(fields, 'routing still cannot be read from the store');
      else this.logger.error(fields, 'could not reload routing from the store; keeping the current snapshot');
      this.failing = true;
      this.failure = error instanceof Error ? error.message : String(error);
      return false;
    }
    this.logger.info({ revision: this.snapshot.revision }, 'routing configuration reloaded from the store');
    for (const listener of this.listeners) listener(this.snapshot);
    return true;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.failure = null;
    this.logger.info({ revision: this.snapshot.revision }, 'routing can be read from the store again');
  }
}

type SourceLogger = Pick<Logger, 'info' | 'error'> & Partial<Pick<Logger, 'debug'>>;
