/**
 * Envoy's CDS over ADS (state of the world), as a bootstrap with `dynamic_resources.cds_config:
 * {ads: {}}` sets it up: one `StreamAggregatedResources` stream to the ADS cluster, a wildcard
 * CDS subscription, every response applied as the complete cluster list (a cluster it leaves
 * out is removed) and answered with an ACK, or a NACK (error_detail, code INTERNAL as Envoy
 * sends it, the previous version kept) when a cluster is invalid. Clusters that are valid are
 * applied even when others in the same response are not, as Envoy's CDS does.
 *
 * On a broken stream it reconnects with a jittered exponential back-off (Envoy's 500 ms base),
 * sending the version it holds and no nonce. The node is sent on each stream's first request
 * only when `set_node_on_first_message_only` is true, else on every request.
 *
 * Codec: @grpc/proto-loader for the ADS service and protobuf.js for the Cluster resources, both
 * from the official protos, independent of the router's generated code.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { grpcTarget, type AdsConfig, type Endpoint } from './config.js';
import { INCLUDE_DIRS, LOADER_OPTIONS } from './protos.js';

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const ADS_METHOD_PATH = `/${ADS_SERVICE}/StreamAggregatedResources`;
export const CDS_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
/** google.rpc.Code INTERNAL: what Envoy puts in a NACK's error_detail. */
const NACK_CODE = 13;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 5_000;

interface PbAny {
  type_url: string;
  value: Buffer;
}

export interface DiscoveryResponseIn {
  version_info: string;
  resources: PbAny[];
  type_url: string;
  nonce: string;
}

export interface DiscoveryRequestOut {
  version_info: string;
  node?: { id: string; cluster: string; user_agent_name: string };
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: { code: number; message: string };
}

/** A CDS response decoded: each resource as the plain object Envoy's YAML would write. */
export interface CdsUpdate {
  readonly version: string;
  readonly clusters: readonly { readonly name: string; readonly object: unknown }[];
}

/** What applying an update did: the clusters that failed (NACK) and why. */
export type ApplyResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

export interface CdsEvents {
  /** Applies a complete cluster list; returns the per-cluster errors, if any. */
  apply(update: CdsUpdate): ApplyResult;
  accepted?(version: string): void;
  rejected?(version: string, message: string): void;
}

let adsDefinition: grpc.ServiceDefinition | undefined;
function adsService(): grpc.ServiceDefinition {
  if (adsDefinition === undefined) {
    const def = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', LOADER_OPTIONS)[ADS_SERVICE];
    if (def === undefined) throw new Error(`${ADS_SERVICE} not found in the loaded protos`);
    adsDefinition = def as unknown as grpc.ServiceDefinition;
  }
  return adsDefinition;
}

let clusterType: protobuf.Type | undefined;
function clusterMessage(): protobuf.Type {
  if (clusterType === undefined) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      for (const dir of INCLUDE_DIRS) {
        const candidate = join(dir, target);
        if (existsSync(candidate)) return candidate;
      }
      return target;
    };
    root.loadSync(['envoy/config/cluster/v3/cluster.proto', 'envoy/extensions/transport_sockets/tls/v3/tls.proto'], { keepCase: true });
    root.resolveAll();
    clusterType = root.lookupType('envoy.config.cluster.v3.Cluster');
  }
  return clusterType;
}

/** A Cluster resource as YAML writes it: only fields that are set, enums by name, Any with "@type". */
export function decodeCluster(resource: PbAny): { name: string; object: Record<string, unknown> } {
  if (resource.type_url !== CDS_TYPE_URL) throw new Error(`a CDS response carries a ${resource.type_url}`);
  const type = clusterMessage();
  const object = type.toObject(type.decode(resource.value), { enums: String, longs: Number, json: true }) as Record<string, unknown>;
  return { name: String(object.name ?? ''), object };
}

