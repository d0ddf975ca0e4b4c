/**
 * The Envoy stand-in's CDS over ADS (envoy/envoy-xds.yaml) against a scripted ADS server: the
 * subscription Envoy opens (wildcard CDS, node on the first message), clusters applied as the
 * complete list, ACKs, NACKs of invalid clusters (valid ones still applied, the previous
 * version kept), removal of clusters a response leaves out, and reconnects that name the
 * version held.
 */
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AggregatedDiscoveryServiceService } from '../../../src/gen/envoy/service/discovery/v3/ads.js';
import type { DiscoveryRequest, DiscoveryResponse } from '../../../src/gen/envoy/service/discovery/v3/discovery.js';
import { loadConfigFile } from '../../../src/config/index.js';
import { packAny } from '../../../src/xds/envoy-messages.js';
import { clusterOf, CLUSTER_TYPE } from '../../../src/xds/resources.js';
import { parseCdsCluster } from './config.js';
import { decodeCluster } from './xds-client.js';
import { REPO_ROOT } from './fakes.js';
import { parseEnvoyConfig, startEnvoyStandin, type EnvoyStandin } from './index.js';
import { readFileSync } from 'node:fs';

const ENVOY_XDS_YAML = join(REPO_ROOT, 'envoy/envoy-xds.yaml');
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function cluster(name: string, port: number, extra: Record<string, unknown> = {}): DiscoveryResponse['resources'][number] {
  return packAny('envoy.config.cluster.v3.Cluster', {
    name,
    type: 'STATIC',
    connect_timeout: { seconds: 1 },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
    ...extra,
  });
}

/** An ADS server the test scripts: it records requests and sends what it is told. */
class ScriptedAds {
  readonly requests: DiscoveryRequest[] = [];
  readonly calls: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>[] = [];
  private readonly server = new grpc.Server();
  private waiters: (() => void)[] = [];
  port = 0;

  async start(): Promise<void> {
    this.server.addService(AggregatedDiscoveryServiceService, {
      streamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
        this.calls.push(call);
        call.on('data', (r: DiscoveryRequest) => {
          this.requests.push(r);
          for (const w of this.waiters.splice(0)) w();
        });
        call.on('error', () => undefined);
      },
      deltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
    });
    this.port = await new Promise((resolve, reject) => {
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e)));
    });
  }

  send(version: string, nonce: string, resources: DiscoveryResponse['resources']): void {
    this.calls[this.calls.length - 1]?.write({ versionInfo: version, resources, canary: false, typeUrl: CDS, nonce });
  }

  async request(count: number): Promise<DiscoveryRequest> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.requests[count - 1] as DiscoveryRequest;
  }

  close(): void {
    this.server.forceShutdown();
  }
}

