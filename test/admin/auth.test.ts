/**
 * Who may call the admin API: without or with a wrong bearer token every admin call is
 * UNAUTHENTICATED; health and reflection answer without one; an open (token-less) admin API
 * is refused on anything but loopback. Every call is reported to the onCall hook.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/admin/index.js';
import { isReadMethod } from '../../src/admin/auth.js';
import { ADMIN_SERVICES as ADMIN_SERVICE_DEFINITIONS } from '../../src/admin/server.js';
import { startRouter } from '../../src/app.js';
import type { AdminClient } from '../../src/cli/admin-client.js';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { runCli } from '../cli/run-cli.js';
import { failure, ROUTING_YAML, startRouterWithAdmin, startStandaloneAdmin, TOKEN, type RouterWithAdmin } from './support.js';

const ADMIN_SERVICES = ['BackendService', 'GroupService', 'RuleService', 'ExplainService', 'StatusService', 'QueryService', 'ConfigService']
  .map((name) => `trino_envoy_router.admin.v1.${name}`);

let fixture: RouterWithAdmin;

beforeAll(async () => {
  fixture = await startRouterWithAdmin({ token: TOKEN });
});
afterAll(async () => {
  await fixture?.close();
});

/** One call of every admin service. */
function everyService(client: AdminClient): Promise<unknown>[] {
  return [
    client.backends.listBackends({}),
    client.groups.listGroups({}),
    client.rules.listRules({}),
    client.explain.explain({ method: '', path: '', headers: [] }),
    client.status.getStatus({ backends: [] }),
    client.queries.getQueryOwner({ queryId: '20261122_120000_00001_abcde' }),
    client.config.exportConfig({ includeSecrets: true }),
  ];
}

describe('bearer token', () => {
  it('no token: every admin service answers UNAUTHENTICATED', async () => {
    const anonymous = fixture.client(null);
    for (const call of everyService(anonymous)) await failure(call, grpc.status.UNAUTHENTICATED, /needs a valid bearer token: missing "authorization: Bearer <token>"/);
  });

  it('a wrong token (shorter, longer, same length) is refused the same way', async () => {
    for (const token of ['x', `${TOKEN}x`, TOKEN.replace(/.$/, '!')]) {
      await failure(fixture.client(token).backends.listBackends({}), grpc.status.UNAUTHENTICATED, /wrong token/);
    }
  });

  it('a malformed authorization value is refused', async () => {
    const md = new grpc.Metadata();
    md.set('authorization', `Basic ${TOKEN}`);
    const raw = new grpc.Client(fixture.address, grpc.credentials.createInsecure());
    try {
      const code = await new Promise<grpc.status>((resolve) => {
        raw.makeUnaryRequest('/trino_envoy_router.admin.v1.BackendService/ListBackends', () => Buffer.alloc(0), (b: Buffer) => b, {}, md, (error) => resolve(error?.code ?? grpc.status.OK));
      });
      expect(grpc.status[code]).toBe('UNAUTHENTICATED');
    } finally {
      raw.close();
    }
  });

  it('the right token opens every service; nothing was changed by the refused calls', async () => {
    const results = await Promise.allSettled(everyService(fixture.client(TOKEN)));
    // GetQueryOwner of an unknown query is NOT_FOUND: authenticated, then answered.
    expect(results.map((r) => (r.status === 'fulfilled' ? 'OK' : grpc.status[(r.reason as grpc.ServiceError).code]))).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'NOT_FOUND', 'OK']);
  });
});

