/**
 * The config file as the source of truth (store.seed: watch) over a real SQLite store: edits
 * applied whole in one transaction, bad edits kept out, ConfigMap symlink swaps seen,
 * identical content (a fleet of replicas) applied without a new revision; and the if-empty
 * report of a file that differs from the store.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { ConfigFile } from '../../../src/config-watch/config-file.js';
import { createLogger } from '../../../src/observability/logger.js';
import { FILE_METHODS } from '../../../src/routing/config-history.js';
import * as edits from '../../../src/routing/config-edits.js';
import { openSqliteStore, type Store } from '../../../src/store/index.js';

const BASE = `
listen: { extProc: "127.0.0.1:0", admin: null, metrics: null }
logging: { level: silent }
monitor: null
routing: { defaultGroup: adhoc }
`;

function fileText(options: { seed?: string; backends?: string[]; rules?: string; extra?: string } = {}): string {
  const backends = options.backends ?? ['trino-a', 'trino-b'];
  return `${BASE}
store: { seed: ${options.seed ?? 'watch'} }
backends:
${backends.map((name, i) => `  - { name: ${name}, url: "http://127.0.0.1:${18081 + i}" }`).join('\n')}
groups:
  - { name: adhoc, backends: [${backends.join(', ')}] }
${options.rules ?? ''}
${options.extra ?? ''}
`;
}

describe('config file under store.seed: watch', () => {
  let dir: string;
  let store: Store;
  let logs: Record<string, unknown>[];
  const files: ConfigFile[] = [];

  const logger = () => createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });

  const start = async (path: string, text?: string, timing = { debounceMs: 20, pollMs: 100 }): Promise<ConfigFile> => {
    if (text !== undefined) writeFileSync(path, text);
    const running = parseConfig(text ?? fileText(), path, { env: {}, baseDir: dir });
    const file = await ConfigFile.start({
      path, running, routingStore: store.routing, refreshRouting: async () => {}, env: {}, logger: logger(), ...timing,
    });
    files.push(file);
    return file;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ter-watch-'));
    store = openSqliteStore(join(dir, 'router.db'));
    logs = [];
  });
  afterEach(async () => {
    for (const file of files.splice(0)) file.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the file at start and every edit as one recorded revision, all of it at once', async () => {
    const path = join(dir, 'router.yaml');
    const file = await start(path, fileText());
    const first = (await store.routing.read()).revision;
    expect(file.status()).toMatchObject({ mode: 'watch', path, lastAppliedRevision: first, lastError: undefined });

    // A backend, its group membership and a rule that routes to it: one edit, one revision.
    writeFileSync(path, fileText({ backends: ['trino-a', 'trino-b', 'trino-c'], rules: 'rules:\n  - { name: etl, group: adhoc, match: { source: airflow } }' }));
    await vi.waitFor(() => expect(file.status().lastAppliedRevision).toBe(first + 1), { timeout: 5000 });
    const stored = (await store.routing.read()).config;
    expect(stored.backends.map((b) => b.name)).toEqual(['trino-a', 'trino-b', 'trino-c']);
    expect(stored.rules.map((r) => r.name)).toEqual(['etl']);
    const [change] = (await store.configHistory.list({ limit: 1 })).changes;
    expect(change).toMatchObject({
      revision: first + 1, method: FILE_METHODS.watch, author: { file: path },
      diff: { backends: { added: ['trino-c'] }, groups: { changed: ['adhoc'] }, rules: { added: ['etl'] } },
    });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'config file applied', revision: first + 1, change: 'backends +trino-c; groups ~adhoc; rules +etl' }));
  });

  it('a bad edit (YAML, then validation) keeps the last good config and is reported; the fix applies', async () => {
    const path = join(dir, 'router.yaml');
    const file = await start(path, fileText());
    const before = await store.routing.read();

    writeFileSync(path, `${fileText()}\nbackends: [ broken`);
    await vi.waitFor(() => expect(file.status().rejections).toBe(1), { timeout: 5000 });
    expect(file.status().lastError).toMatch(/YAML/);
    expect(file.status().lastErrorAt).toBeTypeOf('number');

    writeFileSync(path, fileText({ rules: 'rules:\n  - { name: etl, group: nowhere, match: { source: airflow } }' }));
    await vi.waitFor(() => expect(file.status().rejections).toBe(2), { timeout: 5000 });
    expect(file.status().lastError).toMatch(/rules\[0\]\.group.*nowhere/);
    expect(await store.routing.read()).toStrictEqual(before);
    expect(logs).toContainEqual(expect.objectContaining({
      level: 'warn', msg: 'config file edit refused; the last good configuration stays in force', error: expect.stringMatching(/nowhere/), keptRevision: before.revision,
    }));

    writeFileSync(path, fileText({ backends: ['trino-a'] }));
    await vi.waitFor(() => expect(file.status().lastAppliedRevision).toBe(before.revision + 1), { timeout: 5000 });
    expect(file.status()).toMatchObject({ lastError: undefined, rejections: 2 });
  });

  it('sees a Kubernetes ConfigMap update: the ..data symlink swapped to a new folder', async () => {
    // What the kubelet lays out: router.yaml -> ..data/router.yaml, ..data -> ..<timestamp>.
    mkdirSync(join(dir, '..2026_12_07_1'));
    writeFileSync(join(dir, '..2026_12_07_1', 'router.yaml'), fileText());
    symlinkSync('..2026_12_07_1', join(dir, '..data'));
    symlinkSync(join('..data', 'router.yaml'), join(dir, 'router.yaml'));
    const file = await start(join(dir, 'router.yaml'));
    const first = file.status().lastAppliedRevision!;

    mkdirSync(join(dir, '..2026_12_07_2'));
    writeFileSync(join(dir, '..2026_12_07_2', 'router.yaml'), fileText({ backends: ['trino-a', 'trino-b', 'trino-c'] }));
    symlinkSync('..2026_12_07_2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..2026_12_07_1'), { recursive: true });

    await vi.waitFor(() => expect(file.status().lastAppliedRevision).toBe(first + 1), { timeout: 5000 });
    expect((await store.routing.read()).config.backends.map((b) => b.name)).toContain('trino-c');
  });

  it('a busy neighbour in the folder (the SQLite store\'s -wal) does not hold an edit off', async () => {
    const path = join(dir, 'router.yaml');
    // No stat poll to fall back on: the folder watch alone must see the edit.
    const file = await start(path, fileText(), { debounceMs: 100, pollMs: 3_600_000 });
    const first = file.status().lastAppliedRevision!;
    const noise = setInterval(() => writeFileSync(join(dir, 'router.db-wal-noise'), String(Date.now())), 10);
    try {
      writeFileSync(path, fileText({ backends: ['trino-a'] }));
      await vi.waitFor(() => expect(file.status().lastAppliedRevision).toBe(first + 1), { timeout: 3000 });
    } finally {
      clearInterval(noise);
    }
  });

  it('identical content applies without a new revision: a rewrite, and replicas watching one file', async () => {
    const path = join(dir, 'router.yaml');
    const one = await start(path, fileText());
    const two = await start(path);
    const revision = (await store.routing.read()).revision;
    expect(two.status().lastAppliedRevision).toBe(revision);

    writeFileSync(path, fileText({ backends: ['trino-a'] }));
    await vi.waitFor(() => {
      expect(one.status().lastAppliedRevision).toBe(revision + 1);
      expect(two.status().lastAppliedRevision).toBe(revision + 1);
    }, { timeout: 5000 });
    // The same text written again (an editor saving, a ConfigMap resync) changes nothing.
    writeFileSync(path, fileText({ backends: ['trino-a'] }));
    expect(await one.reload()).toStrictEqual({ kind: 'unchanged' });
    expect((await store.routing.read()).revision).toBe(revision + 1);
    expect((await store.configHistory.list({ limit: 10 })).changes.map((c) => c.revision)).toEqual([revision + 1, revision]);
  });

  it('keeps the drain and disable set at run time across edits, unless the file changes that switch', async () => {
    const path = join(dir, 'router.yaml');
    const file = await start(path, fileText());
    // What backend drain / disable do (admin API): an edit of the stored backend.
    await store.routing.transaction(async (tx) => {
      const config = (await tx.read()).config;
      const a = edits.findEntity(config.backends, 'backend', 'trino-a');
      const b = edits.findEntity(config.backends, 'backend', 'trino-b');
      return tx.write(edits.updateBackend(edits.updateBackend(config, { ...a, draining: true }), { ...b, enabled: false }));
    });
    writeFileSync(path, fileText({ rules: 'rules:\n  - { name: etl, group: adhoc, match: { source: airflow } }' }));
    expect(await file.reload()).toMatchObject({ kind: 'applied', changed: true });
    let backends = (await store.routing.read()).config.backends;
    expect(backends.find((b) => b.name === 'trino-a')?.draining).toBe(true);
    expect(backends.find((b) => b.name === 'trino-b')?.enabled).toBe(false);

    // The file now disables trino-a itself, then re-enables it: the file's change wins each time.
    const disabledA = fileText().replace('{ name: trino-a, url: "http://127.0.0.1:18081" }', '{ name: trino-a, url: "http://127.0.0.1:18081", enabled: false }');
    writeFileSync(path, disabledA);
    await file.reload();
    expect((await store.routing.read()).config.backends.find((b) => b.name === 'trino-a')?.enabled).toBe(false);
    writeFileSync(path, fileText());
    await file.reload();
    backends = (await store.routing.read()).config.backends;
    expect(backends.find((b) => b.name === 'trino-a')?.enabled).toBe(true);
    expect(backends.find((b) => b.name === 'trino-b')?.enabled).toBe(false);
    expect(file.watchedRouting()?.backends.find((b) => b.name === 'trino-b')?.enabled).toBe(true);
  });

  it('reports settings that need a restart instead of ignoring them; the routing part still applies', async () => {
    const path = join(dir, 'router.yaml');
    const file = await start(path, fileText());
    writeFileSync(path, fileText({ backends: ['trino-a'] }).replace('admin: null', 'admin: "127.0.0.1:9555"').replace('level: silent', 'level: debug'));
    expect(await file.reload()).toMatchObject({ kind: 'applied', changed: true });
    expect(file.status().restartRequired).toEqual(['listen', 'logging']);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', restartRequired: ['listen', 'logging'] }));
  });

  it('a file that cannot be read (deleted meanwhile) is refused and the config kept', async () => {
    const path = join(dir, 'router.yaml');
    const file = await start(path, fileText());
    rmSync(path);
    expect(await file.reload()).toMatchObject({ kind: 'rejected', error: expect.stringMatching(/file not found/) });
    expect(file.status().rejections).toBe(1);
  });
});

describe('config file under store.seed: if-empty', () => {
  it('a file that differs from a filled store is reported with how to apply it; a matching one is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ter-if-empty-'));
    const store = openSqliteStore(join(dir, 'router.db'));
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    try {
      const path = join(dir, 'router.yaml');
      const open = async (text: string) => {
        writeFileSync(path, text);
        const running = parseConfig(text, path, { env: {}, baseDir: dir });
        return ConfigFile.start({ path, running, routingStore: store.routing, refreshRouting: async () => {}, env: {}, logger });
      };
      const seeded = await open(fileText({ seed: 'if-empty' }));
      expect(seeded.status()).toMatchObject({ mode: 'if-empty', lastAppliedRevision: 1, differsFromStore: undefined });
      const same = await open(fileText({ seed: 'if-empty' }));
      expect(same.status()).toMatchObject({ lastAppliedAt: undefined, differsFromStore: undefined });

      const edited = await open(fileText({ seed: 'if-empty', backends: ['trino-a'] }));
      expect(edited.status().differsFromStore).toBe(
        `the config file's routing differs from the store's (backends -trino-b; groups ~adhoc) and store.seed is if-empty, so the store's is used; ` +
        `apply the file with \`trino-envoy-router config import ${path}\`, or set store.seed: overwrite (every start) or watch (every change)`);
      expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: edited.status().differsFromStore }));
      expect((await store.routing.read()).revision).toBe(1);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
