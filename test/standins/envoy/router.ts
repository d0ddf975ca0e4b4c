/**
 * envoy.filters.http.router (terminal): takes the cached route, picks the cluster (for
 * cluster_header: the header's first value when the route was resolved), proxies to one of its
 * endpoints and hands the upstream response to the encoder filters.
 * Local replies: no route 404 (NR), unknown/missing cluster 503 (NC, empty body), no endpoint 503
 * (UH), circuit breaker overflow 503 (UO), connect failure 503 (UF), reset before headers 503
 * (UC), route timeout 504 (UT). Each cluster has its own connection pool, capped at its
 * max_connections (node queues the rest as Envoy's pool holds pending streams).
 */
import * as http from 'node:http';
import type { RouterFilterConfig } from './config.js';
import type { Cluster, ClusterManager } from './clusters.js';
import type { FilterCallbacks, ResponseState } from './filter-chain.js';
import { HeaderMap, HOP_BY_HOP } from './header-map.js';
import { activityTap, startUpstream } from './proxy.js';

export interface RouterCallbacks extends FilterCallbacks {
  /** The route's idle_timeout replaces the HCM stream_idle_timeout. */
  setIdleTimeout(ms: number): void;
  /** Body activity in either direction. */
  touch(): void;
  /** Registers what to do when the stream ends before the upstream exchange did. */
  onStreamEnd(cleanup: () => void): void;
}

function upstreamHeaders(cb: RouterCallbacks, timeoutMs: number, suppressEnvoyHeaders: boolean): string[] {
  const h = cb.requestHeaders;
  const out: string[] = [];
  const authority = h.getFirst(':authority');
  if (authority !== undefined) out.push('host', authority);
  for (const e of h.entries()) {
    if (e.name.startsWith(':') || e.name === 'host' || HOP_BY_HOP.has(e.name)) continue;
    if (e.name === 'x-envoy-expected-rq-timeout-ms') continue;
    out.push(e.name, e.value);
  }
  if (!suppressEnvoyHeaders && timeoutMs > 0) out.push('x-envoy-expected-rq-timeout-ms', String(timeoutMs));
  // Framing: keep content-length when present, otherwise chunked whenever there is a body.
  if (cb.requestBody.kind !== 'none' && !h.has('content-length')) out.push('transfer-encoding', 'chunked');
  return out;
}

function hasNoBody(method: string, response: http.IncomingMessage): boolean {
  const status = response.statusCode ?? 0;
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return true;
  const te = response.headers['transfer-encoding'];
  return te === undefined && response.headers['content-length'] === '0';
}

export class Router {
  private readonly agents = new WeakMap<Cluster, http.Agent>();
  private readonly allAgents: http.Agent[] = [];

  constructor(
    private readonly config: RouterFilterConfig,
    private readonly clusters: ClusterManager,
  ) {}

  close(): void {
    for (const agent of this.allAgents.splice(0)) agent.destroy();
  }

  private agentFor(cluster: Cluster): http.Agent {
    let agent = this.agents.get(cluster);
    if (agent === undefined) {
      agent = new http.Agent({ keepAlive: true, maxSockets: cluster.resources.limits.maxConnections });
      this.agents.set(cluster, agent);
      this.allAgents.push(agent);
    }
    return agent;
  }

