/**
 * The compiled routing snapshot the request path reads, kept in step with the store. The
 * store is the source of truth (the admin API and other replicas write it); a timer compares
 * its revision and recompiles only on change, so requests never touch the disk.
 */
import type { Logger } from 'pino';
import { compileSnapshot, type RoutingSnapshot } from '../routing/snapshot.js';
import type { RoutingRepository } from '../store/routing-repository.js';

export class RoutingSource {
  private snapshot: RoutingSnapshot;
  private readonly listeners: ((snapshot: RoutingSnapshot) => void)[] = [];

  constructor(
    private readonly repository: RoutingRepository,
    private readonly logger: Pick<Logger, 'info' | 'error'>,
  ) {
    const { config, revision } = repository.loadWithRevision();
    this.snapshot = compileSnapshot(config, revision);
  }

  readonly current = (): RoutingSnapshot => this.snapshot;

  /** Called with each new snapshot (monitors follow the backend list). */
  onChange(listener: (snapshot: RoutingSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Recompiles when the store's revision moved. Returns true when the snapshot changed. */
  refresh(): boolean {
    try {
      if (this.repository.revision() === this.snapshot.revision) return false;
      const { config, revision } = this.repository.loadWithRevision();
      this.snapshot = compileSnapshot(config, revision);
    } catch (error) {
      // Keep routing with the last good snapshot; the next tick tries again.
      this.logger.error({ err: error, revision: this.snapshot.revision }, 'could not reload routing from the store; keeping the current snapshot');
      return false;
    }
    this.logger.info({ revision: this.snapshot.revision }, 'routing configuration reloaded from the store');
    for (const listener of this.listeners) listener(this.snapshot);
    return true;
  }
}
