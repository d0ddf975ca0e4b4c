/**
 * The cluster manager: clusters from envoy.yaml with their endpoints (tests override socket
 * addresses), round robin per request/stream, clusters from CDS (applyCds: each update is the
 * complete dynamic list, as state-of-the-world CDS is), and clusters added or moved by tests
 * through setEndpoints().
 *
 * A request keeps the endpoint it was sent to: removing or replacing a cluster never cuts a
 * request in flight (Envoy drains the old cluster the same way).
 */
import { ClusterResources } from './circuit-breakers.js';
import { DEFAULT_CIRCUIT_BREAKERS, type CircuitBreakerThresholds, type ClusterConfig, type Endpoint } from './config.js';

export class Cluster {
  private rr = 0;
  private list: readonly Endpoint[];
  /** Circuit breakers: what the cluster's streams may hold at once. */
  readonly resources: ClusterResources;

  constructor(
    readonly name: string,
    readonly connectTimeoutMs: number,
    readonly http2: boolean,
    endpoints: readonly Endpoint[],
    circuitBreakers: CircuitBreakerThresholds = DEFAULT_CIRCUIT_BREAKERS,
  ) {
    this.list = [...endpoints];
    this.resources = new ClusterResources(circuitBreakers, http2);
  }

  get endpoints(): readonly Endpoint[] {
    return this.list;
  }

  set endpoints(endpoints: readonly Endpoint[]) {
    this.list = [...endpoints];
  }

  /** Round robin; undefined when the cluster has no hosts ("no healthy upstream"). */
  pick(): Endpoint | undefined {
    if (this.list.length === 0) return undefined;
    return this.list[this.rr++ % this.list.length];
  }
}

export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();
  private readonly staticNames: ReadonlySet<string>;
  private readonly dynamicNames = new Set<string>();

  constructor(configs: ReadonlyMap<string, ClusterConfig>, overrides: Readonly<Record<string, readonly Endpoint[]>>) {
    for (const name of Object.keys(overrides)) {
      if (!configs.has(name)) {
        throw new Error(
          `envoy stand-in: cluster "${name}" is not defined in the Envoy config (known: ${[...configs.keys()].join(', ')}); ` +
            'tests may only override socket addresses. Add clusters at runtime with setClusterEndpoints().',
        );
      }
    }
    for (const c of configs.values()) {
      this.clusters.set(c.name, new Cluster(c.name, c.connectTimeoutMs, c.http2, overrides[c.name] ?? c.endpoints, c.circuitBreakers));
    }
    this.staticNames = new Set(configs.keys());
  }

  /** Clusters that came from CDS. */
  dynamicClusters(): string[] {
    return [...this.dynamicNames].sort();
  }

  /**
   * Applies one CDS response: `clusters` (the valid ones) are added or replace what was there;
   * dynamic clusters named neither there nor in `keep` (names of invalid ones) are removed.
   * Returns the errors (a static cluster cannot be changed over CDS).
   */
  applyCds(clusters: readonly ClusterConfig[], keep: ReadonlySet<string>): string[] {
    const errors: string[] = [];
    const named = new Set<string>(keep);
    for (const c of clusters) {
      named.add(c.name);
      if (this.staticNames.has(c.name)) {
        errors.push(`cluster ${c.name}: a static cluster cannot be added or updated via CDS`);
        continue;
      }
      this.clusters.set(c.name, new Cluster(c.name, c.connectTimeoutMs, c.http2, c.endpoints, c.circuitBreakers));
      this.dynamicNames.add(c.name);
    }
    for (const name of [...this.dynamicNames]) {
      if (named.has(name)) continue;
      this.dynamicNames.delete(name);
      this.clusters.delete(name);
    }
    return errors;
  }

  get(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  endpoints(name: string): readonly Endpoint[] {
    return this.clusters.get(name)?.endpoints ?? [];
  }

  setEndpoints(name: string, endpoints: readonly Endpoint[]): void {
    const existing = this.clusters.get(name);
    if (existing !== undefined) existing.endpoints = endpoints;
    // A cluster added at runtime: plain HTTP/1.1, Envoy's default connect timeout.
    else this.clusters.set(name, new Cluster(name, 5_000, false, endpoints));
  }
}
