/**
 * ConfigService over gRPC: export writes the running configuration with the store's routing
 * (secrets redacted unless asked), import replaces the routing in one change, and the round
 * trip is exact: export, change, import, export gives the first text back.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/cli/admin-client.js';
import { failure, ROUTING_YAML, startRouterWithAdmin, TOKEN, type RouterWithAdmin, storedBackend } from './support.js';

const PREFIX_SECRET = 'an-inline-prefix-secret-0123456789';

let fixture: RouterWithAdmin;
let admin: AdminClient;

beforeAll(async () => {
  fixture = await startRouterWithAdmin({
    routing: ROUTING_YAML.replace(
      'routing: { defaultGroup: adhoc }',
      `routing: { defaultGroup: adhoc, prefix: { keys: [{ id: k1, secret: "${PREFIX_SECRET}" }] } }`,
    ),
  });
  admin = fixture.client();
});
afterAll(async () => {
  await fixture?.close();
});

const blankBackend = { prefixRouting: false, schedules: [], draining: false };

describe('ConfigService', () => {
  it('exports the running configuration with secrets redacted by default', async () => {
    const exported = await admin.config.exportConfig({ includeSecrets: false });
    expect(exported.revision).toBe((await fixture.router.store.routing.revision()));
    expect(exported.yaml).toMatch(/^# trino-envoy-router configuration \(exported\)\n/);
    expect(exported.yaml).toContain('secret: REDACTED');
    expect(exported.yaml).toContain('token: REDACTED');
    expect(exported.yaml).not.toContain(PREFIX_SECRET);
    expect(exported.yaml).not.toContain(TOKEN);
    const withSecrets = await admin.config.exportConfig({ includeSecrets: true });
    expect(withSecrets.yaml).toContain(PREFIX_SECRET);
    expect(withSecrets.yaml).toContain(TOKEN);
  });

  it('exports what the store holds now, not what the file said', async () => {
    await admin.backends.createBackend({ backend: { name: 'trino-x', url: 'http://trino-x:8080', ...blankBackend } });
    const exported = await admin.config.exportConfig({ includeSecrets: false });
    expect(exported.yaml).toContain('- name: trino-x');
    await admin.backends.deleteBackend({ name: 'trino-x' });
  });

  it('importing an export changes nothing (redacted secrets keep the running ones)', async () => {
    const exported = await admin.config.exportConfig({ includeSecrets: false });
    const imported = await admin.config.importConfig({ yaml: exported.yaml, dryRun: false, sourceName: 'export.yaml' });
    expect(imported).toEqual({
      revision: exported.revision,
      changed: false,
      diff: { backends: { added: [], changed: [], removed: [] }, groups: { added: [], changed: [], removed: [] }, rules: { added: [], changed: [], removed: [] }, defaultGroup: undefined },
      restartRequired: [],
    });
  });

  it('round trip: export, change through the API, import the export, export again: same text', async () => {
    const first = await admin.config.exportConfig({ includeSecrets: false });
    await admin.backends.createBackend({ backend: { name: 'trino-x', url: 'http://trino-x:8080', ...blankBackend } });
    await admin.groups.updateGroup({ group: { name: 'etl', strategy: '', members: [{ backend: 'trino-x' }], isDefault: false }, updateMask: ['members'] });
    await admin.rules.deleteRule({ name: 'airflow' });
    await admin.groups.setDefaultGroup({ name: 'etl' });

    const imported = await admin.config.importConfig({ yaml: first.yaml, dryRun: false, sourceName: 'first.yaml' });
    expect(imported.changed).toBe(true);
    expect(imported.diff).toEqual({
      backends: { added: [], changed: [], removed: ['trino-x'] },
      groups: { added: [], changed: ['etl'], removed: [] },
      rules: { added: ['airflow'], changed: [], removed: [] },
      defaultGroup: 'adhoc',
    });
    expect(imported.revision).toBe((await fixture.router.store.routing.revision()));
    // Applied to the serving snapshot in the same call.
    expect(await fixture.router.refreshRouting()).toBe(false);
    const again = await admin.config.exportConfig({ includeSecrets: false });
    expect(again.yaml).toBe(first.yaml);
    const withSecrets = await admin.config.exportConfig({ includeSecrets: true });
    expect((await admin.config.importConfig({ yaml: withSecrets.yaml, dryRun: false, sourceName: '' })).changed).toBe(false);
  });

  it('a dry run reports the change and writes nothing', async () => {
    const exported = await admin.config.exportConfig({ includeSecrets: false });
    const edited = exported.yaml.replace('url: http://127.0.0.1:18082', 'url: http://trino-b.internal:8080');
    const dry = await admin.config.importConfig({ yaml: edited, dryRun: true, sourceName: 'edited.yaml' });
    expect(dry).toMatchObject({ changed: true, revision: exported.revision, diff: { backends: { changed: ['trino-b'] } } });
    expect((await storedBackend(fixture.router.store, 'trino-b')).url).toBe('http://127.0.0.1:18082');
  });

  it('lists settings that only a restart applies', async () => {
    const exported = await admin.config.exportConfig({ includeSecrets: false });
    const edited = exported.yaml.replace('level: silent', 'level: debug').replace('retentionHours: 24', 'retentionHours: 48');
    const response = await admin.config.importConfig({ yaml: edited, dryRun: true, sourceName: 'edited.yaml' });
    expect(response.restartRequired.sort()).toEqual(['logging', 'routing.queryIds']);
    expect(response.changed).toBe(false);
  });

  it('an invalid file is refused with every problem, its line and the source name', async () => {
    const exported = await admin.config.exportConfig({ includeSecrets: false });
    const broken = exported.yaml.replace('- name: trino-b\n    url: http://127.0.0.1:18082', '- name: trino-b\n    url: ftp://nowhere');
    const details = await failure(admin.config.importConfig({ yaml: broken, dryRun: false, sourceName: 'broken.yaml' }), grpc.status.INVALID_ARGUMENT);
    expect(details).toMatch(/^invalid configuration in broken\.yaml \(1 problem\):\n {2}- broken\.yaml:\d+: backends\[1\]\.url: expected an http or https URL/);
    await failure(admin.config.importConfig({ yaml: 'a: [', dryRun: false, sourceName: '' }), grpc.status.INVALID_ARGUMENT, /^invalid configuration in import/);
    // A redacted secret with no running value to restore cannot load.
    const noKey = exported.yaml.replace('id: k1', 'id: k2');
    await failure(admin.config.importConfig({ yaml: noKey, dryRun: true, sourceName: 'k2.yaml' }), grpc.status.INVALID_ARGUMENT, /routing\.prefix\.keys\[0\]\.secret: expected at least 32 bytes/);
    expect((await storedBackend(fixture.router.store, 'trino-b')).url).toBe('http://127.0.0.1:18082');
  });
});
