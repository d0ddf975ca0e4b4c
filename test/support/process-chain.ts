/**
 * Envoy stand-in + router child processes + two Trino stand-ins, for restart and replica
 * tests. Each replica gets its own config and store; Envoy round-robins ext_proc streams
 * across them, so consecutive requests of one query meet different replicas.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVOY_CONFIG, routerConfigYaml } from '../e2e/harness.js';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, type TrinoStandin, type TrinoStandinOptions } from '../standins/trino/index.js';
import { freePort, spawnRouter, type RouterProcess } from './router-process.js';

export interface Replica {
  readonly port: number;
  readonly configPath: string;
  readonly storePath: string;
  process: RouterProcess;
}

export interface ProcessChain {
  readonly envoy: EnvoyStandin;
  readonly trinoA: TrinoStandin;
  readonly trinoB: TrinoStandin;
  readonly replicas: Replica[];
  /** Kills replica i with SIGKILL and starts it again on the same port and store. */
  crashAndRestart(i: number): Promise<void>;
  close(): Promise<void>;
}

export async function startProcessChain(options: {
  readonly replicas: number;
  readonly prefixRouting: boolean;
  readonly trino?: TrinoStandinOptions;
}): Promise<ProcessChain> {
  const root = mkdtempSync(join(tmpdir(), 'ter-proc-'));
  const trinoA = await startTrinoStandin({ name: 'trino-a', pollIntervalMs: FAST_POLL_HOLD_MS, ...options.trino });
  const trinoB = await startTrinoStandin({ name: 'trino-b', pollIntervalMs: FAST_POLL_HOLD_MS, ...options.trino });
  const replicas: Replica[] = [];
  try {
    for (let i = 0; i < options.replicas; i++) {
      const port = await freePort();
      const dataDir = join(root, `replica-${i}`);
      const configPath = join(root, `router-${i}.yaml`);
      writeFileSync(configPath, routerConfigYaml({
        trinoA: trinoA.url,
        trinoB: trinoB.url,
        prefixRouting: options.prefixRouting,
        dataDir,
        extProcAddress: `127.0.0.1:${port}`,
        logLevel: 'info',
      }));
      replicas.push({ port, configPath, storePath: join(dataDir, 'router.db'), process: await spawnRouter(configPath) });
    }
  } catch (error) {
    await Promise.all(replicas.map((r) => r.process.kill()));
    await Promise.all([trinoA.close(), trinoB.close()]);
    throw error;
  }
  const envoy = await startEnvoyStandin({
    configPath: ENVOY_CONFIG,
    clusters: {
      trino_router: replicas.map((r) => ({ host: '127.0.0.1', port: r.port })),
      'trino-a': [{ host: '127.0.0.1', port: trinoA.port }],
      'trino-b': [{ host: '127.0.0.1', port: trinoB.port }],
    },
  });
  return {
    envoy,
    trinoA,
    trinoB,
    replicas,
    async crashAndRestart(i) {
      const replica = replicas[i]!;
      await replica.process.kill();
      replica.process = await spawnRouter(replica.configPath);
    },
    async close() {
      await envoy.close();
      await Promise.all(replicas.map((r) => r.process.stop()));
      await Promise.all([trinoA.close(), trinoB.close()]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
