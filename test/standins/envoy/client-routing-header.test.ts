/**
 * A client-sent x-trino-cluster through the stand-in with the shipped configs, in every case
 * where the router does not clear the route cache: the router closes the ext_proc stream OK
 * before answering, ext_proc with failure_mode_allow meets a dead router, ext_authz fails open.
 * Envoy picks the route (and the cluster_header cluster) when the request headers arrive, so
 * only the HCM's early header mutation keeps the client's value from deciding; the old
 * filter-chain strip (envoy.filters.http.header_mutation) does not, which the negative cases
 * show (they hold the stand-in to Envoy's order, and would pass on the old lazy route lookup
 * only by accident).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeExtAuthz } from './ext-authz-fakes.js';
import { ENVOY_EXT_AUTHZ_YAML, ENVOY_YAML, envoyYamlVariant, hcmPath, request, startFakeExtProc, startUpstream, type FakeUpstream } from './fakes.js';
import { startEnvoyStandin, type EnvoyStandin } from './index.js';

type Edits = [(string | number)[], unknown][];

let trinoA: FakeUpstream;
let trinoB: FakeUpstream;
let deadPort: number;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  trinoA = await startUpstream('trino-a');
  trinoB = await startUpstream('trino-b');
  const dead = await startFakeExtProc(() => undefined);
  deadPort = dead.port;
  await dead.close();
});

afterAll(async () => {
  await trinoA.close();
  await trinoB.close();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  trinoA.requests.length = 0;
  trinoB.requests.length = 0;
});

function filterIndex(base: string, name: string): number {
  const doc = parseYaml(readFileSync(base, 'utf8')) as { static_resources: { listeners: { filter_chains: { filters: { typed_config: { http_filters: { name: string }[] } }[] }[] }[] } };
  return doc.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config.http_filters.findIndex((f) => f.name === name) ?? -1;
}

/** The configs before this fix: no early header mutation, the strip as the first HTTP filter. */
function oldFilterChainStrip(base: string, edits: Edits = []): string {
  const doc = parseYaml(readFileSync(base, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const filters = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters as unknown[];
  const strip = {
    name: 'envoy.filters.http.header_mutation',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
      mutations: { request_mutations: [{ remove: 'x-trino-cluster' }] },
    },
  };
  // The filter goes first, so the filter indexes of `edits` (taken on the shipped file) move by one.
  const shifted: Edits = edits.map(([path, value]) => [path.map((p, i) => (path[i - 1] === 'http_filters' && typeof p === 'number' ? p + 1 : p)), value]);
  return envoyYamlVariant([[hcmPath('early_header_mutation_extensions'), undefined], [hcmPath('http_filters'), [strip, ...filters]], ...shifted], base);
}

async function start(configPath: string, router: number): Promise<EnvoyStandin> {
  const envoy = await startEnvoyStandin({
    configPath,
    clusters: {
      trino_router: [{ host: '127.0.0.1', port: router }],
      'trino-a': [{ host: '127.0.0.1', port: trinoA.port }],
      'trino-b': [{ host: '127.0.0.1', port: trinoB.port }],
    },
  });
  cleanups.push(() => envoy.close());
  return envoy;
}

/** Sends the spoofed header; what the client gets and which cluster saw the request. */
async function spoof(envoy: EnvoyStandin): Promise<{ status: number; reachedB: number; reachedA: number }> {
  const res = await request(`${envoy.url}/v1/statement`, { method: 'POST', body: 'SELECT 1', headers: { 'x-trino-cluster': 'trino-b', 'x-trino-user': 'mallory' } });
  return { status: res.status, reachedB: trinoB.requests.length, reachedA: trinoA.requests.length };
}

const EXT_PROC_FMA: Edits = [[hcmPath('http_filters', filterIndex(ENVOY_YAML, 'envoy.filters.http.ext_proc'), 'typed_config', 'failure_mode_allow'), true]];
const EXT_AUTHZ_FMA: Edits = [[hcmPath('http_filters', filterIndex(ENVOY_EXT_AUTHZ_YAML, 'envoy.filters.http.ext_authz'), 'typed_config', 'failure_mode_allow'), true]];

describe('the router closes the ext_proc stream OK before answering', () => {
  const closesAtOnce = async (): Promise<number> => {
    const extProc = await startFakeExtProc((_m, s) => s.end());
    cleanups.push(() => extProc.close());
    return extProc.port;
  };

  it('with the shipped envoy.yaml the client-sent x-trino-cluster picks nothing: 503 NC', async () => {
    const envoy = await start(ENVOY_YAML, await closesAtOnce());
    expect(await spoof(envoy)).toEqual({ status: 503, reachedB: 0, reachedA: 0 });
    expect(envoy.stats().localReplies).toEqual({ NC: 1 });
  });

  it('with the old filter-chain strip the client-sent value decides the cluster (as on a real Envoy)', async () => {
    const envoy = await start(oldFilterChainStrip(ENVOY_YAML), await closesAtOnce());
    expect(await spoof(envoy)).toEqual({ status: 200, reachedB: 1, reachedA: 0 });
  });
});

describe('ext_proc with failure_mode_allow: true meets a dead router', () => {
  it('with the shipped strip the client-sent x-trino-cluster picks nothing: 503 NC', async () => {
    const envoy = await start(envoyYamlVariant(EXT_PROC_FMA), deadPort);
    expect(await spoof(envoy)).toEqual({ status: 503, reachedB: 0, reachedA: 0 });
    expect(envoy.stats()).toMatchObject({ extProcErrors: 1, localReplies: { NC: 1 } });
  });

  it('with the old filter-chain strip the client-sent value decides the cluster', async () => {
    const envoy = await start(oldFilterChainStrip(ENVOY_YAML, EXT_PROC_FMA), deadPort);
    expect(await spoof(envoy)).toEqual({ status: 200, reachedB: 1, reachedA: 0 });
  });
});

describe('ext_authz fails open (failure_mode_allow: true) on a dead router', () => {
  it('with the shipped strip the client-sent x-trino-cluster picks nothing: 503 NC', async () => {
    const envoy = await start(envoyYamlVariant(EXT_AUTHZ_FMA, ENVOY_EXT_AUTHZ_YAML), deadPort);
    expect(await spoof(envoy)).toEqual({ status: 503, reachedB: 0, reachedA: 0 });
    expect(envoy.stats()).toMatchObject({ extAuthzErrors: 1, localReplies: { NC: 1 } });
  });

  it('with the old filter-chain strip the client-sent value decides the cluster', async () => {
    const envoy = await start(oldFilterChainStrip(ENVOY_EXT_AUTHZ_YAML, EXT_AUTHZ_FMA), deadPort);
    expect(await spoof(envoy)).toEqual({ status: 200, reachedB: 1, reachedA: 0 });
  });

  it('an allowed request still routes where the router says (the early strip leaves the router in charge)', async () => {
    const authz = await startFakeExtAuthz(() => ({
      answer: { status: { code: 0 }, ok_response: { headers: [{ header: { key: 'x-trino-cluster', value: 'trino-a' }, append: { value: false } }] } },
    }));
    cleanups.push(() => authz.close());
    const envoy = await start(ENVOY_EXT_AUTHZ_YAML, authz.port);
    expect(await spoof(envoy)).toEqual({ status: 200, reachedB: 0, reachedA: 1 });
    // What the router saw: no client-sent routing header.
    expect(authz.calls[0]?.request.attributes.request.http.headers['x-trino-cluster']).toBeUndefined();
  });
});
