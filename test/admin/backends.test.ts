/**
 * BackendService over a real gRPC connection to a running router: every call, every error
 * code, and each change visible in the routing snapshot that serves requests.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/cli/admin-client.js';
import { failure, startRouterWithAdmin, type RouterWithAdmin, storedBackend } from './support.js';

let fixture: RouterWithAdmin;
let admin: AdminClient;

beforeAll(async () => {
  fixture = await startRouterWithAdmin();
  admin = fixture.client();
});
afterAll(async () => {
  await fixture?.close();
});

/** True when the serving snapshot already shows the store's latest revision (no reload pending). */
const snapshotIsCurrent = async (): Promise<boolean> => !(await fixture.router.refreshRouting());

describe('BackendService', () => {
  it('lists the seeded backends with the store revision', async () => {
    const response = await admin.backends.listBackends({});
    expect(response.backends.map((b) => b.name)).toEqual(['trino-a', 'trino-b']);
    expect(response.backends[0]).toMatchObject({ url: 'http://127.0.0.1:18081', enabled: true, prefixRouting: false, maxLoad: undefined, schedules: [], draining: false });
    expect(response.revision).toBe((await fixture.router.store.routing.revision()));
  });

  it('gets one backend; NOT_FOUND names a missing one; INVALID_ARGUMENT for an empty name', async () => {
    expect((await admin.backends.getBackend({ name: 'trino-b' })).backend?.url).toBe('http://127.0.0.1:18082');
    await failure(admin.backends.getBackend({ name: 'trino-z' }), grpc.status.NOT_FOUND, /backend "trino-z" does not exist/);
    await failure(admin.backends.getBackend({ name: '' }), grpc.status.INVALID_ARGUMENT, /^name: required/);
  });

  it('creates a backend (enabled by default), persists it and swaps it into the serving snapshot', async () => {
    const before = (await fixture.router.store.routing.revision());
    const response = await admin.backends.createBackend({
      backend: { name: 'trino-c', url: 'http://trino-c:8080', prefixRouting: false, schedules: [{ cron: '* 6-22 * * MON-FRI', timeZone: '' }], maxLoad: 50, draining: false },
    });
    expect(response.revision).toBeGreaterThan(before);
    expect(response.backend).toMatchObject({ name: 'trino-c', enabled: true, maxLoad: 50, schedules: [{ cron: '* 6-22 * * MON-FRI', timeZone: 'UTC' }] });
    expect((await storedBackend(fixture.router.store, 'trino-c')).url).toBe('http://trino-c:8080');
    // The snapshot the request router reads already has it: no reload timer involved.
    expect(await snapshotIsCurrent()).toBe(true);
  });

  it('refuses a duplicate (ALREADY_EXISTS) and an invalid backend naming the field (INVALID_ARGUMENT)', async () => {
    await failure(admin.backends.createBackend({ backend: { name: 'trino-a', url: 'http://x:1', prefixRouting: false, schedules: [], draining: false } }), grpc.status.ALREADY_EXISTS, /backend "trino-a" already exists/);
    await failure(admin.backends.createBackend({ backend: { name: 'bad', url: 'ftp://x', prefixRouting: false, schedules: [], draining: false } }), grpc.status.INVALID_ARGUMENT, /^backend\.url: expected an http or https URL/);
    await failure(admin.backends.createBackend({ backend: { name: 'bad', url: 'http://x:1', prefixRouting: false, schedules: [], maxLoad: -1, draining: false } }), grpc.status.INVALID_ARGUMENT, /^backend\.max_load: expected a positive number/);
    await failure(admin.backends.createBackend({ backend: { name: 'bad', url: 'http://x:1', prefixRouting: false, schedules: [{ cron: '* * *', timeZone: 'Mars/Base' }], draining: false } }), grpc.status.INVALID_ARGUMENT, /backend\.schedules\[0\]\.cron: expected five cron fields[\s\S]*backend\.schedules\[0\]\.time_zone: unknown time zone/);
    await failure(admin.backends.createBackend({ backend: { name: 'has space', url: 'http://x:1', prefixRouting: false, schedules: [], draining: false } }), grpc.status.INVALID_ARGUMENT, /^backend\.name: a backend name must be/);
    await failure(admin.backends.createBackend({}), grpc.status.INVALID_ARGUMENT, /^backend: required/);
    expect((await admin.backends.listBackends({})).backends.map((b) => b.name)).not.toContain('bad');
  });

  it('updates only the fields in the mask; an empty mask replaces every field', async () => {
    const partial = await admin.backends.updateBackend({
      backend: { name: 'trino-c', url: 'http://trino-c2:8080', prefixRouting: true, schedules: [], draining: false },
      updateMask: ['url'],
    });
    expect(partial.backend).toMatchObject({ url: 'http://trino-c2:8080', prefixRouting: false, maxLoad: 50, schedules: [{ cron: '* 6-22 * * MON-FRI', timeZone: 'UTC' }] });
    const full = await admin.backends.updateBackend({
      backend: { name: 'trino-c', url: 'http://trino-c3:8080', prefixRouting: false, schedules: [], draining: false },
      updateMask: [],
    });
    expect(full.backend).toMatchObject({ url: 'http://trino-c3:8080', enabled: true, maxLoad: undefined, schedules: [] });
    await failure(admin.backends.updateBackend({ backend: { name: 'trino-c', url: '', prefixRouting: false, schedules: [], draining: false }, updateMask: ['name'] }), grpc.status.INVALID_ARGUMENT, /^update_mask\[0\]: cannot update "name"/);
    await failure(admin.backends.updateBackend({ backend: { name: 'nope', url: 'http://x:1', prefixRouting: false, schedules: [], draining: false }, updateMask: [] }), grpc.status.NOT_FOUND);
  });

  it('disables and enables, idempotently, and the serving snapshot follows each change', async () => {
    const disabled = await admin.backends.disableBackend({ name: 'trino-c' });
    expect(disabled).toMatchObject({ changed: true, backend: { enabled: false } });
    expect((await storedBackend(fixture.router.store, 'trino-c')).enabled).toBe(false);
    expect(await snapshotIsCurrent()).toBe(true);
    const again = await admin.backends.disableBackend({ name: 'trino-c' });
    expect(again).toMatchObject({ changed: false, revision: disabled.revision });
    const enabled = await admin.backends.enableBackend({ name: 'trino-c' });
    expect(enabled).toMatchObject({ changed: true, backend: { enabled: true, draining: false } });
    expect((await admin.backends.enableBackend({ name: 'trino-c' })).changed).toBe(false);
    await failure(admin.backends.disableBackend({ name: 'nope' }), grpc.status.NOT_FOUND);
    await failure(admin.backends.enableBackend({ name: '' }), grpc.status.INVALID_ARGUMENT);
  });

  it('refuses to delete a backend a group still lists (FAILED_PRECONDITION), deletes a free one', async () => {
    await failure(admin.backends.deleteBackend({ name: 'trino-b' }), grpc.status.FAILED_PRECONDITION, /member of group\(s\) adhoc, etl/);
    const deleted = await admin.backends.deleteBackend({ name: 'trino-c' });
    expect(deleted.revision).toBe((await fixture.router.store.routing.revision()));
    await failure(admin.backends.deleteBackend({ name: 'trino-c' }), grpc.status.NOT_FOUND);
  });
});
