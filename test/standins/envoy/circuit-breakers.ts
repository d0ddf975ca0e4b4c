/**
 * A cluster's circuit breakers (DEFAULT priority), as Envoy's connection pools apply them.
 * Follows source/common/upstream/resource_manager_impl.h (the counters and their limits) and
 * source/common/conn_pool/conn_pool_base.cc (newStreamImpl / attachStreamToClient):
 * - a stream that finds a ready connection is attached, unless max_requests streams are active
 *   already (overflow);
 * - otherwise it waits as a pending stream, unless max_pending_requests wait already
 *   (overflow), while new connections are opened up to max_connections.
 * An overflow fails the stream at once: the router answers 503 with response flag UO; for the
 * router's own gRPC cluster the ext_proc stream or ext_authz call fails (status_on_error, or
 * failure_mode_allow).
 *
 * HTTP/1 (a backend): one stream per connection, so with n requests in flight min(n,
 * max_connections) are active and the rest pending (node's agent, capped at max_connections
 * sockets per cluster, queues them). HTTP/2 (the router's gRPC cluster): every stream rides
 * the one connection, so max_requests is the limit; the short pending phase while that
 * connection is first set up is not modelled.
 */
import type { CircuitBreakerThresholds } from './config.js';

export type Admission = { readonly kind: 'admitted'; release(): void } | { readonly kind: 'overflow'; readonly limit: 'max_requests' | 'max_pending_requests' };

export class ClusterResources {
  private inFlight = 0;
  /** Streams refused so far (Envoy's upstream_rq_pending_overflow + the max_requests overflows). */
  overflows = 0;

  constructor(
    readonly limits: CircuitBreakerThresholds,
    private readonly http2: boolean,
  ) {}

  /** Streams (requests) currently admitted. */
  get active(): number {
    return this.inFlight;
  }

  /** Asks for one more stream: admitted (release it when the stream ends) or overflow. */
  admit(): Admission {
    const limit = this.refusal();
    if (limit !== undefined) {
      this.overflows++;
      return { kind: 'overflow', limit };
    }
    this.inFlight++;
    let released = false;
    return {
      kind: 'admitted',
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
      },
    };
  }

  private refusal(): 'max_requests' | 'max_pending_requests' | undefined {
    const { maxConnections, maxPendingRequests, maxRequests } = this.limits;
    if (this.http2) return this.inFlight >= maxRequests ? 'max_requests' : undefined;
    // HTTP/1: a free connection slot means the stream is attached at once (max_requests
    // applies), otherwise it is pending (max_pending_requests applies).
    if (this.inFlight < maxConnections) return this.inFlight >= maxRequests ? 'max_requests' : undefined;
    return this.inFlight - maxConnections >= maxPendingRequests ? 'max_pending_requests' : undefined;
  }
}
