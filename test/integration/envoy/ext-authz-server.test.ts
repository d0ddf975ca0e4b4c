/**
 * The ext_authz edge over real gRPC, wired by startRouter: served on the ext_proc server when
 * listen.extAuthz equals listen.extProc, on its own server otherwise, not at all when null;
 * shares the router and its observers (metrics) with ext_proc; survives bytes that are not a
 * CheckRequest; closes with the router.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../../src/app.js';
import { AuthorizationService, CheckRequest, type CheckResponse } from '../../../src/gen/envoy/service/auth/v3/external_auth.js';
import { ExternalProcessorService } from '../../../src/gen/envoy/service/ext_proc/v3/external_processor.js';

const AuthorizationClient = grpc.makeGenericClientConstructor(AuthorizationService, 'Authorization');
const ExtProcClient = grpc.makeGenericClientConstructor(ExternalProcessorService, 'ExternalProcessor');

const running: { router: RunningRouter; dir: string; clients: grpc.Client[] }[] = [];

afterEach(async () => {
  for (const { router, dir, clients } of running.splice(0)) {
    for (const c of clients) c.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function start(listen: { extProc: string; extAuthz: string | null; metrics?: string }): Promise<{ router: RunningRouter; clients: grpc.Client[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'ter-extauthz-'));
  const configPath = join(dir, 'router.yaml');
  writeFileSync(configPath, `
listen:
  extProc: "${listen.extProc}"
  extAuthz: ${listen.extAuthz === null ? 'null' : `"${listen.extAuthz}"`}
  admin: null
  metrics: ${listen.metrics === undefined ? 'null' : `"${listen.metrics}"`}
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
monitor: null
routing: { defaultGroup: all }
backends:
  - { name: trino-a, url: "http://127.0.0.1:1" }
groups:
  - { name: all, backends: [trino-a] }
`);
  const router = await startRouter({ configPath });
  const entry = { router, dir, clients: [] as grpc.Client[] };
  running.push(entry);
  return entry;
}

function authzClient(entry: { clients: grpc.Client[] }, target: string): grpc.Client {
  const client = new AuthorizationClient(target, grpc.credentials.createInsecure());
  entry.clients.push(client);
  return client;
}

const SUBMIT = CheckRequest.fromPartial({
  attributes: { request: { http: { method: 'POST', path: '/v1/statement', host: 'trino', headers: { 'x-trino-user': 'alice' } } } },
});

function check(client: grpc.Client, request: CheckRequest = SUBMIT): Promise<CheckResponse> {
  return new Promise((resolve, reject) => {
    (client as unknown as { check(r: CheckRequest, cb: (e: grpc.ServiceError | null, r?: CheckResponse) => void): void }).check(request, (error, response) => {
      if (error !== null) reject(error);
      else resolve(response!);
    });
  });
}

function clusterOf(response: CheckResponse): string | undefined {
  if (response.httpResponse?.$case !== 'okResponse') return undefined;
  return response.httpResponse.value.headers.find((h) => h.header?.key === 'x-trino-cluster')?.header?.value;
}

describe('ext_authz over gRPC', () => {
  it('shares the ext_proc server when both listen on the same address, and reports to the same observers', async () => {
    const entry = await start({ extProc: '127.0.0.1:0', extAuthz: '127.0.0.1:0', metrics: '127.0.0.1:0' });
    expect(entry.router.extAuthzPort).toBe(entry.router.extProcPort);
    const response = await check(authzClient(entry, `127.0.0.1:${entry.router.extAuthzPort}`));
    expect(response.status?.code).toBe(grpc.status.OK);
    expect(clusterOf(response)).toBe('trino-a');

    const metrics = await (await fetch(`http://127.0.0.1:${entry.router.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/trino_router_edge_streams_total\{edge="ext_authz"\} 1/);
    expect(metrics).toMatch(/trino_router_routing_decisions_total\{[^}]*edge="ext_authz"[^}]*backend="trino-a"[^}]*\} 1/);
  });

  it('runs its own server on another address, which the ext_proc port does not answer for', async () => {
    const entry = await start({ extProc: '127.0.0.1:0', extAuthz: 'localhost:0' });
    const port = entry.router.extAuthzPort!;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(entry.router.extProcPort);
    expect(clusterOf(await check(authzClient(entry, `localhost:${port}`)))).toBe('trino-a');
    await expect(check(authzClient(entry, `127.0.0.1:${entry.router.extProcPort}`))).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });

    // Closing the router closes that server too.
    await entry.router.close();
    const after = new AuthorizationClient(`localhost:${port}`, grpc.credentials.createInsecure());
    entry.clients.push(after);
    await expect(
      new Promise((resolve, reject) => after.waitForReady(Date.now() + 300, (error) => (error ? reject(error) : resolve(undefined)))),
    ).rejects.toThrow();
  });

  it('is not served when listen.extAuthz is null', async () => {
    const entry = await start({ extProc: '127.0.0.1:0', extAuthz: null });
    expect(entry.router.extAuthzPort).toBeUndefined();
    await expect(check(authzClient(entry, `127.0.0.1:${entry.router.extProcPort}`))).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    // ext_proc is unaffected.
    const extProc = new ExtProcClient(`127.0.0.1:${entry.router.extProcPort}`, grpc.credentials.createInsecure());
    entry.clients.push(extProc);
    await new Promise<void>((resolve, reject) => extProc.waitForReady(Date.now() + 2000, (error) => (error ? reject(error) : resolve())));
  });

  it('answers bytes that are not a CheckRequest with a gRPC error and keeps serving', async () => {
    const entry = await start({ extProc: '127.0.0.1:0', extAuthz: '127.0.0.1:0' });
    const client = authzClient(entry, `127.0.0.1:${entry.router.extAuthzPort}`);
    const garbage = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        '/envoy.service.auth.v3.Authorization/Check',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12]),
        (error) => resolve(error),
      );
    });
    expect(garbage?.code).toBe(grpc.status.INTERNAL);
    expect(clusterOf(await check(client))).toBe('trino-a');
  });
});