export class CdsSubscription {
  private call: grpc.ClientDuplexStream<DiscoveryRequestOut, DiscoveryResponseIn> | undefined;
  private client: grpc.Client | undefined;
  private accepted = '';
  private closed = false;
  private attempts = 0;
  private retry: NodeJS.Timeout | undefined;
  private rr = 0;
  private firstResolve: (() => void) | undefined;
  /** Resolves at the first response handled (ACKed or NACKed), as Envoy's init waits for CDS. */
  readonly firstUpdate: Promise<void>;

  constructor(
    private readonly config: AdsConfig,
    private readonly node: { id: string; cluster: string },
    private readonly endpoints: () => readonly Endpoint[],
    private readonly events: CdsEvents,
  ) {
    this.firstUpdate = new Promise((resolve) => {
      this.firstResolve = resolve;
    });
    this.connect();
  }

  /** The version last accepted ('' before the first). */
  get version(): string {
    return this.accepted;
  }

  close(): void {
    this.closed = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.call?.cancel();
    this.client?.close();
    this.firstResolve?.();
  }

  private connect(): void {
    if (this.closed) return;
    const endpoints = this.endpoints();
    if (endpoints.length === 0) {
      this.scheduleReconnect();
      return;
    }
    const endpoint = endpoints[this.rr++ % endpoints.length] as Endpoint;
    const target = grpcTarget(endpoint);
    this.client?.close();
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.default_authority': this.config.clusterName,
      'grpc.use_local_subchannel_pool': 1,
    });
    const method = adsService()['StreamAggregatedResources'];
    if (method === undefined) throw new Error('StreamAggregatedResources missing from the service definition');
    const call = this.client.makeBidiStreamRequest<DiscoveryRequestOut, DiscoveryResponseIn>(
      ADS_METHOD_PATH,
      method.requestSerialize as (value: DiscoveryRequestOut) => Buffer,
      method.responseDeserialize as (bytes: Buffer) => DiscoveryResponseIn,
      new grpc.Metadata(),
      {},
    );
    this.call = call;
    let first = true;
    const send = (request: Omit<DiscoveryRequestOut, 'node' | 'type_url' | 'resource_names'>): void => {
      const withNode = first || !this.config.setNodeOnFirstMessageOnly;
      first = false;
      call.write({
        ...request,
        type_url: CDS_TYPE_URL,
        resource_names: [],
        ...(withNode ? { node: { id: this.node.id, cluster: this.node.cluster, user_agent_name: 'envoy-standin' } } : {}),
      });
    };
    call.on('data', (response: DiscoveryResponseIn) => {
      this.attempts = 0;
      if (response.type_url !== CDS_TYPE_URL) {
        // Envoy NACKs a type it never subscribed to on this stream.
        return;
      }
      const result = this.handle(response);
      if (result.ok) {
        this.accepted = response.version_info;
        send({ version_info: response.version_info, response_nonce: response.nonce });
        this.events.accepted?.(response.version_info);
      } else {
        send({ version_info: this.accepted, response_nonce: response.nonce, error_detail: { code: NACK_CODE, message: result.message } });
        this.events.rejected?.(response.version_info, result.message);
      }
      this.firstResolve?.();
      this.firstResolve = undefined;
    });
    call.on('status', () => {
      if (this.call === call) this.scheduleReconnect();
    });
    call.on('error', () => undefined);
    // The subscription: wildcard CDS, with the version held (none on the very first stream).
    send({ version_info: this.accepted, response_nonce: '' });
  }

  private handle(response: DiscoveryResponseIn): ApplyResult {
    const clusters: { name: string; object: unknown }[] = [];
    const errors: string[] = [];
    for (const resource of response.resources) {
      try {
        clusters.push(decodeCluster(resource));
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    const applied = this.events.apply({ version: response.version_info, clusters });
    if (!applied.ok) errors.push(applied.message);
    return errors.length === 0 ? { ok: true } : { ok: false, message: errors.join('\n') };
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.call = undefined;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempts++);
    this.retry = setTimeout(() => this.connect(), Math.floor(Math.random() * ceiling) + 1);
    this.retry.unref();
  }
}
