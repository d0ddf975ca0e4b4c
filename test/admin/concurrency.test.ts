/**
 * Concurrent writers: many clients at once on one router, and two router processes sharing
 * one store file, each change validated and applied whole (no lost update, no duplicate),
 * and every replica's routing following the store.
 */
import * as grpc from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type AdminClient } from '../../src/cli/admin-client.js';
import { freePort, spawnRouter, type RouterProcess } from '../support/router-process.js';
import { ROUTING_YAML, startRouterWithAdmin, TOKEN, type RouterWithAdmin, storedBackend } from './support.js';

const blank = { prefixRouting: false, schedules: [], draining: false };

describe('many clients on one router', () => {
  let fixture: RouterWithAdmin;
  beforeAll(async () => {
    fixture = await startRouterWithAdmin();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('40 parallel creates from 4 connections all land, each with its own revision', async () => {
    const clients = Array.from({ length: 4 }, () => fixture.client());
    const start = (await fixture.router.store.routing.revision());
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      clients[i % 4]!.backends.createBackend({ backend: { name: `extra-${i}`, url: `http://extra-${i}:8080`, ...blank } })));
    const revisions = responses.map((r) => r.revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 40 }, (_, i) => start + 1 + i));
    expect((await clients[0]!.backends.listBackends({})).backends).toHaveLength(42);
    expect(await fixture.router.refreshRouting()).toBe(false);
  });

  it('10 parallel creates of one name: exactly one wins, the others get ALREADY_EXISTS', async () => {
    const client = fixture.client();
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) =>
      client.groups.createGroup({ group: { name: 'race', strategy: '', members: [{ backend: `extra-${i}` }], isDefault: false } })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => grpc.status[((r as PromiseRejectedResult).reason as grpc.ServiceError).code]))
      .toEqual(Array(9).fill('ALREADY_EXISTS'));
  });
});

describe('two router processes sharing one store', () => {
  let local: RouterWithAdmin;
  let remote: RouterProcess;
  let remoteAdmin: AdminClient;

  beforeAll(async () => {
    local = await startRouterWithAdmin();
    const storePath = join(local.dir, 'router.db');
    const port = await freePort();
    const configPath = join(local.dir, 'replica.yaml');
    writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:0", admin: "127.0.0.1:${port}", metrics: null }
dataDir: ${JSON.stringify(local.dir)}
store: { path: ${JSON.stringify(storePath)} }
logging: { level: info }
monitor: null
admin: { token: "${TOKEN}" }
${ROUTING_YAML}`);
    remote = await spawnRouter(configPath);
    remoteAdmin = connect({ server: `127.0.0.1:${port}`, token: TOKEN, timeoutMs: 10_000 });
    // The admin port opens right after ext_proc's.
    for (let i = 0; ; i++) {
      try {
        await remoteAdmin.backends.listBackends({});
        break;
      } catch (error) {
        if (i > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  afterAll(async () => {
    remoteAdmin?.close();
    await remote?.stop();
    await local?.close();
  });

  it('interleaved updates of different fields through both replicas lose nothing', async () => {
    const localAdmin = local.client();
    const calls = Array.from({ length: 30 }, (_, i) => (i % 2 === 0
      ? localAdmin.backends.updateBackend({ backend: { name: 'trino-a', url: `http://a-${i}:8080`, ...blank }, updateMask: ['url'] })
      : remoteAdmin.backends.updateBackend({ backend: { name: 'trino-a', url: '', maxLoad: i, ...blank }, updateMask: ['max_load'] })));
    const responses = await Promise.all(calls);
    expect(new Set(responses.map((r) => r.revision)).size).toBe(30);
    const stored = (await storedBackend(local.router.store, 'trino-a'));
    // Whatever the order, the last url and the last ceiling both survived: no update overwrote the other field.
    expect(stored.url).toMatch(/^http:\/\/a-\d+:8080$/);
    expect(stored.maxLoad).toBeGreaterThan(0);
    expect((await remoteAdmin.backends.getBackend({ name: 'trino-a' })).backend).toMatchObject({ url: stored.url, maxLoad: stored.maxLoad });
  });

  it('a change made through one replica reaches the other replica\'s routing', async () => {
    const created = await remoteAdmin.backends.createBackend({ backend: { name: 'from-remote', url: 'http://r:8080', ...blank } });
    // The local replica's timer would pick it up within 2 s; refreshing shows the change is in the store now.
    expect(await local.router.refreshRouting()).toBe(true);
    expect((await local.router.store.routing.revision())).toBe(created.revision);
    const explained = await local.client().explain.explain({ method: '', path: '', headers: [{ name: 'X-Trino-User', value: 'alice' }] });
    expect(explained.revision).toBe(created.revision);
  });
});
