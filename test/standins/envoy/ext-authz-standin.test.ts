/**
 * The Envoy stand-in running envoy/envoy-ext-authz.yaml against a scripted ext_authz server:
 * what the CheckRequest carries, how an OK answer's headers are read and applied (string
 * `value`, `append`, pseudo headers, headers_to_remove, clear_route_cache), denials, failures
 * and timeouts, validation, and the config the stand-in accepts.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EnvoyConfigError, parseEnvoyConfig, startEnvoyStandin, type EnvoyStandin } from './index.js';
import { allow, allowTo, deny, startFakeExtAuthz, stringHeader, type CheckHandler, type FakeExtAuthz } from './ext-authz-fakes.js';
import { ENVOY_EXT_AUTHZ_YAML, envoyYamlVariant, findFilterIndex, hcmPath, request, startUpstream, type FakeUpstream } from './fakes.js';
import { sanitizeUtf8 } from './ext-authz-check-request.js';

const EXT_AUTHZ = findFilterIndex('envoy.filters.http.ext_authz', ENVOY_EXT_AUTHZ_YAML);
const extAuthzField = (...field: string[]): (string | number)[] => hcmPath('http_filters', EXT_AUTHZ, 'typed_config', ...field);
const ROUTES = hcmPath('route_config', 'virtual_hosts', 0, 'routes');
const variant = (edits: [(string | number)[], unknown][]): string => envoyYamlVariant(edits, ENVOY_EXT_AUTHZ_YAML);
/** Every request to trino-a without a header, to observe "continued unchecked". */
const STATIC_ROUTE: [(string | number)[], unknown][] = [
  [[...ROUTES, 0, 'route', 'cluster_header'], undefined],
  [[...ROUTES, 0, 'route', 'cluster'], 'trino-a'],
];

let trinoA: FakeUpstream;
let trinoB: FakeUpstream;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  trinoA = await startUpstream('trino-a');
  trinoB = await startUpstream('trino-b');
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

async function setup(handler: CheckHandler, configPath = ENVOY_EXT_AUTHZ_YAML): Promise<{ envoy: EnvoyStandin; authz: FakeExtAuthz }> {
  const authz = await startFakeExtAuthz(handler);
  cleanups.push(() => authz.close());
  const envoy = await startEnvoyStandin({
    configPath,
    clusters: {
      trino_router: [{ host: '127.0.0.1', port: authz.port }],
      'trino-a': [{ host: '127.0.0.1', port: trinoA.port }],
      'trino-b': [{ host: '127.0.0.1', port: trinoB.port }],
    },
  });
  cleanups.push(() => envoy.close());
  return { envoy, authz };
}

