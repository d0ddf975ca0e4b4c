/**
 * The xDS resources of one routing snapshot (pure): one Envoy cluster per backend, and with
 * `xds.apiListeners` one Listener per backend for proxyless gRPC clients. Each type's version
 * is a hash of its content, so an admin change that leaves the clusters alone (a rule, a
 * group) gives the same version, and every replica gives the same version for the same
 * backends.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { XdsSettings } from '../config/router-config.js';
import type { Any } from '../gen/google/protobuf/any.js';
import type { Backend } from '../routing/model.js';
import { packAny, TYPE_URL_PREFIX, type EnvoyObject } from './envoy-messages.js';

export const CLUSTER_TYPE = 'envoy.config.cluster.v3.Cluster';
export const LISTENER_TYPE = 'envoy.config.listener.v3.Listener';
export const CLUSTER_TYPE_URL = TYPE_URL_PREFIX + CLUSTER_TYPE;
export const LISTENER_TYPE_URL = TYPE_URL_PREFIX + LISTENER_TYPE;
const UPSTREAM_TLS_CONTEXT = `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`;
const HCM = `${TYPE_URL_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const ROUTER = `${TYPE_URL_PREFIX}envoy.extensions.filters.http.router.v3.Router`;

/** Short names of the types the router serves, for logs and metric labels. */
export type XdsType = 'cluster' | 'listener' | 'other';

export function xdsTypeOf(typeUrl: string): XdsType {
  if (typeUrl === CLUSTER_TYPE_URL) return 'cluster';
  if (typeUrl === LISTENER_TYPE_URL) return 'listener';
  return 'other';
}

/** All resources of one type, by name, and the version naming exactly this content. */
export interface TypeResources {
  readonly version: string;
  readonly resources: ReadonlyMap<string, Any>;
}

/** What the ADS server serves: resources by type URL. A type not in the set is not served. */
export type ResourceSet = ReadonlyMap<string, TypeResources>;

/** Where Envoy reaches a backend: its URL's host and port, TLS when it is https. */
export interface BackendAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export function backendAddress(url: string): BackendAddress {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'https:';
  // URL keeps IPv6 hosts in brackets; Envoy's socket_address wants the bare address.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { host, port: parsed.port === '' ? (tls ? 443 : 80) : Number(parsed.port), tls };
}

/** A google.protobuf.Duration, zero parts left out (as Envoy's YAML would write it). */
function duration(ms: number): EnvoyObject {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms % 1000) * 1e6);
  return { ...(seconds === 0 ? {} : { seconds }), ...(nanos === 0 ? {} : { nanos }) };
}

function upstreamTls(address: BackendAddress, settings: XdsSettings): EnvoyObject {
  const ip = isIP(address.host) !== 0;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM_TLS_CONTEXT,
      // SNI must be a host name; an IP address is checked against the certificate's IP SANs only.
      ...(ip ? {} : { sni: address.host }),
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: settings.tls.caFile },
          match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: address.host } }],
        },
      },
    },
  };
}

/**
 * The Envoy cluster of one backend, named after it (the value of x-trino-cluster). LOGICAL_DNS
 * with the URL's host: Envoy resolves names itself, and a coordinator is one address. Its load
 * assignment is inline, so no EDS is needed.
 */
export function clusterOf(backend: Backend, settings: XdsSettings): EnvoyObject {
  const address = backendAddress(backend.url);
  const breakers = settings.circuitBreakers;
  const health = settings.healthCheck;
  return {
    name: backend.name,
    type: 'LOGICAL_DNS',
    dns_lookup_family: 'V4_PREFERRED',
    connect_timeout: duration(settings.connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    circuit_breakers: {
      // One threshold set, for the DEFAULT priority (the enum's zero value, so left unset).
      thresholds: [{
        max_connections: { value: breakers.maxConnections },
        max_pending_requests: { value: breakers.maxPendingRequests },
        max_requests: { value: breakers.maxRequests },
        max_retries: { value: breakers.maxRetries },
      }],
    },
    load_assignment: {
      cluster_name: backend.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: address.host, port_value: address.port } } } }] }],
    },
    ...(address.tls ? { transport_socket: upstreamTls(address, settings) } : {}),
    ...(health === null ? {} : {
      health_checks: [{
        timeout: duration(health.timeoutMs),
        interval: duration(health.intervalSeconds * 1000),
        unhealthy_threshold: { value: health.unhealthyThreshold },
        healthy_threshold: { value: health.healthyThreshold },
        http_health_check: { path: health.path, host: new URL(backend.url).host },
      }],
    }),
  };
}

/**
 * A Listener named after the backend whose api_listener routes every call to its cluster:
 * what a proxyless gRPC client (`xds:///<backend>`) resolves before it asks for the cluster.
 */
export function apiListenerOf(backend: Backend): EnvoyObject {
  return {
    name: backend.name,
    api_listener: {
      api_listener: {
        '@type': HCM,
        stat_prefix: backend.name,
        route_config: {
          name: backend.name,
          virtual_hosts: [{ name: backend.name, domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: backend.name } }] }],
        },
        http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
      },
    },
  };
}

/**
 * Packed resources by type and content, kept between builds. Every admin change rebuilds the
 * set on the event loop, and packing (field check, protobufjs fromObject, encode) was most of
 * a change's cost although a rule or group change leaves every cluster as it was: a build
 * packs only objects whose content the previous build did not have, and keeps only what it
 * used. Packing is a pure function of the content, so the bytes are the same either way.
 */
export class PackedResources {
  private previous = new Map<string, Any>();
  private current = new Map<string, Any>();

  /** Starts a build. */
  begin(): void {
    this.current = new Map();
  }

  pack(typeName: string, object: EnvoyObject): Any {
    const key = `${typeName}\0${JSON.stringify(object)}`;
    const any = this.current.get(key) ?? this.previous.get(key) ?? packAny(typeName, object);
    this.current.set(key, any);
    return any;
  }

  /** Ends a build that succeeded: what it did not use is dropped. */
  end(): void {
    this.previous = this.current;
  }
}

function typeResources(typeName: string, objects: readonly EnvoyObject[], packer: PackedResources | undefined): TypeResources {
  const resources = new Map<string, Any>();
  const hash = createHash('sha256');
  for (const object of [...objects].sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1))) {
    const name = String(object.name);
    const any = packer === undefined ? packAny(typeName, object) : packer.pack(typeName, object);
    resources.set(name, any);
    hash.update(name).update('\0').update(any.value).update('\0');
  }
  return { version: hash.digest('hex').slice(0, 16), resources };
}

/** Every resource the router serves for these backends; `packer` reuses what an earlier build packed. */
export function buildResourceSet(backends: Iterable<Backend>, settings: XdsSettings, packer?: PackedResources): ResourceSet {
  const list = [...backends];
  packer?.begin();
  const set = new Map<string, TypeResources>([[CLUSTER_TYPE_URL, typeResources(CLUSTER_TYPE, list.map((b) => clusterOf(b, settings)), packer)]]);
  if (settings.apiListeners) set.set(LISTENER_TYPE_URL, typeResources(LISTENER_TYPE, list.map(apiListenerOf), packer));
  packer?.end();
  return set;
}
