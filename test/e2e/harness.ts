/**
 * The whole chain on loopback: trino-client -> Envoy stand-in (reading envoy/envoy.yaml) ->
 * router (ext_proc) -> two Trino coordinator stand-ins.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEnvoyStandin, type EnvoyStandin } from '../standins/envoy/index.js';
import { startTrinoStandin, type TrinoStandin, type TrinoStandinOptions } from '../standins/trino/index.js';
import { startRouter, type RunningRouter } from '../../src/app.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const ENVOY_CONFIG = join(REPO_ROOT, 'envoy/envoy.yaml');

export interface ChainOptions {
  /** Extra YAML appended to the generated router config (rules, groups). */
  readonly routing?: string;
  readonly prefixRouting?: boolean;
  /** Extra fields for both backends' YAML flow mappings, e.g. `enabled: false`. */
  readonly backendFields?: string;
  readonly trino?: TrinoStandinOptions;
  readonly envoyConfig?: string;
}

export interface Chain {
  readonly envoy: EnvoyStandin;
  readonly router: RunningRouter;
  readonly trinoA: TrinoStandin;
  readonly trinoB: TrinoStandin;
  readonly dataDir: string;
  readonly configPath: string;
  close(): Promise<void>;
}

export function routerConfigYaml(options: {
  readonly trinoA: string;
  readonly trinoB: string;
  readonly prefixRouting: boolean;
  readonly dataDir: string;
  readonly routing?: string;
  readonly backendFields?: string;
  /** Default 127.0.0.1:0 (any free port). */
  readonly extProcAddress?: string;
  /** Default warn. */
  readonly logLevel?: string;
}): string {
  const extra = options.backendFields === undefined ? '' : `, ${options.backendFields}`;
  return `
listen:
  extProc: "${options.extProcAddress ?? '127.0.0.1:0'}"
  admin: null
  metrics: null
dataDir: ${JSON.stringify(options.dataDir)}
logging: { level: ${options.logLevel ?? 'warn'} }
routing:
  defaultGroup: adhoc
  prefix:
    keys: [{ id: test1, secret: "a-test-secret-that-is-long-enough" }]
backends:
  - { name: trino-a, url: "${options.trinoA}", prefixRouting: ${options.prefixRouting}${extra} }
  - { name: trino-b, url: "${options.trinoB}", prefixRouting: ${options.prefixRouting}${extra} }
${options.routing ?? `groups:
  - { name: adhoc, strategy: round_robin, backends: [trino-a, trino-b] }
  - { name: etl, strategy: round_robin, backends: [trino-b] }
  - { name: analysts, strategy: round_robin, backends: [trino-a] }
rules:
  - { name: etl-tags, priority: 10, group: etl, match: { clientTags: { containsAny: [etl] } } }
  - { name: etl-user, priority: 20, group: etl, match: { user: { regex: "^etl_" } } }
  - { name: analysts, priority: 30, group: analysts, match: { user: { anyOf: [alice, carol] } } }
`}`;
}

export async function startChain(options: ChainOptions = {}): Promise<Chain> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ter-e2e-'));
  const trinoA = await startTrinoStandin({ name: 'trino-a', ...options.trino });
  const trinoB = await startTrinoStandin({ name: 'trino-b', ...options.trino });
  const configPath = join(dataDir, 'router.yaml');
  writeFileSync(configPath, routerConfigYaml({
    trinoA: trinoA.url,
    trinoB: trinoB.url,
    prefixRouting: options.prefixRouting ?? true,
    dataDir,
    ...(options.routing !== undefined ? { routing: options.routing } : {}),
    ...(options.backendFields !== undefined ? { backendFields: options.backendFields } : {}),
  }));
  const router = await startRouter({ configPath });
  const envoy = await startEnvoyStandin({
    configPath: options.envoyConfig ?? ENVOY_CONFIG,
    clusters: {
      trino_router: [{ host: '127.0.0.1', port: router.extProcPort }],
      'trino-a': [{ host: '127.0.0.1', port: trinoA.port }],
      'trino-b': [{ host: '127.0.0.1', port: trinoB.port }],
    },
  });
  return {
    envoy, router, trinoA, trinoB, dataDir, configPath,
    async close() {
      await envoy.close();
      await router.close();
      await trinoA.close();
      await trinoB.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function writeFile(path: string, text: string): void {
  writeFileSync(path, text);
}