async function upstream(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('circuit breakers of the clusters the router serves', () => {
  it('are read from CDS, and equal the static clusters\' in envoy/envoy.yaml (one definition: xds.circuitBreakers)', () => {
    const config = loadConfigFile(join(REPO_ROOT, 'config/example.yaml'), { env: { ROUTER_PREFIX_KEY: 'k'.repeat(32) } });
    const backend = config.routing.backends[0];
    if (backend === undefined) throw new Error('config/example.yaml has no backend');
    const packed = packAny(CLUSTER_TYPE, clusterOf(backend, config.xds));
    const fromCds = parseCdsCluster(decodeCluster({ type_url: packed.typeUrl, value: Buffer.from(packed.value) }).object, 'CDS');
    const shipped = parseEnvoyConfig(readFileSync(join(REPO_ROOT, 'envoy/envoy.yaml'), 'utf8'));
    expect(fromCds.circuitBreakers).toEqual(shipped.clusters.get('trino-a')?.circuitBreakers);
    expect(fromCds.circuitBreakers).toEqual(shipped.clusters.get('trino_router')?.circuitBreakers);
    expect(fromCds.circuitBreakers.maxRequests).toBeGreaterThan(1024);
  });
});

describe('Envoy stand-in: clusters from CDS over ADS', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reads the shipped envoy-xds.yaml: ADS over the static trino_router cluster, CDS from it', () => {
    const config = parseEnvoyConfig(readFileSync(ENVOY_XDS_YAML, 'utf8'), ENVOY_XDS_YAML);
    expect(config.cds).toEqual({ ads: { clusterName: 'trino_router', setNodeOnFirstMessageOnly: true }, node: { id: 'envoy-trino', cluster: 'trino-gateway' }, initialFetchTimeoutMs: 15_000 });
    expect([...config.clusters.keys()]).toEqual(['trino_router']);
    const withoutNode = readFileSync(ENVOY_XDS_YAML, 'utf8').replace(/^node:\n(?: {2}.*\n)+/m, '');
    expect(() => parseEnvoyConfig(withoutNode)).toThrow(/node 'id' and 'cluster' are required/);
  });

  it('subscribes, applies, ACKs, NACKs invalid clusters keeping the last good version, removes what an update leaves out, and resubscribes after a reconnect', async () => {
    const ads = new ScriptedAds();
    await ads.start();
    cleanups.push(() => ads.close());
    const a = await upstream('a');
    const b = await upstream('b');
    cleanups.push(() => a.close(), () => b.close());

    const starting = startEnvoyStandin({ configPath: ENVOY_XDS_YAML, clusters: { trino_router: [{ host: '127.0.0.1', port: ads.port }] } });
    const subscribe = await ads.request(1);
    expect(subscribe).toMatchObject({ typeUrl: CDS, versionInfo: '', responseNonce: '', resourceNames: [], node: { id: 'envoy-trino', cluster: 'trino-gateway' } });
    ads.send('v1', 'n1', [cluster('trino-a', a.port), cluster('trino-b', b.port)]);
    const envoy: EnvoyStandin = await starting;
    cleanups.push(() => envoy.close());
    expect(await ads.request(2)).toMatchObject({ versionInfo: 'v1', responseNonce: 'n1', errorDetail: undefined });
    expect(ads.requests[1]?.node).toBeUndefined();
    expect(envoy.cds()).toEqual({ version: 'v1', clusters: ['trino-a', 'trino-b'], accepted: 1, rejected: [] });

    // An EDS cluster is invalid for the stand-in (it has no EDS): NACK, the valid one still applied.
    ads.send('v2', 'n2', [cluster('trino-a', a.port), cluster('trino-c', b.port, { type: 'EDS', load_assignment: undefined, eds_cluster_config: { eds_config: { ads: {} } } })]);
    const nack = await ads.request(3);
    expect(nack).toMatchObject({ versionInfo: 'v1', responseNonce: 'n2', errorDetail: { code: 13 } });
    expect(nack.errorDetail?.message).toMatch(/trino-c/);
    // trino-b was left out of v2: removed; trino-c invalid: not added.
    expect(envoy.cds()).toMatchObject({ version: 'v1', clusters: ['trino-a'], rejected: [{ version: 'v2' }] });

    // A static cluster cannot be replaced over CDS.
    ads.send('v3', 'n3', [cluster('trino_router', a.port)]);
    expect((await ads.request(4)).errorDetail?.message).toMatch(/trino_router: a static cluster cannot be added or updated via CDS/);

    ads.send('v4', 'n4', [cluster('trino-b', b.port)]);
    expect(await ads.request(5)).toMatchObject({ versionInfo: 'v4', responseNonce: 'n4' });
    expect(envoy.cds()?.clusters).toEqual(['trino-b']);

    // The server goes away: the stand-in reconnects, naming the version it holds, no nonce.
    ads.calls[ads.calls.length - 1]?.end();
    const resubscribe = await ads.request(6);
    expect(resubscribe).toMatchObject({ versionInfo: 'v4', responseNonce: '', node: { id: 'envoy-trino' } });
    expect(ads.calls).toHaveLength(2);
  });
});
