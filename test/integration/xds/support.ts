/**
 * Fixtures of the xDS tests: a router with the admin API and /metrics on free loopback ports
 * (no health monitor), an admin client, a raw ADS client on the router's xDS port, and metric
 * reads.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRouter, type RunningRouter } from '../../../src/app.js';
import { connect, type AdminClient } from '../../../src/cli/admin-client.js';
import { formatGrpcListenAddress } from '../../../src/config/index.js';
import { AggregatedDiscoveryServiceClient } from '../../../src/gen/envoy/service/discovery/v3/ads.js';
import type { DiscoveryRequest, DiscoveryResponse } from '../../../src/gen/envoy/service/discovery/v3/discovery.js';
import type { Logger } from '../../../src/observability/logger.js';

export const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';

export interface XdsRouter {
  readonly router: RunningRouter;
  readonly admin: AdminClient;
  readonly xdsAddress: string;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/** `backends` and `xds` are YAML; the routing has one group `all` over every backend. */
export async function startXdsRouter(options: { backends: readonly { name: string; url: string }[]; xds?: string; listenXds?: string; logger?: Logger }): Promise<XdsRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'ter-xds-'));
  const configPath = join(dir, 'router.yaml');
  writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:0", admin: "127.0.0.1:0", metrics: "127.0.0.1:0"${options.listenXds === undefined ? '' : `, xds: ${options.listenXds}`} }
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
monitor: null
routing: { defaultGroup: all }
backends:
${options.backends.map((b) => `  - { name: ${b.name}, url: "${b.url}" }`).join('\n')}
groups:
  - { name: all, backends: [${options.backends.map((b) => b.name).join(', ')}] }
${options.xds === undefined ? '' : `xds: ${options.xds}`}
`);
  const router = await startRouter({ configPath, env: {}, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  const admin = connect({ server: `127.0.0.1:${router.adminPort}`, token: undefined, timeoutMs: 10_000 });
  return {
    router,
    admin,
    xdsAddress: formatGrpcListenAddress(router.config.listen.xds ?? { host: '127.0.0.1', port: 0 }, router.xdsPort),
    async metric(name, labels = {}) {
      const text = await (await fetch(`http://127.0.0.1:${router.metricsPort}/metrics`)).text();
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      let total = 0;
      for (const line of text.split('\n')) {
        const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
        if (match === null || match[1] !== name) continue;
        if (wanted.every((w) => (match[2] ?? '').includes(w))) total += Number(match[3]);
      }
      return total;
    },
    async close() {
      admin.close();
      await router.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One ADS stream, with the responses queued for the test to take one at a time. */
export class AdsTestStream {
  private readonly queue: DiscoveryResponse[] = [];
  private waiters: ((r: DiscoveryResponse | grpc.StatusObject) => void)[] = [];
  status: grpc.StatusObject | undefined;
  private readonly call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;

  constructor(readonly client: AggregatedDiscoveryServiceClient) {
    this.call = client.streamAggregatedResources();
    this.call.on('data', (response: DiscoveryResponse) => {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(response);
      else this.queue.push(response);
    });
    this.call.on('status', (status: grpc.StatusObject) => {
      this.status = status;
      for (const waiter of this.waiters.splice(0)) waiter(status);
    });
    this.call.on('error', () => undefined);
  }

  static open(address: string): AdsTestStream {
    return new AdsTestStream(new AggregatedDiscoveryServiceClient(address, grpc.credentials.createInsecure()));
  }

  send(request: Partial<DiscoveryRequest>): void {
    this.call.write({ versionInfo: '', resourceNames: [], resourceLocators: [], typeUrl: CDS, responseNonce: '', ...request });
  }

  /** The next response; fails when the stream ends or nothing comes within `ms`. */
  next(ms = 5_000): Promise<DiscoveryResponse> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(new Error(`no DiscoveryResponse within ${ms} ms`));
      }, ms);
      const take = (r: DiscoveryResponse | grpc.StatusObject): void => {
        clearTimeout(timer);
        if ('nonce' in r) resolve(r);
        else reject(new Error(`the stream ended: ${grpc.status[r.code]} ${r.details}`));
      };
      if (this.status !== undefined) take(this.status);
      else this.waiters.push(take);
    });
  }

  /** Resolves true when no response arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    if (this.queue.length > 0) return false;
    return this.next(ms).then(() => false, () => this.status === undefined);
  }

  /** The stream's final status (waits for it). */
  ended(ms = 5_000): Promise<grpc.StatusObject> {
    if (this.status !== undefined) return Promise.resolve(this.status);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the stream did not end')), ms);
      this.call.on('status', (status: grpc.StatusObject) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}
