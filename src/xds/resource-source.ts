/**
 * The resources the ADS server serves, kept in step with the routing snapshot: rebuilt when
 * the snapshot changes (every admin change refreshes it at once; other replicas' changes
 * within the routing refresh interval), announced only when a type's version moved.
 */
import type { Logger } from 'pino';
import type { XdsSettings } from '../config/router-config.js';
import type { RoutingSnapshot } from '../routing/snapshot.js';
import { buildResourceSet, PackedResources, type ResourceSet } from './resources.js';

/** The part of RoutingSource this needs. */
export interface SnapshotSource {
  current(): RoutingSnapshot;
  onChange(listener: (snapshot: RoutingSnapshot) => void): void;
}

export class XdsResourceSource {
  private set: ResourceSet;
  private readonly listeners = new Set<(set: ResourceSet) => void>();
  /** A routing change that leaves the backends alone then packs nothing again. */
  private readonly packer = new PackedResources();

  constructor(
    routing: SnapshotSource,
    private readonly settings: XdsSettings,
    private readonly logger: Pick<Logger, 'info' | 'error'>,
  ) {
    const snapshot = routing.current();
    // A backend the encoder refuses is a bug: fail at start rather than serve half the clusters.
    this.set = buildResourceSet(snapshot.backends.values(), settings, this.packer);
    routing.onChange((next) => this.rebuild(next));
  }

  readonly current = (): ResourceSet => this.set;

  /** Called after each change of any type's version; returns the unsubscribe function. */
  onChange(listener: (set: ResourceSet) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private rebuild(snapshot: RoutingSnapshot): void {
    let next: ResourceSet;
    try {
      next = buildResourceSet(snapshot.backends.values(), this.settings, this.packer);
    } catch (error) {
      // Keep serving the last good clusters; the next routing change tries again.
      this.logger.error({ err: error, revision: snapshot.revision }, 'could not build the xDS clusters; Envoy keeps the previous ones');
      return;
    }
    const moved = [...next].filter(([typeUrl, resources]) => this.set.get(typeUrl)?.version !== resources.version);
    this.set = next;
    if (moved.length === 0) return;
    this.logger.info({
      revision: snapshot.revision,
      versions: Object.fromEntries(moved.map(([typeUrl, r]) => [typeUrl, r.version])),
      clusters: snapshot.backends.size,
    }, 'xDS resources changed');
    for (const listener of this.listeners) listener(next);
  }
}
