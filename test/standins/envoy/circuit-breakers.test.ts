/**
 * Circuit breakers in the Envoy stand-in: Envoy's defaults (1024 connections / pending /
 * requests per cluster, the router's gRPC cluster included), what an overflow does (a backend
 * request: 503 UO; an ext_proc stream: status_on_error, or unprocessed with
 * failure_mode_allow), and that the shipped thresholds carry 2,000 concurrent requests.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterResources } from './circuit-breakers.js';
import { DEFAULT_CIRCUIT_BREAKERS } from './config.js';
import { ENVOY_YAML, envoyYamlVariant, findFilterIndex, request, routeTo, startFakeExtProc, startUpstream, type ClientResponse, type FakeExtProc, type FakeUpstream, type Handler } from './fakes.js';
import { startEnvoyStandin, type EnvoyStandin } from './index.js';

const ROUTER_CLUSTER = 0;
const EXT_PROC = findFilterIndex('envoy.filters.http.ext_proc');
const extProcField = (field: string): (string | number)[] => ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'http_filters', EXT_PROC, 'typed_config', field];
/** These tests hold the router's answers while they fill the breakers: no message timeout then. */
const PATIENT: [(string | number)[], unknown] = [extProcField('message_timeout'), '3600s'];
const TRINO_A = 1;
const clusterField = (index: number, ...path: (string | number)[]): (string | number)[] => ['static_resources', 'clusters', index, ...path];
const breakers = (index: number, thresholds: Record<string, number> | undefined): [(string | number)[], unknown] => [
  clusterField(index, 'circuit_breakers'),
  thresholds === undefined ? undefined : { thresholds: [thresholds] },
];

let trinoA: FakeUpstream;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  trinoA = await startUpstream('trino-a');
});

afterAll(async () => {
  await trinoA.close();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  trinoA.handler = undefined;
  trinoA.requests.length = 0;
});

/**
 * The stand-in and `replicas` ext_proc servers behind trino_router (one HTTP/2 connection
 * each), with `streams` counting the streams they saw together. Above 1,000 streams a test
 * spreads them over 3 replicas, so a config variant without the graceful-close runtime flag
 * (Envoy then resets every stream, and a node HTTP/2 server answers more than 1,000 resets on
 * one connection with GOAWAY: test/e2e/ext-proc-resets.test.ts) still tests breakers only.
 */
async function setup(handler: Handler, configPath = ENVOY_YAML, replicas = 1): Promise<{ envoy: EnvoyStandin; extProc: { readonly streams: readonly unknown[] } }> {
  const servers: FakeExtProc[] = [];
  for (let i = 0; i < replicas; i++) {
    const extProc = await startFakeExtProc(handler);
    cleanups.push(() => extProc.close());
    servers.push(extProc);
  }
  const envoy = await startEnvoyStandin({
    configPath,
    clusters: { trino_router: servers.map((s) => ({ host: '127.0.0.1', port: s.port })), 'trino-a': [{ host: '127.0.0.1', port: trinoA.port }] },
  });
  cleanups.push(() => envoy.close());
  return { envoy, extProc: { get streams() { return servers.flatMap((s) => s.streams); } } };
}

const until = async (cond: () => boolean, ms = 20_000): Promise<void> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** An ext_proc server that routes to trino-a, holding every answer until `release()`. */
function heldRouter(): { handler: Handler; release(): void; releaseSome(n: number): void } {
  const held: (() => void)[] = [];
  let released = false;
  return {
    handler: (m, s) => {
      if (m.request !== 'request_headers') return;
      const answer = (): void => s.write(routeTo('trino-a'));
      if (released) answer();
      else held.push(answer);
    },
    release() {
      released = true;
      for (const a of held.splice(0)) a();
    },
    releaseSome(n: number) {
      for (const a of held.splice(0, n)) a();
    },
  };
}

/** Holds trino-a's responses until `release()`. */
function holdUpstream(): { release(): void } {
  const held: (() => void)[] = [];
  let released = false;
  trinoA.handler = (_req, res) => {
    const answer = (): void => {
      res.end('ok');
    };
    if (released) answer();
    else held.push(answer);
  };
  return {
    release() {
      released = true;
      for (const a of held.splice(0)) a();
    },
  };
}

describe('the model (Envoy\'s conn_pool_base.cc)', () => {
  it('HTTP/1: max_connections streams are active, up to max_pending_requests more wait, the next overflows', () => {
    const r = new ClusterResources({ maxConnections: 2, maxPendingRequests: 1, maxRequests: 10, maxRetries: 3 }, false);
    const leases = [r.admit(), r.admit(), r.admit()];
    expect(leases.map((l) => l.kind)).toEqual(['admitted', 'admitted', 'admitted']);
    expect(r.admit()).toEqual({ kind: 'overflow', limit: 'max_pending_requests' });
    const first = leases[0];
    if (first?.kind === 'admitted') first.release();
    expect(r.admit().kind).toBe('admitted');
    expect(r.overflows).toBe(1);
  });

  it('HTTP/1: max_requests caps the active streams when it is below max_connections', () => {
    const r = new ClusterResources({ maxConnections: 10, maxPendingRequests: 10, maxRequests: 1, maxRetries: 3 }, false);
    expect(r.admit().kind).toBe('admitted');
    expect(r.admit()).toEqual({ kind: 'overflow', limit: 'max_requests' });
  });

  it('HTTP/2: every stream shares one connection, so max_requests is the limit', () => {
    const r = new ClusterResources(DEFAULT_CIRCUIT_BREAKERS, true);
    for (let i = 0; i < 1024; i++) expect(r.admit().kind).toBe('admitted');
    expect(r.admit()).toEqual({ kind: 'overflow', limit: 'max_requests' });
  });
});