describe('health and reflection need no token', () => {
  it('grpc.health.v1 reports the server and each admin service SERVING', async () => {
    const require = createRequire(import.meta.url);
    const { service } = require('grpc-health-check') as { service: grpc.ServiceDefinition };
    const Health = grpc.makeClientConstructor(service, 'grpc.health.v1.Health');
    const health = new Health(fixture.address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (req: object, cb: (e: grpc.ServiceError | null, r: { status: string }) => void) => void>;
    try {
      for (const name of ['', ...ADMIN_SERVICES]) {
        const answer = await new Promise<{ status: string }>((resolve, reject) => health.check!({ service: name }, (e, r) => (e ? reject(e) : resolve(r))));
        expect(answer.status).toBe('SERVING');
      }
    } finally {
      health.close();
    }
  });

  it('server reflection lists every service and describes the admin API', async () => {
    const require = createRequire(import.meta.url);
    const reflectionProto = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
    const definition = grpc.loadPackageDefinition(loadSync(reflectionProto, { keepCase: true })) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (address: string, creds: grpc.ChannelCredentials) => grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, Record<string, any>> } } } };
    };
    const client = new definition.grpc.reflection.v1.ServerReflection(fixture.address, grpc.credentials.createInsecure());
    try {
      const ask = (request: object) => new Promise<Record<string, any>>((resolve, reject) => {
        const stream = client.ServerReflectionInfo();
        stream.on('data', (answer) => { resolve(answer); stream.end(); });
        stream.on('error', reject);
        stream.write(request);
      });
      const listed = await ask({ list_services: '' });
      const names = (listed.list_services_response.service as { name: string }[]).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining([...ADMIN_SERVICES, 'grpc.health.v1.Health']));
      const described = await ask({ file_containing_symbol: 'trino_envoy_router.admin.v1.ExplainService' });
      expect(described.file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});

