/**
 * The audit trail through the admin API: every change recorded with method, who and what;
 * ListConfigHistory, GetConfigRevision and Rollback; and under store.seed: watch, the routing
 * writes refused in favour of the file while enable, disable and drain stay allowed.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { failure, ROUTING_YAML, startRouterWithAdmin, storedBackend, storedConfig, type RouterWithAdmin } from './support.js';

const READ_TOKEN = 'a-read-only-admin-token-for-history-tests';
const NEW_BACKEND = { name: 'trino-c', url: 'http://127.0.0.1:18083', prefixRouting: false, schedules: [], draining: false };

describe('config history and rollback', () => {
  let fixture: RouterWithAdmin;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    fixture = await startRouterWithAdmin({ readToken: READ_TOKEN, logger });
  });
  afterAll(() => fixture?.close());

  it('records the seed, each admin change with who made it, and logs who and what', async () => {
    const admin = fixture.client();
    const seed = (await admin.config.listConfigHistory({ limit: 0 })).changes;
    expect(seed).toHaveLength(1);
    expect(seed[0]).toMatchObject({ revision: 1, method: 'config-file/seed', author: { file: fixture.configPath, token: '' } });

    const created = await admin.backends.createBackend({ backend: NEW_BACKEND });
    await admin.backends.drainBackend({ name: 'trino-a' });
    const { changes } = await admin.config.listConfigHistory({ limit: 10 });
    expect(changes.map((c) => c.method)).toEqual(['BackendService/DrainBackend', 'BackendService/CreateBackend', 'config-file/seed']);
    const create = changes[1]!;
    expect(create).toMatchObject({
      revision: created.revision,
      author: { token: 'admin', peer: expect.stringMatching(/127\.0\.0\.1/), certificateSubject: '', file: '' },
      diff: { backends: { added: ['trino-c'], changed: [], removed: [] } },
      summary: expect.stringMatching(/^BackendService\/CreateBackend by admin token, from .*127\.0\.0\.1.*: backends \+trino-c$/),
    });
    expect(changes[0]!.diff?.backends?.changed).toEqual(['trino-a']);
    expect(logs).toContainEqual(expect.objectContaining({
      msg: 'admin call', method: '/trino_envoy_router.admin.v1.BackendService/CreateBackend', revision: created.revision,
      change: 'backends +trino-c', who: expect.stringMatching(/^admin token, from .*127\.0\.0\.1/),
    }));
  });

  it('shows the whole config of a revision, rolls back to it as a new recorded revision, and says when nothing changes', async () => {
    const admin = fixture.client();
    const shown = await admin.config.getConfigRevision({ revision: 1 });
    expect(shown.change).toMatchObject({ revision: 1, method: 'config-file/seed' });
    expect(shown.yaml).toContain('trino-a');
    expect(shown.yaml).not.toContain('trino-c');
    expect(shown.yaml).not.toContain('a-test-admin-token'); // secrets redacted, as export does

    const before = (await admin.config.listConfigHistory({ limit: 1 })).changes[0]!.revision;
    const rolled = await admin.config.rollback({ toRevision: 1 });
    expect(rolled).toMatchObject({ revision: before + 1, changed: true, diff: { backends: { removed: ['trino-c'], changed: ['trino-a'] } } });
    expect((await storedConfig(fixture.router.store)).backends.map((b) => b.name)).toEqual(['trino-a', 'trino-b']);
    expect((await storedBackend(fixture.router.store, 'trino-a')).draining).toBeUndefined();
    expect(fixture.router.serving.snapshot().revision).toBe(before + 1);
    const newest = (await admin.config.listConfigHistory({ limit: 1 })).changes[0]!;
    expect(newest).toMatchObject({ revision: before + 1, method: 'ConfigService/Rollback', author: { token: 'admin' } });

    expect(await admin.config.rollback({ toRevision: 1 })).toMatchObject({ revision: before + 1, changed: false });
    expect((await admin.config.listConfigHistory({ limit: 1 })).changes[0]!.revision).toBe(before + 1);
  });

  it('pages newest first; unknown or missing revisions are clear errors', async () => {
    const admin = fixture.client();
    const all = (await admin.config.listConfigHistory({ limit: 100 })).changes.map((c) => c.revision);
    const first = await admin.config.listConfigHistory({ limit: 2 });
    expect(first.changes.map((c) => c.revision)).toEqual(all.slice(0, 2));
    const second = await admin.config.listConfigHistory({ limit: 2, beforeRevision: first.nextBeforeRevision });
    expect(second.changes.map((c) => c.revision)).toEqual(all.slice(2, 4));
    await failure(admin.config.listConfigHistory({ limit: 5000 }), grpc.status.INVALID_ARGUMENT, /limit: at most 1000/);
    await failure(admin.config.getConfigRevision({ revision: 999 }), grpc.status.NOT_FOUND, new RegExp(`revision 999 is not in the config history: revisions 1 to ${all[0]} are kept`));
    await failure(admin.config.rollback({ toRevision: 999 }), grpc.status.NOT_FOUND, /revision 999/);
    await failure(admin.config.getConfigRevision({ revision: 0 }), grpc.status.INVALID_ARGUMENT, /revision: required/);
  });

  it('an import is recorded; the read-only token reads the history but may not roll back', async () => {
    const admin = fixture.client();
    const exported = await admin.config.exportConfig({ includeSecrets: false });
    const imported = await admin.config.importConfig({ yaml: exported.yaml.replace('http://127.0.0.1:18082', 'http://127.0.0.1:18092'), dryRun: false, sourceName: 'edited.yaml' });
    expect((await admin.config.listConfigHistory({ limit: 1 })).changes[0]).toMatchObject({
      revision: imported.revision, method: 'ConfigService/ImportConfig', diff: { backends: { changed: ['trino-b'] } },
    });
    const reader = fixture.client(READ_TOKEN);
    const history = await reader.config.listConfigHistory({ limit: 1 });
    expect(history.changes[0]?.revision).toBe(imported.revision);
    expect((await reader.config.getConfigRevision({ revision: imported.revision })).yaml).toContain('18092');
    await failure(reader.config.rollback({ toRevision: 1 }), grpc.status.PERMISSION_DENIED, /may not call .*ConfigService\/Rollback/);
    expect((await storedBackend(fixture.router.store, 'trino-b')).url).toBe('http://127.0.0.1:18092');
  });
});

describe('admin writes under store.seed: watch', () => {
  let fixture: RouterWithAdmin;
  const routing = ROUTING_YAML.replace('{ name: trino-b, url: "http://127.0.0.1:18082" }', '{ name: trino-b, url: "http://127.0.0.1:18082", enabled: false }');

  beforeAll(async () => {
    fixture = await startRouterWithAdmin({ routing, extra: 'store: { seed: watch }' });
  });
  afterAll(() => fixture?.close());

  it('routing-table writes, import and rollback are refused naming the file; nothing changes', async () => {
    const admin = fixture.client();
    const before = await fixture.router.store.routing.read();
    const fileRules = new RegExp(`refused: store\\.seed is watch, so the config file ${fixture.configPath.replace(/[.]/g, '\\.')} rules the routing.*edit the file instead`);
    await failure(admin.backends.createBackend({ backend: NEW_BACKEND }), grpc.status.FAILED_PRECONDITION, fileRules);
    await failure(admin.rules.deleteRule({ name: 'airflow' }), grpc.status.FAILED_PRECONDITION, /RuleService\/DeleteRule refused/);
    await failure(admin.groups.setDefaultGroup({ name: 'etl' }), grpc.status.FAILED_PRECONDITION, fileRules);
    const exported = await admin.config.exportConfig({ includeSecrets: true });
    await failure(admin.config.importConfig({ yaml: exported.yaml, dryRun: false, sourceName: 'x.yaml' }), grpc.status.FAILED_PRECONDITION, /ConfigService\/ImportConfig refused/);
    expect((await admin.config.importConfig({ yaml: exported.yaml, dryRun: true, sourceName: 'x.yaml' })).changed).toBe(false);
    await failure(admin.config.rollback({ toRevision: 1 }), grpc.status.FAILED_PRECONDITION, /ConfigService\/Rollback refused/);
    expect(await fixture.router.store.routing.read()).toStrictEqual(before);
  });

  it('drain, disable and enable stay allowed, except enabling what the file disables', async () => {
    const admin = fixture.client();
    expect((await admin.backends.drainBackend({ name: 'trino-a' })).changed).toBe(true);
    expect((await admin.backends.enableBackend({ name: 'trino-a' })).changed).toBe(true);
    expect((await admin.backends.disableBackend({ name: 'trino-a' })).changed).toBe(true);
    expect((await admin.backends.enableBackend({ name: 'trino-a' })).changed).toBe(true);
    await failure(admin.backends.enableBackend({ name: 'trino-b' }), grpc.status.FAILED_PRECONDITION, /the config file sets enabled: false for backend "trino-b"/);
    expect((await storedBackend(fixture.router.store, 'trino-b')).enabled).toBe(false);
  });

  it('status names the file, its mode and last apply; an edit of the file shows there and in the history', async () => {
    const admin = fixture.client();
    const status = await admin.status.getStatus({ backends: [], historyLimit: 0 });
    expect(status.configFile).toMatchObject({ path: fixture.configPath, mode: 'watch', lastError: '', rejections: 0, restartRequired: [] });
    const applied = status.configFile!.lastAppliedRevision!;
    expect(status.configFile!.lastAppliedAt).toBeInstanceOf(Date);

    const text = readFileSync(fixture.configPath, 'utf8');
    writeFileSync(fixture.configPath, text.replace('{ name: airflow, priority: 20, group: etl, match: { source: airflow } }', '{ name: airflow, priority: 20, group: adhoc, match: { source: airflow } }'));
    await vi.waitFor(async () => {
      expect((await admin.status.getStatus({ backends: [], historyLimit: 0 })).configFile?.lastAppliedRevision).toBeGreaterThan(applied);
    }, { timeout: 10_000, interval: 100 });
    const newest = (await admin.config.listConfigHistory({ limit: 1 })).changes[0]!;
    expect(newest).toMatchObject({ method: 'config-file/watch', author: { file: fixture.configPath }, diff: { rules: { changed: ['airflow'] } } });

    writeFileSync(fixture.configPath, `${text}\n  broken: [`);
    await vi.waitFor(async () => {
      expect((await admin.status.getStatus({ backends: [], historyLimit: 0 })).configFile?.rejections).toBe(1);
    }, { timeout: 10_000, interval: 100 });
    const refused = (await admin.status.getStatus({ backends: [], historyLimit: 0 })).configFile!;
    expect(refused.lastError).toMatch(/YAML/);
    expect(refused.lastAppliedRevision).toBe(newest.revision);
  });
});
