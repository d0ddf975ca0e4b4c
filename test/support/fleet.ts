/**
 * The parts every fleet test builds: two Trino stand-ins and a temp folder, one config file per
 * replica (all on one PostgreSQL store), and an Envoy stand-in over any set of replicas.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURRENT_TRINO_VERSION, ENVOY_CONFIG, routerConfigYaml } from '../e2e/harness.js';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, type TrinoStandin, type TrinoStandinOptions } from '../standins/trino/index.js';

export interface FleetBackends {
  readonly dir: string;
  readonly trinoA: TrinoStandin;
  readonly trinoB: TrinoStandin;
  /** Writes replica i's config file (backends without prefix routing) and returns its path. */
  replicaConfig(i: number, options: ReplicaOptions): string;
  /** An Envoy stand-in whose router cluster is these ext_proc ports. */
  envoyOver(routerPorts: readonly number[]): Promise<EnvoyStandin>;
  close(): Promise<void>;
}

export interface ReplicaOptions {
  readonly storeUrl: string;
  /** More keys of the `store` mapping, e.g. `pollIntervalMs: 500`. */
  readonly store?: string;
  readonly extProcAddress?: string;
  readonly adminToken?: string;
  readonly monitor?: string;
  readonly logLevel?: string;
  /** Extra YAML appended to the config (groups, rules, other sections), as startChain's `routing`. */
  readonly routing?: string;
  /** Extra fields of both backends' flow mappings, e.g. `maxRunningQueries: 5`. */
  readonly backendFields?: string;
}

export async function startFleetBackends(trino: TrinoStandinOptions = {}): Promise<FleetBackends> {
  const dir = mkdtempSync(join(tmpdir(), 'ter-fleet-'));
  // Current Trino (477+): /v1/info names the coordinator id, which is what lets a replica the
  // ownership has not reached yet find a query's owner before its first poll.
  const trinoA = await startTrinoStandin({ name: 'trino-a', pollIntervalMs: FAST_POLL_HOLD_MS, version: CURRENT_TRINO_VERSION, ...trino });
  const trinoB = await startTrinoStandin({ name: 'trino-b', pollIntervalMs: FAST_POLL_HOLD_MS, version: CURRENT_TRINO_VERSION, ...trino });
  const envoys: EnvoyStandin[] = [];
  return {
    dir,
    trinoA,
    trinoB,
    replicaConfig(i, options) {
      const configPath = join(dir, `router-${i}.yaml`);
      writeFileSync(configPath, routerConfigYaml({
        trinoA: trinoA.url,
        trinoB: trinoB.url,
        prefixRouting: false,
        dataDir: join(dir, `replica-${i}`),
        logLevel: options.logLevel ?? 'silent',
        store: `{ kind: postgres, url: ${JSON.stringify(options.storeUrl)}${options.store === undefined ? '' : `, ${options.store}`} }`,
        ...(options.extProcAddress === undefined ? {} : { extProcAddress: options.extProcAddress }),
        ...(options.adminToken === undefined ? {} : { adminAddress: '127.0.0.1:0', adminToken: options.adminToken }),
        ...(options.monitor === undefined ? {} : { monitor: options.monitor }),
        ...(options.routing === undefined ? {} : { routing: options.routing }),
        ...(options.backendFields === undefined ? {} : { backendFields: options.backendFields }),
      }));
      return configPath;
    },
    async envoyOver(routerPorts) {
      const envoy = await startEnvoyStandin({
        configPath: ENVOY_CONFIG,
        clusters: {
          trino_router: routerPorts.map((port) => ({ host: '127.0.0.1', port })),
          'trino-a': [{ host: '127.0.0.1', port: trinoA.port }],
          'trino-b': [{ host: '127.0.0.1', port: trinoB.port }],
        },
      });
      envoys.push(envoy);
      return envoy;
    },
    async close() {
      for (const envoy of envoys) await envoy.close();
      await trinoA.close();
      await trinoB.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