describe('overflow through the stand-in', () => {
  it('a backend request past the breakers is 503 UO; one that waits (pending) goes through', async () => {
    const config = envoyYamlVariant([breakers(TRINO_A, { max_connections: 1, max_pending_requests: 1 })]);
    const { envoy } = await setup((_m, s) => s.write(routeTo('trino-a')), config);
    const upstream = holdUpstream();
    const first = request(`${envoy.url}/v1/info`);
    await until(() => trinoA.requests.length === 1);
    const pending = request(`${envoy.url}/v1/info`);
    // The third finds one active and one pending: overflow.
    await until(() => envoy.stats().extProcStreams === 2);
    const third = await request(`${envoy.url}/v1/info`);
    expect(third.status).toBe(503);
    expect(third.body.toString()).toBe('upstream connect error or disconnect/reset before headers. reset reason: overflow');
    expect(envoy.lastLocalReply()).toMatchObject({ status: 503, reason: 'UO' });
    upstream.release();
    expect((await first).status).toBe(200);
    expect((await pending).status).toBe(200);
    expect(trinoA.requests).toHaveLength(2);
  });

  it('an ext_proc stream past the router cluster\'s breakers fails with status_on_error (503 in envoy.yaml)', async () => {
    const router = heldRouter();
    const { envoy, extProc } = await setup(router.handler, envoyYamlVariant([breakers(ROUTER_CLUSTER, { max_requests: 2 })]));
    const held = [request(`${envoy.url}/v1/info`), request(`${envoy.url}/v1/info`)];
    await until(() => extProc.streams.length === 2);
    const third = await request(`${envoy.url}/v1/info`);
    expect(third.status).toBe(503);
    expect(envoy.lastLocalReply()).toMatchObject({ status: 503, reason: 'ext_proc_error' });
    expect(extProc.streams).toHaveLength(2);
    router.release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    // The slots are free again once the streams are closed.
    expect((await request(`${envoy.url}/v1/info`)).status).toBe(200);
  });

  it('with failure_mode_allow an overflowed ext_proc stream continues unprocessed', async () => {
    const router = heldRouter();
    const config = envoyYamlVariant([breakers(ROUTER_CLUSTER, { max_requests: 1 }), [extProcField('failure_mode_allow'), true]]);
    const { envoy, extProc } = await setup(router.handler, config);
    const held = request(`${envoy.url}/v1/info`);
    await until(() => extProc.streams.length === 1);
    // Unprocessed: no router answer, the client's x-trino-cluster is gone (early strip): NC.
    const second = await request(`${envoy.url}/v1/info`, { headers: { 'x-trino-cluster': 'trino-a' } });
    expect(second.status).toBe(503);
    expect(envoy.stats()).toMatchObject({ extProcErrors: 1, localReplies: { NC: 1 } });
    router.release();
    expect((await held).status).toBe(200);
  });
});

describe('concurrency', () => {
  /** Sends `n` requests, `batch` at a time once the previous batch reached the router. */
  async function flood(envoy: EnvoyStandin, extProc: { readonly streams: readonly unknown[] }, n: number, batch = 250): Promise<Promise<ClientResponse>[]> {
    const all: Promise<ClientResponse>[] = [];
    while (all.length < n) {
      const size = Math.min(batch, n - all.length);
      for (let i = 0; i < size; i++) all.push(request(`${envoy.url}/v1/statement/executing/q${all.length}/y/1`));
      const sent = all.length;
      await until(() => extProc.streams.length + (envoy.stats().localReplies.ext_proc_error ?? 0) >= sent);
    }
    return all;
  }

  it('2,000 concurrent requests through the shipped breakers: no overflow at the router cluster or the backend', async () => {
    const router = heldRouter();
    const upstream = holdUpstream();
    const { envoy, extProc } = await setup(router.handler, envoyYamlVariant([PATIENT]), 3);
    const responses = await flood(envoy, extProc, 2000);
    // All 2,000 hold an ext_proc stream at once, then all 2,000 are at the backend at once.
    expect(extProc.streams).toHaveLength(2000);
    // Released a batch at a time, so that the backend's listen backlog is not what is measured.
    for (let sent = 250; sent <= 2000; sent += 250) {
      router.releaseSome(250);
      await until(() => trinoA.requests.length === sent);
    }
    upstream.release();
    const statuses = (await Promise.all(responses)).map((r) => r.status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(envoy.stats()).toMatchObject({ extProcStreams: 2000, extProcErrors: 0, localReplies: {} });
  }, 60_000);

  it("with Envoy's default breakers (1024) the ext_proc streams past 1,024 fail with status_on_error", async () => {
    const router = heldRouter();
    const { envoy, extProc } = await setup(router.handler, envoyYamlVariant([PATIENT, breakers(ROUTER_CLUSTER, undefined)]), 3);
    const responses = await flood(envoy, extProc, 1030, 515);
    expect(extProc.streams).toHaveLength(1024);
    router.release();
    const statuses = (await Promise.all(responses)).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1024);
    expect(statuses.filter((s) => s === 503)).toHaveLength(6);
    expect(envoy.stats()).toMatchObject({ extProcErrors: 6, localReplies: { ext_proc_error: 6 } });
  }, 60_000);
});
