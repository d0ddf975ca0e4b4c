/**
 * The ext_authz Check handler without a network: how CheckRequests become routing input (pseudo
 * header fields, the header map or raw header_map, the listener port), how instructions become
 * CheckResponses (string `value`, overwrite, headers_to_remove, denials with Trino-shaped
 * bodies), and that malformed, huge or garbage requests get a clear answer, never a crash.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EdgeObserver } from '../../../src/envoy/edge-observer.js';
import { createExtAuthzHandler } from '../../../src/envoy/ext-authz-server.js';
import { HeaderValueOption_HeaderAppendAction, type HeaderValueOption } from '../../../src/gen/envoy/config/core/v3/base.js';
import { CheckRequest, CheckResponse } from '../../../src/gen/envoy/service/auth/v3/external_auth.js';
import type { BackendConditions } from '../../../src/routing/engine.js';
import { RequestRouter, type QueryProbe, type RequestContext } from '../../../src/routing/request-router.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { OwnershipIndex } from '../../../src/stickiness/ownership.js';
import { createKeyring, signRoutePrefix } from '../../../src/stickiness/route-prefix.js';
import { sampleConfig } from '../routing/fixtures.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const QUERY_ID = '20261122_120000_00001_abcde';
const keyring = createKeyring([{ id: 'k1', secret: 'a-secret-long-enough-for-hmac-sha256' }], 3600);
const DOWN = { health: 'unhealthy', load: 0, inSchedule: true } as const;

interface Events {
  readonly log: string[];
  readonly decisions: RequestContext[];
  readonly errors: { kind: string; error: unknown }[];
}

function recordingObserver(): EdgeObserver & Events {
  const log: string[] = [];
  const decisions: RequestContext[] = [];
  const errors: { kind: string; error: unknown }[] = [];
  return {
    log,
    decisions,
    errors,
    streamOpened: (edge) => log.push(`opened ${edge}`),
    streamClosed: (edge) => log.push(`closed ${edge}`),
    streamError: (edge, kind, error) => {
      log.push(`error ${edge} ${kind}`);
      errors.push({ kind, error });
    },
    routed: (edge, context, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      log.push(`routed ${edge}`);
      decisions.push(context);
    },
  };
}

interface Setup {
  readonly handler: grpc.handleUnaryCall<CheckRequest, CheckResponse>;
  readonly observer: ReturnType<typeof recordingObserver>;
  readonly ownership: OwnershipIndex;
  readonly probes: string[];
}

function setup(options: { prefixes?: boolean; probe?: QueryProbe; conditions?: BackendConditions; broken?: boolean } = {}): Setup {
  const ownership = new OwnershipIndex({ maxQueries: 1000, retentionMs: 3600_000, transactionRetentionMs: 3600_000 });
  const snapshot = compileSnapshot(sampleConfig(), 1);
  const probes: string[] = [];
  const router = new RequestRouter({
    snapshot: () => {
      if (options.broken === true) throw new Error('snapshot store exploded');
      return snapshot;
    },
    conditions: () => options.conditions ?? new Map(),
    strategy: createStrategyState(() => 0),
    ownership,
    keyring: options.prefixes === false ? undefined : keyring,
    probe: async (queryId, headers, backends) => {
      probes.push(queryId);
      return options.probe?.(queryId, headers, backends);
    },
    headerOptions: { jwtUserClaim: 'sub' },
    unavailable: 'failed-query',
    now: () => NOW,
  });
  const observer = recordingObserver();
  return { handler: createExtAuthzHandler(router, observer), observer, ownership, probes };
}

type Outcome = { readonly error: Partial<grpc.StatusObject> | null; readonly response: CheckResponse | undefined; readonly calls: number };

/** Runs one Check as grpc-js would (the request decoded from bytes), waiting for the answer. */
async function check(s: Setup, request: CheckRequest, options: { cancelled?: boolean } = {}): Promise<Outcome> {
  const decoded = CheckRequest.decode(CheckRequest.encode(request).finish());
  let calls = 0;
  let settle!: (o: Outcome) => void;
  const done = new Promise<Outcome>((resolve) => (settle = resolve));
  const listeners: (() => void)[] = [];
  const call = {
    request: decoded,
    cancelled: options.cancelled === true,
    on: (event: string, listener: () => void) => {
      if (event === 'cancelled') listeners.push(listener);
      return call;
    },
  } as unknown as grpc.ServerUnaryCall<CheckRequest, CheckResponse>;
  s.handler(call, (error, response) => {
    calls++;
    settle({ error: error ?? null, response: response ?? undefined, calls });
  });
  if (options.cancelled === true) {
    for (const l of listeners) l();
    await new Promise((r) => setTimeout(r, 20));
    return { error: null, response: undefined, calls };
  }
  const outcome = await done;
  // Let anything that would answer twice show itself.
  await new Promise((r) => setTimeout(r, 5));
  // The answer must survive the wire.
  if (outcome.response !== undefined) CheckResponse.decode(CheckResponse.encode(outcome.response).finish());
  return { ...outcome, calls };
}