  async forward(cb: RouterCallbacks): Promise<ResponseState | undefined> {
    const route = cb.route();
    if (route.kind === 'no_route') {
      cb.sendLocalReply({ status: 404, key: 'NR', details: 'route_not_found' });
      return undefined;
    }
    const action = route.entry.action;
    const cluster = route.clusterName === undefined ? undefined : this.clusters.get(route.clusterName);
    if (cluster === undefined) {
      cb.sendLocalReply({ status: action.clusterNotFoundStatus, key: 'NC', details: 'cluster_not_found' });
      return undefined;
    }
    if (action.idleTimeoutMs !== undefined) cb.setIdleTimeout(action.idleTimeoutMs);
    // Follows source/common/router/router.cc (finalizeRequestHeaders): the route's
    // request_headers_to_remove edits the headers going upstream; the cluster stays as chosen.
    for (const name of route.entry.requestHeadersToRemove) cb.requestHeaders.remove(name);
    const endpoint = cluster.pick();
    if (endpoint === undefined) {
      cb.sendLocalReply({ status: 503, body: 'no healthy upstream', key: 'UH', details: 'no_healthy_upstream' });
      return undefined;
    }

    // Follows source/common/conn_pool/conn_pool_base.cc: past the circuit breakers the stream
    // fails at once; the router's local reply is 503 UO.
    const admission = cluster.resources.admit();
    if (admission.kind === 'overflow') {
      cb.sendLocalReply({
        status: 503,
        body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
        key: 'UO',
        details: `upstream_reset_before_response_started{overflow}`,
      });
      return undefined;
    }
    cb.onStreamEnd(admission.release);

    const method = cb.requestHeaders.getFirst(':method') ?? 'GET';
    const started = Date.now();
    const call = startUpstream({
      endpoint,
      method,
      path: cb.requestHeaders.getFirst(':path') ?? '/',
      headers: upstreamHeaders(cb, action.timeoutMs, this.config.suppressEnvoyHeaders),
      body: cb.requestBody,
      connectTimeoutMs: cluster.connectTimeoutMs,
      agent: this.agentFor(cluster),
      onActivity: () => cb.touch(),
    });

    // The route timeout runs from the end of the downstream request to the end of the response.
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let upstreamResponse: http.IncomingMessage | undefined;
    const stopTimer = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    if (action.timeoutMs > 0) {
      void call.requestSent.then(() => {
        if (cb.signal.aborted) return;
        timer = setTimeout(() => {
          timedOut = true;
          if (upstreamResponse === undefined) call.abort();
          else {
            upstreamResponse.destroy();
            cb.resetStream();
          }
        }, action.timeoutMs);
      });
    }
    cb.onStreamEnd(() => {
      stopTimer();
      call.abort();
      upstreamResponse?.destroy();
    });

    const outcome = await call.outcome;
    if (outcome.kind !== 'response') {
      admission.release();
      stopTimer();
      if (cb.signal.aborted) return undefined;
      if (timedOut) cb.sendLocalReply({ status: 504, body: 'upstream request timeout', key: 'UT', details: 'upstream_response_timeout' });
      else if (outcome.kind === 'connect_failure') {
        cb.sendLocalReply({
          status: 503,
          body: `upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: ${outcome.message}`,
          key: 'UF',
          details: 'upstream_reset_before_response_started{remote_connection_failure}',
        });
      } else if (outcome.kind === 'reset') {
        cb.sendLocalReply({
          status: 503,
          body: `upstream connect error or disconnect/reset before headers. reset reason: ${outcome.message}`,
          key: 'UC',
          details: 'upstream_reset_before_response_started{connection_termination}',
        });
      }
      return undefined;
    }

    const res = outcome.response;
    upstreamResponse = res;
    res.on('end', stopTimer);
    res.on('close', stopTimer);
    res.on('close', admission.release);
    cb.touch();
    const headers = new HeaderMap();
    headers.add(':status', String(res.statusCode ?? 502));
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
      const name = (res.rawHeaders[i] as string).toLowerCase();
      if (!HOP_BY_HOP.has(name)) headers.add(name, res.rawHeaders[i + 1] as string);
    }
    if (!this.config.suppressEnvoyHeaders) headers.set('x-envoy-upstream-service-time', String(Date.now() - started));
    if (hasNoBody(method, res)) {
      res.resume();
      return { headers, body: { kind: 'none' }, local: false };
    }
    const tap = activityTap(() => cb.touch());
    res.on('error', (err) => tap.destroy(err));
    res.on('close', () => {
      if (!res.complete) tap.destroy(new Error('upstream reset'));
    });
    tap.on('close', () => {
      if (!res.complete) res.destroy();
    });
    res.pipe(tap);
    return { headers, body: { kind: 'stream', readable: tap }, local: false };
  }
}