describe('exposure policy', () => {
  it('loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'router.internal', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('refuses to start an open admin API on a non-loopback address; a token allows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ter-admin-exposed-'));
    try {
      const config = (admin: string) => `
listen: { extProc: "127.0.0.1:0", admin: "0.0.0.0:0", metrics: null }
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
monitor: null
${admin}
${ROUTING_YAML}`;
      writeFileSync(join(dir, 'open.yaml'), config(''));
      await expect(startRouter({ configPath: join(dir, 'open.yaml'), env: {} })).rejects.toThrow(
        /refusing to serve the admin API on 0\.0\.0\.0:0 without a token: set admin\.token \(or admin\.tokenEnv\)/,
      );
      writeFileSync(join(dir, 'token.yaml'), config('admin: { tokenEnv: ADMIN_TOKEN }'));
      const router = await startRouter({ configPath: join(dir, 'token.yaml'), env: { ADMIN_TOKEN: TOKEN } });
      try {
        expect(router.adminPort).toBeGreaterThan(0);
      } finally {
        await router.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a token a loopback admin API is open to local callers', async () => {
    const open = await startRouterWithAdmin({ token: null });
    try {
      expect((await open.client(null).backends.listBackends({})).backends).toHaveLength(2);
    } finally {
      await open.close();
    }
  });

  it('listen.admin: null serves no admin API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ter-admin-off-'));
    try {
      writeFileSync(join(dir, 'off.yaml'), `
listen: { extProc: "127.0.0.1:0", admin: null, metrics: null }
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
monitor: null
${ROUTING_YAML}`);
      const router = await startRouter({ configPath: join(dir, 'off.yaml'), env: {} });
      expect(router.adminPort).toBeUndefined();
      await router.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('onCall', () => {
  it('reports each call with its method path and final status', async () => {
    const calls: [string, string][] = [];
    const admin = await startStandaloneAdmin({ onCall: (method, code) => calls.push([method, grpc.status[code] as string]) });
    try {
      await admin.client.backends.listBackends({});
      await admin.client.backends.getBackend({ name: 'nope' }).catch(() => undefined);
      expect(calls).toEqual([
        ['/trino_envoy_router.admin.v1.BackendService/ListBackends', 'OK'],
        ['/trino_envoy_router.admin.v1.BackendService/GetBackend', 'NOT_FOUND'],
      ]);
    } finally {
      await admin.close();
    }
  });
});

describe('read-only token', () => {
  const READ_TOKEN = 'a-read-only-admin-token-for-dashboards';
  let withRead: RouterWithAdmin;
  beforeAll(async () => {
    withRead = await startRouterWithAdmin({ token: TOKEN, readToken: READ_TOKEN });
  });
  afterAll(async () => {
    await withRead?.close();
  });

  /** Every admin method, by full path, from the services the server registers. */
  const methods = ADMIN_SERVICE_DEFINITIONS.flatMap((service) => Object.values(service).map((m) => (m as { path: string }).path));
  const writes = methods.filter((path) => !isReadMethod(path));

  /** Calls a method with an empty (default) request; resolves to the status name and details. */
  function rawCall(path: string, token: string | null): Promise<{ code: string; details: string }> {
    const md = new grpc.Metadata();
    if (token !== null) md.set('authorization', `Bearer ${token}`);
    const raw = new grpc.Client(withRead.address, grpc.credentials.createInsecure());
    return new Promise<{ code: string; details: string }>((resolve) => {
      raw.makeUnaryRequest(path, () => Buffer.alloc(0), (b: Buffer) => b, {}, md, (error) => {
        raw.close();
        resolve({ code: grpc.status[error?.code ?? grpc.status.OK] as string, details: error?.details ?? '' });
      });
    });
  }

  it('every admin method is classified: 16 changes, 14 reads', () => {
    expect(writes.map((p) => p.slice(p.lastIndexOf('/') + 1)).sort()).toEqual([
      'CreateBackend', 'CreateGroup', 'CreateRule', 'DeleteBackend', 'DeleteGroup', 'DeleteRule', 'DisableBackend', 'DrainBackend',
      'EnableBackend', 'ImportConfig', 'ReorderRules', 'Rollback', 'SetDefaultGroup', 'UpdateBackend', 'UpdateGroup', 'UpdateRule',
    ].sort());
    expect(methods.filter(isReadMethod).map((p) => p.slice(p.lastIndexOf('/') + 1)).sort()).toEqual([
      'Explain', 'ExportConfig', 'GetBackend', 'GetConfigRevision', 'GetGroup', 'GetQueryOwner', 'GetRule', 'GetStatus', 'ListBackends', 'ListConfigHistory', 'ListGroups', 'ListQueries', 'ListQueued', 'ListRules',
    ].sort());
  });

  it('no token or a wrong one is UNAUTHENTICATED on reads and writes alike', async () => {
    for (const path of ['/trino_envoy_router.admin.v1.BackendService/ListBackends', '/trino_envoy_router.admin.v1.BackendService/DisableBackend']) {
      expect(await rawCall(path, null)).toMatchObject({ code: 'UNAUTHENTICATED', details: expect.stringMatching(/missing "authorization: Bearer <token>"/) });
      for (const wrong of [`${READ_TOKEN}x`, READ_TOKEN.slice(0, -1), 'x']) {
        expect(await rawCall(path, wrong)).toMatchObject({ code: 'UNAUTHENTICATED', details: expect.stringMatching(/wrong token/) });
      }
    }
  });

  it('reads: every Get, List, Explain, Status, Queries and Export call answers', async () => {
    const reader = withRead.client(READ_TOKEN);
    expect((await reader.backends.listBackends({})).backends.map((b) => b.name)).toEqual(['trino-a', 'trino-b']);
    expect((await reader.backends.getBackend({ name: 'trino-a' })).backend?.name).toBe('trino-a');
    expect((await reader.groups.listGroups({})).groups).toHaveLength(2);
    expect((await reader.groups.getGroup({ name: 'etl' })).group?.name).toBe('etl');
    expect((await reader.rules.listRules({})).rules).toHaveLength(2);
    expect((await reader.rules.getRule({ name: 'airflow' })).rule?.name).toBe('airflow');
    expect((await reader.explain.explain({ method: 'POST', path: '/v1/statement', headers: [{ name: 'X-Trino-Source', value: 'airflow' }] })).backend).toBe('trino-b');
    await reader.status.getStatus({ backends: [] });
    await reader.queries.listQueries({ limit: 10 });
    await failure(reader.queries.getQueryOwner({ queryId: '20261122_120000_00001_abcde' }), grpc.status.NOT_FOUND);
    const exported = await reader.config.exportConfig({ includeSecrets: false });
    // The redacted export names neither token.
    expect(exported.yaml).not.toContain(TOKEN);
    expect(exported.yaml).not.toContain(READ_TOKEN);
    expect(exported.yaml).toMatch(/readToken: REDACTED/);
  });

  it('writes: every change is PERMISSION_DENIED naming the method, and nothing changes', async () => {
    const before = await withRead.client(TOKEN).config.exportConfig({ includeSecrets: true });
    for (const path of writes) {
      const outcome = await rawCall(path, READ_TOKEN);
      expect(outcome.code, path).toBe('PERMISSION_DENIED');
      expect(outcome.details, path).toContain(`the read-only admin token may not call ${path.slice(1)}`);
    }
    // An export with secrets would hand over admin.token.
    await failure(withRead.client(READ_TOKEN).config.exportConfig({ includeSecrets: true }), grpc.status.PERMISSION_DENIED, /ExportConfig with include_secrets/);
    const after = await withRead.client(TOKEN).config.exportConfig({ includeSecrets: true });
    expect(after.yaml).toBe(before.yaml);
    // The full token still writes.
    const disabled = await withRead.client(TOKEN).backends.disableBackend({ name: 'trino-b' });
    expect(disabled.backend?.enabled).toBe(false);
    await withRead.client(TOKEN).backends.enableBackend({ name: 'trino-b' });
  });

  it('the CLI takes either token from --token or TRINO_ROUTER_ADMIN_TOKEN: reads with the read token, exit 4 on a change', async () => {
    const list = await runCli(['backends', 'list', '--server', withRead.address], { env: { TRINO_ROUTER_ADMIN_TOKEN: READ_TOKEN } });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/trino-a[\s\S]*trino-b/);
    const disable = await runCli(['backends', 'disable', 'trino-a', '--server', withRead.address, '--token', READ_TOKEN]);
    expect(disable.code).toBe(4);
    expect(disable.stderr).toContain('the read-only admin token may not call trino_envoy_router.admin.v1.BackendService/DisableBackend');
    expect(disable.stderr).toContain('(PERMISSION_DENIED)');
    const withFull = await runCli(['backends', 'disable', 'trino-a', '--server', withRead.address], { env: { TRINO_ROUTER_ADMIN_TOKEN: TOKEN } });
    expect(withFull.code).toBe(0);
    expect(withFull.stdout).toMatch(/disabled backend trino-a/);
    await withRead.client(TOKEN).backends.enableBackend({ name: 'trino-a' });
  }, 60_000);

  it('config: a read token needs a full token, must differ from it, and comes inline or from the environment', () => {
    const load = (admin: string, env: Record<string, string> = {}) => parseConfig(`listen: { extProc: "127.0.0.1:0", admin: "127.0.0.1:0", metrics: null }\nmonitor: null\n${admin}\n${ROUTING_YAML}`, 'router.yaml', { env, baseDir: tmpdir() });
    expect(() => load(`admin: { readToken: ${JSON.stringify(READ_TOKEN)} }`)).toThrow(/admin\.readToken: a read-only token needs admin\.token \(or admin\.tokenEnv\) too/);
    expect(() => load(`admin: { token: ${JSON.stringify(TOKEN)}, readToken: ${JSON.stringify(TOKEN)} }`)).toThrow(/admin\.readToken: must differ from admin\.token/);
    expect(() => load(`admin: { token: ${JSON.stringify(TOKEN)}, readToken: short }`)).toThrow(ConfigError);
    expect(() => load(`admin: { token: ${JSON.stringify(TOKEN)}, readTokenEnv: READ }`)).toThrow(/admin\.readTokenEnv: environment variable READ is not set/);
    expect(load(`admin: { token: ${JSON.stringify(TOKEN)}, readTokenEnv: READ }`, { READ: READ_TOKEN }).admin).toEqual({ token: TOKEN, tokenEnv: null, readToken: READ_TOKEN, readTokenEnv: 'READ', tls: null });
  });
});