function checkRequest(method: string, path: string, headers: Record<string, string> = {}, options: { port?: number; host?: string } = {}): CheckRequest {
  const host = options.host ?? 'trino.example.com';
  return CheckRequest.fromPartial({
    attributes: {
      source: { address: { address: { $case: 'socketAddress', value: { address: '10.0.0.7', portSpecifier: { $case: 'portValue', value: 51000 } } } } },
      destination: { address: { address: { $case: 'socketAddress', value: { address: '10.0.0.1', portSpecifier: { $case: 'portValue', value: options.port ?? 8080 } } } } },
      request: {
        http: {
          id: '1',
          method,
          path,
          host,
          scheme: 'https',
          protocol: 'HTTP/1.1',
          headers: { ':method': method, ':path': path, ':authority': host, ':scheme': 'https', 'x-forwarded-proto': 'https', 'x-trino-user': 'alice', ...headers },
        },
      },
    },
  });
}

function okHeaders(outcome: Outcome): { set: Map<string, HeaderValueOption>; remove: string[] } {
  expect(outcome.error).toBeNull();
  expect(outcome.response?.status?.code).toBe(grpc.status.OK);
  const http = outcome.response?.httpResponse;
  if (http?.$case !== 'okResponse') throw new Error(`expected an ok_response, got ${http?.$case}`);
  return { set: new Map(http.value.headers.map((h) => [h.header!.key, h])), remove: http.value.headersToRemove };
}

function valueOf(option: HeaderValueOption | undefined): string | undefined {
  return option?.header?.value;
}

