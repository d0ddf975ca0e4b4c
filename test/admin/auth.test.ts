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
import { startRouter } from '../../src/app.js';
import type { AdminClient } from '../../src/cli/admin-client.js';
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