describe('the CheckRequest', () => {
  it('carries method, path, host, scheme, protocol, peers and every header, pseudo headers included', async () => {
    const { envoy, authz } = await setup(() => allowTo('trino-b'));
    const res = await request(`${envoy.url}/v1/statement/executing/x?maxWait=1s`, {
      headers: { 'X-Trino-User': 'alice', 'x-trino-cluster': 'trino-a', 'X-Trino-Session': ['a=1', 'b=2'], 'x-envoy-auth-partial-body': 'true' },
    });
    expect(res.status).toBe(200);
    const http = authz.calls[0]!.request.attributes.request.http;
    expect(http).toMatchObject({ method: 'GET', path: '/v1/statement/executing/x?maxWait=1s', host: `127.0.0.1:${envoy.port}`, scheme: 'http', protocol: 'HTTP/1.1' });
    expect(http.id).toMatch(/^\d+$/);
    expect(http.headers[':path']).toBe('/v1/statement/executing/x?maxWait=1s');
    expect(http.headers[':method']).toBe('GET');
    expect(http.headers[':authority']).toBe(`127.0.0.1:${envoy.port}`);
    expect(http.headers['x-trino-user']).toBe('alice');
    // Repeated lines arrive as one entry, joined with ",".
    expect(http.headers['x-trino-session']).toBe('a=1,b=2');
    expect(http.headers['x-forwarded-proto']).toBe('http');
    expect(http.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // header_mutation ran first: the client's x-trino-cluster never reaches the server.
    expect(http.headers['x-trino-cluster']).toBeUndefined();
    expect(http.headers['x-envoy-auth-partial-body']).toBeUndefined();
    const { destination, source } = authz.calls[0]!.request.attributes;
    expect(destination.address.socket_address).toEqual({ address: '127.0.0.1', port_value: envoy.port, protocol: 'TCP', resolver_name: '', ipv4_compat: false, port_specifier: 'port_value' });
    expect(source.address.socket_address.address).toBe('127.0.0.1');
    expect(source.address.socket_address.port_value).toBeGreaterThan(0);
    expect(envoy.stats()).toMatchObject({ requests: 1, extAuthzChecks: 1, extAuthzErrors: 0, extProcStreams: 0 });
  });

  it('sends header values as UTF-8, each invalid byte replaced by "!"', () => {
    expect(sanitizeUtf8('plain')).toBe('plain');
    expect(sanitizeUtf8(Buffer.from('h\u00e9', 'utf8').toString('latin1'))).toBe('hé');
    expect(sanitizeUtf8('a\xffb\xc3')).toBe('a!b!');
  });

  it('is not made for a request that matches no route: the check is skipped', async () => {
    const config = variant([[hcmPath('route_config', 'virtual_hosts', 0, 'domains'), ['trino.example.com']]]);
    const { envoy, authz } = await setup(() => allowTo('trino-a'), config);
    const res = await request(`${envoy.url}/v1/info`);
    expect(res.status).toBe(404);
    expect(envoy.lastLocalReply()).toMatchObject({ status: 404, reason: 'NR' });
    expect(authz.calls).toHaveLength(0);
  });
});

describe('with_request_body', () => {
  const withBody = (options: object): string => variant([[extAuthzField('with_request_body'), options]]);

  it('puts the body in the check (raw_body with pack_as_bytes) and says it is whole; a client-sent x-envoy-auth-partial-body is dropped', async () => {
    const { envoy, authz } = await setup(() => allowTo('trino-b'), withBody({ max_request_bytes: 1024, allow_partial_message: true, pack_as_bytes: true }));
    const res = await request(`${envoy.url}/v1/statement`, { method: 'POST', body: 'SELECT 1', headers: { 'x-envoy-auth-partial-body': 'true' } });
    expect(res.status).toBe(200);
    const http = authz.calls[0]!.request.attributes.request.http;
    expect(http.raw_body.toString()).toBe('SELECT 1');
    expect(http.body).toBe('');
    expect(http.headers['x-envoy-auth-partial-body']).toBe('false');
    expect(trinoB.requests[0]?.body.toString()).toBe('SELECT 1');
  });

  it('with allow_partial_message a longer body is cut to max_request_bytes for the check, and reaches the upstream whole', async () => {
    const { envoy, authz } = await setup(() => allowTo('trino-b'), withBody({ max_request_bytes: 1024, allow_partial_message: true }));
    const body = 'x'.repeat(200_000);
    const res = await request(`${envoy.url}/v1/statement`, { method: 'POST', body });
    expect(res.status).toBe(200);
    const http = authz.calls[0]!.request.attributes.request.http;
    expect(http.body).toBe('x'.repeat(1024));
    expect(http.headers['x-envoy-auth-partial-body']).toBe('true');
    expect(trinoB.requests[0]?.body.toString()).toBe(body);
  });

  it('without allow_partial_message a body over max_request_bytes is 413 and never checked', async () => {
    const { envoy, authz } = await setup(() => allowTo('trino-b'), withBody({ max_request_bytes: 1024 }));
    const res = await request(`${envoy.url}/v1/statement`, { method: 'POST', body: 'x'.repeat(4096) });
    expect(res.status).toBe(413);
    expect(authz.calls).toHaveLength(0);
  });

  it('a request without a body is checked without one', async () => {
    const { envoy, authz } = await setup(() => allowTo('trino-b'), withBody({ max_request_bytes: 1024, allow_partial_message: true }));
    expect((await request(`${envoy.url}/v1/info`)).status).toBe(200);
    const http = authz.calls[0]!.request.attributes.request.http;
    expect(http.headers['x-envoy-auth-partial-body']).toBeUndefined();
  });
});

describe('an OK answer', () => {
  it('routes by a header set in the string value, clearing the route cache', async () => {
    const { envoy } = await setup(() => allowTo('trino-b'));
    const res = await request(`${envoy.url}/v1/info?x=1`, { headers: { 'x-trino-cluster': 'trino-a' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ cluster: 'trino-b', path: '/v1/info?x=1' });
    // The route's request_headers_to_remove keeps the routing header from the coordinator.
    expect(trinoB.requests[0]?.headers['x-trino-cluster']).toBeUndefined();
    expect(trinoA.requests).toHaveLength(0);
  });

  it('reads only the string value: a header sent in raw_value arrives empty, so the route finds no cluster (503 NC)', async () => {
    const { envoy } = await setup(() => ({
      answer: { status: { code: 0 }, ok_response: { headers: [{ header: { key: 'x-trino-cluster', raw_value: Buffer.from('trino-a') }, append: { value: false } }] } },
    }));
    const res = await request(`${envoy.url}/v1/info`);
    expect(res.status).toBe(503);
    expect(envoy.lastLocalReply()).toMatchObject({ status: 503, reason: 'NC' });
  });

  it('without clear_route_cache the header meets the cached route: 503 NC', async () => {
    const { envoy } = await setup(() => allowTo('trino-a'), variant([[extAuthzField('clear_route_cache'), false]]));
    expect((await request(`${envoy.url}/v1/info`)).status).toBe(503);
    expect(envoy.stats().localReplies).toEqual({ NC: 1 });
  });

  it('clears the route cache for removals too, and not when nothing changes', async () => {
    // Route 0 takes requests carrying x-pin to trino-a; the fallback route goes to trino-b.
    const config = variant([
      [ROUTES, [
        { match: { prefix: '/', headers: [{ name: 'x-pin', present_match: true }] }, route: { cluster: 'trino-a', timeout: '0s' } },
        { match: { prefix: '/' }, route: { cluster: 'trino-b', timeout: '0s' } },
      ]],
    ]);
    const removing = await setup(() => allow([], ['x-pin']), config);
    expect(JSON.parse((await request(`${removing.envoy.url}/`, { headers: { 'x-pin': '1' } })).body.toString()).cluster).toBe('trino-b');
    const unchanged = await setup(() => allow(), config);
    expect(JSON.parse((await request(`${unchanged.envoy.url}/`, { headers: { 'x-pin': '1' } })).body.toString()).cluster).toBe('trino-a');
  });

  it('may rewrite :path (the route is picked again from the new path), but never removes pseudo headers or host', async () => {
    const { envoy } = await setup(() => allow([['x-trino-cluster', 'trino-a'], [':path', '/v1/statement/executing/abc?x=1']], [':path', ':authority', 'host', 'x-remove-me']));
    const res = await request(`${envoy.url}/_tr/trino-a/k.1.sig/v1/statement/executing/abc?x=1`, { headers: { 'x-remove-me': '1' } });
    expect(res.status).toBe(200);
    const seen = trinoA.requests[0];
    expect(seen?.url).toBe('/v1/statement/executing/abc?x=1');
    expect(seen?.headers.host).toBe(`127.0.0.1:${envoy.port}`);
    expect(seen?.headers['x-remove-me']).toBeUndefined();
  });

  it('with decoder_header_mutation_rules, a forbidden :path rewrite is dropped, or fails the request with disallow_is_error', async () => {
    const rewrite = (): ReturnType<CheckHandler> => allow([['x-trino-cluster', 'trino-a'], [':path', '/rewritten']]);
    const dropped = await setup(rewrite, variant([[extAuthzField('decoder_header_mutation_rules'), { disallow_system: true }]]));
    expect((await request(`${dropped.envoy.url}/original`)).status).toBe(200);
    expect(trinoA.requests[0]?.url).toBe('/original');
    const failing = await setup(rewrite, variant([[extAuthzField('decoder_header_mutation_rules'), { disallow_system: true, disallow_is_error: true }]]));
    expect((await request(`${failing.envoy.url}/original`)).status).toBe(500);
    expect(failing.envoy.lastLocalReply()?.reason).toBe('ext_authz_invalid');
  });

  it('append: true appends to a present header only; false or OVERWRITE_IF_EXISTS_OR_ADD overwrite', async () => {
    const { envoy } = await setup(() => ({
      answer: {
        status: { code: 0 },
        ok_response: {
          headers: [
            stringHeader('x-trino-cluster', 'trino-a', { append: false }),
            stringHeader('x-multi', 'two', { append: true }),
            stringHeader('x-absent', 'nope', { append: true }),
            stringHeader('x-over', 'new', { append: false }),
            stringHeader('x-action', 'v2', { appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }),
          ],
        },
      },
    }));
    const res = await request(`${envoy.url}/`, { headers: { 'x-multi': 'one', 'x-over': 'old', 'x-action': 'v1' } });
    expect(res.status).toBe(200);
    const h = trinoA.requests[0]?.headers;
    expect(h?.['x-multi']).toBe('one,two');
    expect(h?.['x-absent']).toBeUndefined();
    expect(h?.['x-over']).toBe('new');
    expect(h?.['x-action']).toBe('v2');
  });

  it('append_action is ignored: without append (or append: false) every header overwrites', async () => {
    const { envoy } = await setup(() => ({
      answer: {
        status: { code: 0 },
        ok_response: {
          headers: [
            stringHeader('x-trino-cluster', 'trino-a'),
            stringHeader('x-if-absent', 'new', { appendAction: 'ADD_IF_ABSENT' }),
            stringHeader('x-append', 'new', { appendAction: 'APPEND_IF_EXISTS_OR_ADD' }),
          ],
        },
      },
    }));
    const res = await request(`${envoy.url}/`, { headers: { 'x-if-absent': 'old', 'x-append': 'old' } });
    expect(res.status).toBe(200);
    expect(trinoA.requests[0]?.headers['x-if-absent']).toBe('new');
    expect(trinoA.requests[0]?.headers['x-append']).toBe('new');
  });

  it('an unset status reads as OK', async () => {
    const { envoy } = await setup(() => ({ answer: { ok_response: { headers: [stringHeader('x-trino-cluster', 'trino-b', { append: false })] } } }));
    expect((await request(`${envoy.url}/`)).status).toBe(200);
    expect(trinoB.requests).toHaveLength(1);
  });

  it('validate_mutations (on in the shipped config): an invalid header value fails the request with 500', async () => {
    const { envoy } = await setup(() => allow([['x-trino-cluster', 'trino-a'], ['x-bad', 'a\nb']]));
    expect((await request(`${envoy.url}/`)).status).toBe(500);
    expect(envoy.lastLocalReply()?.reason).toBe('ext_authz_invalid');
    expect(trinoA.requests).toHaveLength(0);
  });

  it('request headers grown over max_request_headers_kb fail the request with 500', async () => {
    const { envoy } = await setup(() => allow([['x-trino-cluster', 'trino-a'], ['x-huge', 'h'.repeat(300 * 1024)]]));
    expect((await request(`${envoy.url}/`)).status).toBe(500);
    expect(envoy.lastLocalReply()?.reason).toBe('ext_authz_invalid');
  });
});

describe('a denial', () => {
  it('answers the client with its status, headers and body, and reaches no cluster', async () => {
    const body = JSON.stringify({ stats: { state: 'FAILED' }, error: { message: 'No Trino cluster can take this query now' } });
    const { envoy } = await setup(() => deny({ status: { code: 'ServiceUnavailable' }, headers: [stringHeader('content-type', 'application/json', { append: false })], body }));
    const res = await request(`${envoy.url}/v1/statement`, { method: 'POST', body: 'SELECT 1' });
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body.toString()).toBe(body);
    expect(envoy.lastLocalReply()).toMatchObject({ status: 503, reason: 'ext_authz_denied' });
    expect(trinoA.requests).toHaveLength(0);
    expect(trinoB.requests).toHaveLength(0);
  });

  it('may carry HTTP 200 (a Trino FAILED result), whatever non-OK gRPC code says "denied"', async () => {
    const { envoy } = await setup(() => deny({ status: { code: 200 }, body: '{"stats":{"state":"FAILED"}}' }, grpc.status.UNAVAILABLE));
    const res = await request(`${envoy.url}/v1/statement/executing/x/y/1`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('{"stats":{"state":"FAILED"}}');
    expect(res.headers['content-type']).toBe('text/plain');
  });

  it('without denied_response (or its status) is 403 with an empty body', async () => {
    const { envoy } = await setup(() => ({ answer: { status: { code: grpc.status.PERMISSION_DENIED } } }));
    const res = await request(`${envoy.url}/`);
    expect(res.status).toBe(403);
    expect(res.body.length).toBe(0);
    expect(envoy.lastLocalReply()).toMatchObject({ status: 403, reason: 'ext_authz_denied' });
  });
});

describe('failures', () => {
  it('no answer within the timeout (1s in the shipped config) is status_on_error (503 there), and the call is cancelled', async () => {
    const { envoy, authz } = await setup(() => 'hang');
    const started = Date.now();
    const res = await request(`${envoy.url}/v1/info`);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(envoy.lastLocalReply()).toMatchObject({ status: 503, reason: 'ext_authz_error' });
    expect(envoy.stats().extAuthzErrors).toBe(1);
    await authz.calls[0]?.cancelled;
    expect(trinoA.requests).toHaveLength(0);
  });

  it('a gRPC error is status_on_error', async () => {
    const { envoy } = await setup(() => ({ fail: grpc.status.INTERNAL, details: 'boom' }));
    expect((await request(`${envoy.url}/`)).status).toBe(503);
    expect(envoy.lastLocalReply()?.reason).toBe('ext_authz_error');
  });

  it('timeout: 0s means no deadline: a slow answer is still applied', async () => {
    const slow = (): Promise<ReturnType<typeof allowTo>> => new Promise((resolve) => setTimeout(() => resolve(allowTo('trino-b')), 250));
    // The 200 ms default would fail this call; with 0s nothing does.
    const { envoy, authz } = await setup(slow, variant([[extAuthzField('grpc_service', 'timeout'), '0s']]));
    expect((await request(`${envoy.url}/`)).status).toBe(200);
    expect(trinoB.requests).toHaveLength(1);
    expect(authz.calls).toHaveLength(1);
  });

  it("status_on_error defaults to 403, Envoy's default", async () => {
    const { envoy } = await setup(() => ({ fail: grpc.status.UNAVAILABLE }), variant([[extAuthzField('status_on_error'), undefined]]));
    expect((await request(`${envoy.url}/`)).status).toBe(403);
  });

  it('an unreachable ext_authz cluster is status_on_error', async () => {
    const { envoy } = await setup(() => allowTo('trino-a'));
    const dead = await startFakeExtAuthz(() => 'hang');
    await dead.close();
    envoy.setClusterEndpoints('trino_router', [{ host: '127.0.0.1', port: dead.port }]);
    expect((await request(`${envoy.url}/`)).status).toBe(503);
    expect(envoy.stats().extAuthzErrors).toBe(1);
  });

  it('with failure_mode_allow an error lets the request through unchecked, marked when asked to', async () => {
    const config = variant([...STATIC_ROUTE, [extAuthzField('failure_mode_allow'), true], [extAuthzField('failure_mode_allow_header_add'), true]]);
    const { envoy } = await setup(() => ({ fail: grpc.status.UNAVAILABLE }), config);
    expect((await request(`${envoy.url}/v1/info`)).status).toBe(200);
    expect(trinoA.requests[0]?.headers['x-envoy-auth-failure-mode-allowed']).toBe('true');
    expect(envoy.stats().extAuthzErrors).toBe(1);
  });

  it('a client going away cancels the Check call', async () => {
    const { envoy, authz } = await setup(() => 'hang');
    const ac = new AbortController();
    const pending = request(`${envoy.url}/v1/info`, { signal: ac.signal }).catch((e: unknown) => e);
    for (let i = 0; i < 300 && authz.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await pending;
    await authz.calls[0]?.cancelled;
    expect(authz.calls).toHaveLength(1);
  });
});

describe('configuration', () => {
  const yaml = readFileSync(ENVOY_EXT_AUTHZ_YAML, 'utf8');

  it('loads the shipped envoy-ext-authz.yaml', () => {
    const config = parseEnvoyConfig(yaml);
    expect(config.listener.hcm.httpFilters.map((f) => f.kind)).toEqual(['ext_authz', 'router']);
    expect(config.listener.hcm.earlyHeaderMutations).toEqual([{ kind: 'remove', name: 'x-trino-cluster' }]);
    expect(config.listener.hcm.httpFilters[0]).toMatchObject({
      kind: 'ext_authz',
      clusterName: 'trino_router',
      timeoutMs: 1000,
      failureModeAllow: false,
      clearRouteCache: true,
      statusOnError: 503,
      validateMutations: true,
      mutationRules: undefined,
    });
    expect(config.listener.hcm.maxRequestHeadersKb).toBe(256);
    expect([...config.clusters.keys()]).toEqual(['trino_router', 'trino-a', 'trino-b']);
  });

  it('has the same routes and clusters as envoy.yaml', () => {
    const extProc = parseEnvoyConfig(readFileSync(ENVOY_EXT_AUTHZ_YAML.replace('envoy-ext-authz.yaml', 'envoy.yaml'), 'utf8'));
    const extAuthz = parseEnvoyConfig(yaml);
    expect(extAuthz.listener.hcm.routeConfig).toEqual(extProc.listener.hcm.routeConfig);
    expect(extAuthz.clusters).toEqual(extProc.clusters);
    expect(extAuthz.listener.hcm.earlyHeaderMutations).toEqual(extProc.listener.hcm.earlyHeaderMutations);
  });

  it('rejects fields and services it cannot honour', () => {
    expect(() => parseEnvoyConfig(yaml.replace('validate_mutations: true', 'validate_mutations: true\n                      with_request_body: { max_request_bytes: 0 }'))).toThrow(EnvoyConfigError);
    expect(() => parseEnvoyConfig(yaml.replace('transport_api_version: V3', 'transport_api_version: V2'))).toThrow(EnvoyConfigError);
    expect(() => parseEnvoyConfig(yaml.replace('{ code: ServiceUnavailable }', '{ code: NoSuchStatus }'))).toThrow(/not an HTTP status/);
    expect(() => parseEnvoyConfig(yaml.replace('http2_protocol_options:', 'http_protocol_options:'))).toThrow(EnvoyConfigError);
    expect(() => parseEnvoyConfig(yaml.replace('envoy_grpc: { cluster_name: trino_router }', 'envoy_grpc: { cluster_name: nowhere }'))).toThrow(/unknown cluster/);
  });
});