/** JSON bodies parsed; plain-text ones (Trino's 410 for /v1/query/{unknown}) left to `body`. */
function parsedOrUndefined(body: string): any {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function denial(outcome: Outcome): { grpcCode: number; status: number; contentType: string | undefined; body: string; json: any } {
  expect(outcome.error).toBeNull();
  const http = outcome.response?.httpResponse;
  if (http?.$case !== 'deniedResponse') throw new Error(`expected a denied_response, got ${http?.$case}`);
  const body = http.value.body;
  return {
    grpcCode: outcome.response!.status!.code,
    status: http.value.status!.code,
    contentType: valueOf(http.value.headers.find((h) => h.header?.key === 'content-type')),
    body,
    json: parsedOrUndefined(body),
  };
}

describe('an allowed request', () => {
  it('gets x-trino-cluster in the string value, overwriting, with a fresh signed prefix', async () => {
    const s = setup();
    const { set, remove } = okHeaders(await check(s, checkRequest('POST', '/v1/statement', { 'x-trino-client-tags': 'etl' })));
    expect(valueOf(set.get('x-trino-cluster'))).toBe('b');
    expect(valueOf(set.get('x-forwarded-prefix'))).toBe(signRoutePrefix(keyring, 'b', NOW / 1000));
    for (const option of set.values()) {
      // ext_authz reads `value`; `append: false` overwrites in every Envoy release.
      expect(option.header!.rawValue.length).toBe(0);
      expect(option.append).toBe(false);
      expect(option.appendAction).toBe(HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    }
    expect(set.has(':path')).toBe(false);
    expect(remove).toEqual([]);
    expect(s.observer.log).toEqual(['opened ext_authz', 'routed ext_authz', 'closed ext_authz']);
    expect(s.observer.decisions[0]?.instruction).toMatchObject({ kind: 'forward', backend: 'b', mechanism: 'rules' });
  });

  it('removes a client-sent x-forwarded-prefix when prefixes are off', async () => {
    const { set, remove } = okHeaders(await check(setup({ prefixes: false }), checkRequest('POST', '/v1/statement', { 'x-forwarded-prefix': '/_tr/evil' })));
    expect(set.has('x-forwarded-prefix')).toBe(false);
    expect(remove).toEqual(['x-forwarded-prefix']);
  });

  it('behind a verified prefix, rewrites :path to the path the coordinator knows', async () => {
    const prefix = signRoutePrefix(keyring, 'a', NOW / 1000 - 60);
    const { set } = okHeaders(await check(setup(), checkRequest('GET', `${prefix}/v1/statement/executing/${QUERY_ID}/y1/3?maxWait=1s`)));
    expect(valueOf(set.get('x-trino-cluster'))).toBe('a');
    expect(valueOf(set.get(':path'))).toBe(`/v1/statement/executing/${QUERY_ID}/y1/3?maxWait=1s`);
    expect(valueOf(set.get('x-forwarded-prefix'))).toBe(signRoutePrefix(keyring, 'a', NOW / 1000));
  });

  it('routes by the listener port Envoy gives as the destination port', async () => {
    const s = setup();
    const admin = { 'x-trino-user': 'admin_ops' };
    expect(valueOf(okHeaders(await check(s, checkRequest('POST', '/v1/statement', admin, { port: 8443 }))).set.get('x-trino-cluster'))).toBe('a');
    okHeaders(await check(s, checkRequest('POST', '/v1/statement', admin, { port: 8080 })));
    const [tls, plain] = s.observer.decisions.map((c) => c.instruction);
    expect(tls).toMatchObject({ decision: { rule: 'admins', group: 'only-a' } });
    expect(plain).toMatchObject({ decision: { group: 'adhoc' } });
    expect(s.observer.decisions.map((c) => c.facts?.listenerPort)).toEqual([8443, 8080]);
  });

  it('follows a query learned by a probe (ext_authz learns nothing from responses)', async () => {
    const s = setup({ probe: async () => 'b' });
    const first = okHeaders(await check(s, checkRequest('GET', `/v1/query/${QUERY_ID}`)));
    expect(valueOf(first.set.get('x-trino-cluster'))).toBe('b');
    expect(s.observer.decisions[0]?.instruction).toMatchObject({ mechanism: 'probe' });
    okHeaders(await check(s, checkRequest('DELETE', `/v1/statement/executing/${QUERY_ID}/y1/9`)));
    expect(s.observer.decisions[1]?.instruction).toMatchObject({ backend: 'b', mechanism: 'query_id' });
    expect(s.probes).toEqual([QUERY_ID]);
  });

  it('takes method, path and authority from the fields, and headers from header_map when Envoy encodes raw headers', async () => {
    const s = setup();
    const request = checkRequest('POST', '/v1/statement');
    const http = request.attributes!.request!.http!;
    http.headers = {};
    http.headerMap = {
      headers: [
        { key: ':path', value: '', rawValue: Buffer.from('/ignored') },
        { key: 'x-trino-user', value: '', rawValue: Buffer.from('raw_user') },
        { key: 'x-trino-client-tags', value: '', rawValue: Buffer.from('batch') },
      ],
    };
    expect(valueOf(okHeaders(await check(s, request)).set.get('x-trino-cluster'))).toBe('b');
    expect(s.observer.decisions[0]?.facts).toMatchObject({ method: 'POST', path: '/v1/statement', host: 'trino.example.com', user: 'raw_user', clientTags: ['batch'] });
  });
});

describe('a refused request', () => {
  it('is denied with the Trino-shaped reply: a submission gets QUEUED whose poll fails readably', async () => {
    const s = setup({ conditions: new Map([['a', DOWN], ['b', DOWN]]) });
    const refused = denial(await check(s, checkRequest('POST', '/v1/statement')));
    expect(refused.grpcCode).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused).toMatchObject({ status: 200, contentType: 'application/json' });
    expect(refused.json.stats.state).toBe('QUEUED');
    expect(refused.json.nextUri).toMatch(/^https:\/\/trino\.example\.com\/_router\/refused\//);
    const poll = denial(await check(s, checkRequest('GET', new URL(refused.json.nextUri).pathname)));
    expect(poll.status).toBe(200);
    expect(poll.json.stats.state).toBe('FAILED');
    expect(poll.json.error.message).toMatch(/No Trino cluster can take this query now \(group adhoc: a unhealthy, b unhealthy\)/);
    expect(s.observer.decisions.map((c) => c.instruction.kind)).toEqual(['reply', 'reply']);
  });

  it('outside the statement protocol, gets the reply status and a JSON error', async () => {
    const refused = denial(await check(setup({ conditions: new Map([['a', DOWN], ['b', DOWN]]) }), checkRequest('GET', '/v1/info')));
    expect(refused).toMatchObject({ status: 503, contentType: 'application/json' });
    expect(refused.json.error).toBe('no_backend');
  });

  it('an unknown query id is denied naming it, after the probe found no owner', async () => {
    const s = setup();
    const poll = denial(await check(s, checkRequest('GET', `/v1/statement/executing/${QUERY_ID}/y1/1`)));
    expect(poll.status).toBe(200);
    expect(poll.json.error.errorName).toBe('NOT_FOUND');
    expect(poll.json.error.message).toContain(QUERY_ID);
    expect(s.probes).toEqual([QUERY_ID]);
    // /v1/query/{id} of an unknown query: Trino's answers, 410 Gone (DELETE: 204).
    const info = denial(await check(s, checkRequest('GET', `/v1/query/${QUERY_ID}`)));
    expect(info.status).toBe(410);
    expect(info.body).toContain(QUERY_ID);
    const cancel = denial(await check(s, checkRequest('DELETE', `/v1/query/${QUERY_ID}`)));
    expect(cancel.status).toBe(204);
    expect(cancel.body).toBe('');
  });

  it('a forged prefix or a malformed query id is denied without probing', async () => {
    const s = setup();
    const forged = signRoutePrefix(keyring, 'a', NOW / 1000).replace('/_tr/a/', '/_tr/b/');
    expect(denial(await check(s, checkRequest('GET', `${forged}/v1/statement/executing/${QUERY_ID}/y1/1`))).json.error.errorName).toBe('PERMISSION_DENIED');
    expect(denial(await check(s, checkRequest('GET', '/v1/statement/executing/20261399_000000_00000_abcde/y1/1'))).json.error.errorName).toBe('GENERIC_USER_ERROR');
    expect(s.probes).toEqual([]);
  });

  it('a statement inside a transaction the router never saw start is refused (ext_authz cannot see it start)', async () => {
    const refused = denial(await check(setup(), checkRequest('POST', '/v1/statement', { 'x-trino-transaction-id': 'e7c6f1f2-0000-4000-8000-000000000001' })));
    const poll = denial(await check(setup(), checkRequest('GET', new URL(refused.json.nextUri).pathname)));
    expect(poll.json.error.errorName).toBe('UNKNOWN_TRANSACTION');
  });
});

describe('malformed, huge and garbage requests', () => {
  it('a CheckRequest without HTTP attributes is denied with a reason (400), never routed', async () => {
    const s = setup();
    for (const request of [CheckRequest.fromPartial({}), CheckRequest.fromPartial({ attributes: { contextExtensions: { a: 'b' } } })]) {
      const refused = denial(await check(s, request));
      expect(refused.grpcCode).toBe(grpc.status.INVALID_ARGUMENT);
      expect(refused).toMatchObject({ status: 400, contentType: 'application/json' });
      expect(refused.json).toMatchObject({ error: 'bad_check_request' });
      expect(refused.json.message).toMatch(/no HTTP request attributes/);
    }
    expect(s.observer.errors.map((e) => e.kind)).toEqual(['bad_request', 'bad_request']);
    expect(s.observer.decisions).toEqual([]);
    expect(s.observer.log.filter((l) => l.startsWith('opened')).length).toBe(s.observer.log.filter((l) => l.startsWith('closed')).length);
  });

  it('a request without a path or a method is denied, not routed to "/" by default', async () => {
    const noPath = CheckRequest.fromPartial({ attributes: { request: { http: { method: 'GET', headers: { 'x-trino-user': 'alice' } } } } });
    expect(denial(await check(setup(), noPath)).json.message).toMatch(/no request path/);
    const noMethod = CheckRequest.fromPartial({ attributes: { request: { http: { path: '/v1/statement', headers: {} } } } });
    expect(denial(await check(setup(), noMethod)).json.message).toMatch(/no HTTP method/);
  });

  it('headers Trino would reject are denied with a readable Trino error', async () => {
    const refused = denial(await check(setup(), checkRequest('POST', '/v1/statement', { 'x-presto-user': 'bob' })));
    const poll = denial(await check(setup(), checkRequest('GET', new URL(refused.json.nextUri).pathname)));
    expect(poll.json.error.message).toMatch(/X-Trino|X-Presto/);
  });

  it('large headers (a 60 KB token, 5,000 headers) are routed; an absurd 1 MB one is refused with the reason', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) many[`x-extra-${i}`] = `v${i}`;
    const large = { authorization: `Bearer ${'t'.repeat(60 * 1024)}`, ...many, 'x-trino-client-tags': 'etl' };
    expect(valueOf(okHeaders(await check(setup(), checkRequest('POST', '/v1/statement', large))).set.get('x-trino-cluster'))).toBe('b');

    const s = setup();
    const refused = denial(await check(s, checkRequest('POST', '/v1/statement', { authorization: `Bearer ${'t'.repeat(1024 * 1024)}` })));
    const poll = denial(await check(s, checkRequest('GET', new URL(refused.json.nextUri).pathname)));
    expect(poll.json.error.message).toMatch(/authorization header: value is 1048583 characters long/);
  });

  it('odd header names and values (prototype keys, control bytes, invalid UTF-8, upper case) never crash it', async () => {
    const odd = {
      constructor: 'x',
      __proto__: 'y',
      toString: 'z',
      'X-Trino-User': 'UPPER',
      'x-trino-source': '\u0000\u0001\r\n',
      'x-trino-session': '%%%,=,a=%ZZ',
      'x-trino-client-tags': '\uFFFD\uD800',
    } as Record<string, string>;
    const outcome = await check(setup(), checkRequest('POST', '/v1/statement', odd));
    expect(outcome.calls).toBe(1);
    expect(outcome.error).toBeNull();
    expect(['okResponse', 'deniedResponse']).toContain(outcome.response?.httpResponse?.$case);
  });

  it('any garbage CheckRequest gets exactly one clear answer, never a gRPC error', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', ''), text),
          path: fc.oneof(fc.constantFrom('/v1/statement', `/v1/query/${QUERY_ID}`, '/_tr/', '/_tr/a/b/c', '/_router/refused/x', ''), text.map((t) => `/${t}`), text),
          headers: fc.dictionary(fc.oneof(text, fc.constantFrom('x-trino-user', 'x-trino-session', 'authorization', 'x-trino-transaction-id', ':path')), text, { maxKeys: 8 }),
          port: fc.integer({ min: 0, max: 70000 }),
          withHttp: fc.boolean(),
        }),
        async ({ method, path, headers, port, withHttp }) => {
          const request = withHttp
            ? CheckRequest.fromPartial({
              attributes: {
                destination: { address: { address: { $case: 'socketAddress', value: { address: 'x', portSpecifier: { $case: 'portValue', value: port } } } } },
                request: { http: { method, path, headers } },
              },
            })
            : CheckRequest.fromPartial({ attributes: { contextExtensions: headers } });
          const outcome = await check(setup({ probe: async () => undefined }), request);
          expect(outcome.calls).toBe(1);
          expect(outcome.error).toBeNull();
          const http = outcome.response?.httpResponse;
          expect(['okResponse', 'deniedResponse']).toContain(http?.$case);
          if (http?.$case === 'deniedResponse') {
            // Every denial explains itself, except Trino's 204 for DELETE /v1/query/{unknown id}.
            if (http.value.status?.code !== 204) expect(http.value.body.length).toBeGreaterThan(0);
            expect(outcome.response?.status?.code).not.toBe(grpc.status.OK);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a fault inside the router ends the call with a gRPC error (Envoy: status_on_error), reported once', async () => {
    const s = setup({ broken: true });
    const outcome = await check(s, checkRequest('POST', '/v1/statement'));
    expect(outcome.calls).toBe(1);
    expect(outcome.error?.code).toBe(grpc.status.INTERNAL);
    expect(outcome.error?.details).toMatch(/snapshot store exploded/);
    expect(s.observer.errors.map((e) => e.kind)).toEqual(['handler']);
    expect(s.observer.log.at(-1)).toBe('closed ext_authz');
  });

  it('a call Envoy cancelled is not answered, and is counted closed once', async () => {
    const s = setup({ probe: () => new Promise((resolve) => setTimeout(() => resolve('a'), 10)) });
    const outcome = await check(s, checkRequest('GET', `/v1/query/${QUERY_ID}`), { cancelled: true });
    expect(outcome.calls).toBe(0);
    expect(s.observer.log.filter((l) => l === 'closed ext_authz')).toHaveLength(1);
  });
});
