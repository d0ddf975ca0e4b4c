/**
 * Envoy stand-in for tests: reads the project's real Envoy configs (envoy.yaml with ext_proc,
 * envoy-ext-authz.yaml with ext_authz, envoy-xds.yaml with clusters from the router's ADS:
 * filters, routes, timeouts, cluster names, xDS subscriptions) and behaves like Envoy towards
 * clients, the router (gRPC) and the upstream clusters. Tests may only override socket
 * addresses: the listener port and the endpoints of clusters defined in the file (clusters can
 * be added/moved at runtime with setClusterEndpoints). A bootstrap with
 * `dynamic_resources.cds_config` takes its other clusters from CDS over ADS (xds-client.ts), and,
 * like Envoy's init manager, starts serving after the first CDS response (or its
 * initial_fetch_timeout).
 */
import { ClusterManager } from './clusters.js';
import { EnvoyConfigError, loadEnvoyConfig, parseCdsCluster, type ClusterConfig, type Endpoint } from './config.js';
import { ExtAuthzChannels } from './ext-authz-client.js';
import { extAuthzFilterFactory } from './ext-authz-filter.js';
import { ExtProcChannels } from './ext-proc-client.js';
import { extProcFilterFactory } from './ext-proc-filter.js';
import type { HttpFilterFactory } from './filter-chain.js';
import { headerMutationFilterFactory } from './header-mutation-filter.js';
import { Router } from './router.js';
import { EnvoyServer } from './server.js';
import { StandinStats, type StatsSnapshot } from './stats.js';
import { CdsSubscription, type ApplyResult, type CdsUpdate } from './xds-client.js';

export { EnvoyConfigError, loadEnvoyConfig, parseEnvoyConfig, type Endpoint, type StandinConfig } from './config.js';
export type { StatsSnapshot } from './stats.js';

export interface EnvoyStandinOptions {
  /** e.g. <repo>/envoy/envoy.yaml or <repo>/envoy/envoy-ext-authz.yaml */
  configPath: string;
  /** Default 0 = ephemeral. */
  listenerPort?: number;
  /**
   * Address override per cluster name (the router's gRPC cluster, e.g. trino_router, included);
   * several endpoints = round robin per request/stream; `{ pipe: path }` is a Unix socket.
   */
  clusters: Record<string, Endpoint[]>;
}

export interface EnvoyStandin {
  readonly url: string;
  readonly port: number;
  /**
   * localReplies keyed by response flag/reason, e.g. 'NC', 'message_timeout', 'ext_proc_error',
   * 'ext_authz_denied', 'ext_authz_error', 'header_overflow'.
   */
  stats(): StatsSnapshot;
  lastLocalReply(): { status: number; reason: string } | undefined;
  /** For tests that add/move clusters. */
  setClusterEndpoints(name: string, endpoints: Endpoint[]): void;
  /** What CDS did; undefined when the bootstrap takes no clusters from xDS. */
  cds(): CdsState | undefined;
  close(): Promise<void>;
}

export interface CdsState {
  /** The version last accepted ('' before the first). */
  readonly version: string;
  /** The clusters that came from CDS, sorted. */
  readonly clusters: readonly string[];
  readonly accepted: number;
  /** Every NACK: the version refused and Envoy's error_detail message. */
  readonly rejected: readonly { readonly version: string; readonly message: string }[];
}

export async function startEnvoyStandin(options: EnvoyStandinOptions): Promise<EnvoyStandin> {
  const config = loadEnvoyConfig(options.configPath);
  const clusters = new ClusterManager(config.clusters, options.clusters);
  const stats = new StandinStats();
  const channels: (ExtProcChannels | ExtAuthzChannels)[] = [];
  const hcm = config.listener.hcm;

  let router: Router | undefined;
  const filters: HttpFilterFactory[] = [];
  for (const f of hcm.httpFilters) {
    switch (f.kind) {
      case 'header_mutation':
        filters.push(headerMutationFilterFactory(f));
        break;
      case 'ext_proc': {
        const ch = new ExtProcChannels(f.authority, f.initialMetadata, config.runtime);
        channels.push(ch);
        filters.push(
          extProcFilterFactory(f, {
            channels: ch,
            endpoints: () => clusters.endpoints(f.clusterName),
            resources: () => clusters.get(f.clusterName)?.resources,
            onStreamOpened: () => {
              stats.extProcStreams++;
            },
            onError: () => {
              stats.extProcErrors++;
            },
            onMessageSent: (phase) => stats.extProcMessage(phase),
          }),
        );
        break;
      }
      case 'ext_authz': {
        const ch = new ExtAuthzChannels(f.authority, f.initialMetadata);
        channels.push(ch);
        filters.push(
          extAuthzFilterFactory(f, {
            channels: ch,
            endpoints: () => clusters.endpoints(f.clusterName),
            resources: () => clusters.get(f.clusterName)?.resources,
            onCheck: () => {
              stats.extAuthzChecks++;
            },
            onError: () => {
              stats.extAuthzErrors++;
            },
          }),
        );
        break;
      }
      case 'router':
        router = new Router(f, clusters);
        break;
    }
  }
  if (router === undefined) throw new Error('envoy stand-in: no router filter');

  // CDS over ADS: the listener opens once the first response is handled, as Envoy's init manager
  // holds listeners until CDS is initialized (or initial_fetch_timeout passes).
  let cds: CdsSubscription | undefined;
  let cdsAccepted = 0;
  const cdsRejected: { version: string; message: string }[] = [];
  if (config.cds !== undefined) {
    const cdsConfig = config.cds;
    cds = new CdsSubscription(cdsConfig.ads, cdsConfig.node, () => clusters.endpoints(cdsConfig.ads.clusterName), {
      apply: (update: CdsUpdate): ApplyResult => {
        const valid: ClusterConfig[] = [];
        const invalid = new Set<string>();
        const errors: string[] = [];
        for (const c of update.clusters) {
          try {
            valid.push(parseCdsCluster(c.object, `CDS version ${update.version}: cluster ${c.name}`));
          } catch (error) {
            if (!(error instanceof EnvoyConfigError)) throw error;
            invalid.add(c.name);
            errors.push(error.message);
          }
        }
        errors.push(...clusters.applyCds(valid, invalid));
        return errors.length === 0 ? { ok: true } : { ok: false, message: errors.join('\n') };
      },
      accepted: () => {
        cdsAccepted++;
      },
      rejected: (version, message) => {
        cdsRejected.push({ version, message });
      },
    });
    let initTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      cds.firstUpdate,
      new Promise<void>((resolve) => {
        initTimer = setTimeout(resolve, cdsConfig.initialFetchTimeoutMs);
      }),
    ]);
    clearTimeout(initTimer);
  }

  const server = new EnvoyServer({ hcm, bufferLimit: config.listener.bufferLimitBytes, filters, router, stats });
  const port = await server.listen(options.listenerPort ?? 0);
  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats: () => stats.snapshot(),
    lastLocalReply: () => stats.lastLocalReply(),
    setClusterEndpoints: (name, endpoints) => clusters.setEndpoints(name, endpoints),
    cds: () => cds === undefined ? undefined : {
      version: cds.version,
      clusters: clusters.dynamicClusters(),
      accepted: cdsAccepted,
      rejected: [...cdsRejected],
    },
    close() {
      closed ??= (async () => {
        cds?.close();
        await server.close();
        for (const ch of channels) ch.close();
        router?.close();
      })();
      return closed;
    },
  };
}
