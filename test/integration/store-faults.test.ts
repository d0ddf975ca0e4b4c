/**
 * Faults of the SQLite store. At start: a folder or file the router may not write, a file
 * locked by another process, garbage bytes, damaged pages, a truncated file: startRouter
 * rejects with a StoreError whose message says what to do (and doing it works). While
 * serving: the store turns read-only, or another process holds its write lock: routing goes
 * on from memory (through Envoy, within its message timeout), the failure is logged at error,
 * and what was learned meanwhile reaches the store once the fault is gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRouter } from '../../src/app.js';
import { StoreError } from '../../src/store/index.js';
import { startChain, type Chain } from '../e2e/harness.js';
import { eventually, follow, rowsOf, submit } from '../support/statement-protocol.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CHILD = join(REPO_ROOT, 'test/integration/faults/start-router.child.ts');

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ter-store-faults-'));
  // Traversable by the unprivileged user the permission cases run as.
  chmodSync(root, 0o755);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let caseCounter = 0;
/** A folder with a router config whose store is `<dataDir>/router.db`. */
function routerCase(): { dir: string; dataDir: string; configPath: string; storePath: string } {
  const dir = join(root, `case-${++caseCounter}`);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dir, 0o755);
  const configPath = join(dir, 'router.yaml');
  writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:0", admin: null, metrics: null }
dataDir: ${JSON.stringify(dataDir)}
logging: { level: silent }
monitor: null
routing: { defaultGroup: all }
backends:
  - { name: trino-a, url: "http://127.0.0.1:1" }
groups:
  - { name: all, backends: [trino-a] }
`);
  chmodSync(configPath, 0o644);
  return { dir, dataDir, configPath, storePath: join(dataDir, 'router.db') };
}

interface StartOutcome {
  readonly started: boolean;
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly context?: Record<string, unknown>;
}

async function startOutcome(configPath: string): Promise<StartOutcome> {
  try {
    const running = await startRouter({ configPath, logger: pino({ level: 'silent' }) });
    await running.close();
    return { started: true };
  } catch (error) {
    const e = error as Error & { code?: string; context?: Record<string, unknown> };
    return { started: false, name: e.name, code: e.code, message: e.message, context: e.context };
  }
}

const isRoot = process.getuid?.() === 0;

/**
 * Starts the router for each config as a process file permissions apply to. Root ignores them
 * through its capabilities, so the child keeps uid 0 (it can still read the checkout, which may
 * sit in a folder only root can enter, like a `mktemp -d`) but runs without CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH and CAP_FOWNER (util-linux setpriv): the owner's permission bits decide.
 */
async function startUnprivileged(configPaths: readonly string[]): Promise<StartOutcome[]> {
  if (!isRoot) return Promise.all(configPaths.map(startOutcome));
  const child = spawnSync('setpriv', ['--bounding-set', '-dac_override,-dac_read_search,-fowner', '--', process.execPath, '--import', 'tsx', CHILD, ...configPaths], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, HOME: tmpdir() },
  });
  if (child.status !== 0) throw new Error(`start-router child failed (${child.status}): ${child.stderr}`);
  return child.stdout.trim().split('\n').map((line) => JSON.parse(line) as StartOutcome);
}

/** The router writes a complete, healthy store there and stops. */
async function healthyStore(configPath: string): Promise<void> {
  expect(await startOutcome(configPath)).toEqual({ started: true });
}

function expectStoreError(outcome: StartOutcome, advice: RegExp): void {
  expect(outcome.started).toBe(false);
  expect(outcome.name, outcome.message).toBe('StoreError');
  expect(outcome.code).toBe('store_unavailable');
  expect(outcome.message, outcome.message).toMatch(advice);
}

const WRITE_ADVICE = /cannot open the store .*router\.db for writing.*may write the file, its folder and, if they exist, .*router\.db-wal and .*router\.db-shm.*dataDir \/ store\.path/s;
const DAMAGED_ADVICE = /the store .*router\.db is not a SQLite database or is damaged.*Move the file aside.*store\.path/s;

describe('store faults at start', () => {
  it('a folder, a file, or the -wal/-shm neighbours the router may not write: a StoreError saying where to write', async () => {
    const folder = routerCase();
    chmodSync(folder.dataDir, 0o555);

    const readOnlyFile = routerCase();
    await healthyStore(readOnlyFile.configPath);
    chmodSync(readOnlyFile.dataDir, 0o777);
    chmodSync(readOnlyFile.storePath, 0o444);

    const readOnlyFolder = routerCase();
    await healthyStore(readOnlyFolder.configPath);
    chmodSync(readOnlyFolder.storePath, 0o666);
    chmodSync(readOnlyFolder.dataDir, 0o555);

    const [folderOutcome, fileOutcome, folderOfFileOutcome] = await startUnprivileged([folder.configPath, readOnlyFile.configPath, readOnlyFolder.configPath]);
    expectStoreError(folderOutcome!, WRITE_ADVICE);
    // SQLite opens a file it may not write read-only without a word; the router must not start on it.
    expectStoreError(fileOutcome!, WRITE_ADVICE);
    expectStoreError(folderOfFileOutcome!, WRITE_ADVICE);
    expect(fileOutcome!.context?.['path']).toBe(readOnlyFile.storePath);

    // Following the advice (let the router's user write there) works.
    for (const c of [folder, readOnlyFile, readOnlyFolder]) {
      chmodSync(c.dataDir, 0o777);
      for (const file of [c.storePath, `${c.storePath}-wal`, `${c.storePath}-shm`]) if (existsSync(file)) chmodSync(file, 0o666);
    }
    expect(await startUnprivileged([folder.configPath, readOnlyFile.configPath, readOnlyFolder.configPath])).toEqual([{ started: true }, { started: true }, { started: true }]);
  });

  it('a store path that is a folder, or under a plain file: a StoreError saying where to write', async () => {
    const directory = routerCase();
    mkdirSync(directory.storePath);
    expectStoreError(await startOutcome(directory.configPath), /cannot open the store .* for writing/);
    const underFile = routerCase();
    rmSync(underFile.dataDir, { recursive: true });
    writeFileSync(underFile.dataDir, 'a plain file where the data folder should be');
    expectStoreError(await startOutcome(underFile.configPath), /cannot open the store .* for writing/);
  });

  it('garbage bytes, damaged pages or a truncated file: a StoreError saying to move the file aside, which works', async () => {
    const garbage = routerCase();
    writeFileSync(garbage.storePath, Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) % 251)));

    // A real store, then its pages damaged: the routing tables' root page, or the ownership table's.
    const damaged = (table: string) => {
      const c = routerCase();
      return { c, table };
    };
    const cases = [damaged('backends'), damaged('query_owners'), damaged('sqlite_schema')];
    for (const { c, table } of cases) {
      await healthyStore(c.configPath);
      const db = new Database(c.storePath);
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      const rootPage = table === 'sqlite_schema' ? 1 : (db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').get(table) as { rootpage: number }).rootpage;
      db.close();
      const fd = openSync(c.storePath, 'r+');
      // Page 1 keeps its 100-byte file header: the file still says it is SQLite.
      const from = (rootPage - 1) * pageSize + (rootPage === 1 ? 100 : 0);
      writeSync(fd, Buffer.alloc(pageSize - (rootPage === 1 ? 100 : 0), 0xab), 0, undefined, from);
      closeSync(fd);
    }

    const truncated = routerCase();
    await healthyStore(truncated.configPath);
    truncateSync(truncated.storePath, Math.floor(statSync(truncated.storePath).size / 2) + 17);

    for (const c of [garbage, ...cases.map((d) => d.c), truncated]) {
      const outcome = await startOutcome(c.configPath);
      expectStoreError(outcome, DAMAGED_ADVICE);
      expect(outcome.context?.['code']).toMatch(/^SQLITE_(NOTADB|CORRUPT)$/);
      // The advice: move the file aside; the router then starts with a fresh store.
      renameSync(c.storePath, `${c.storePath}.damaged`);
      rmSync(`${c.storePath}-wal`, { force: true });
      rmSync(`${c.storePath}-shm`, { force: true });
      expect(await startOutcome(c.configPath)).toEqual({ started: true });
    }
  });

  it('an empty file or a WAL file of garbage next to a healthy store are no faults', async () => {
    const empty = routerCase();
    writeFileSync(empty.storePath, '');
    expect(await startOutcome(empty.configPath)).toEqual({ started: true });
    const wal = routerCase();
    await healthyStore(wal.configPath);
    writeFileSync(`${wal.storePath}-wal`, Buffer.alloc(32 * 1024, 0x5a));
    expect(await startOutcome(wal.configPath)).toEqual({ started: true });
  });

  describe('a store locked by another process', () => {
    let holder: ChildProcess | undefined;
    afterEach(() => {
      holder?.kill('SIGKILL');
      holder = undefined;
    });

    it('holding an exclusive lock: a StoreError saying to stop it or use another store.path (after the 5 s start-up wait)', async () => {
      const c = routerCase();
      await healthyStore(c.configPath);
      // The sqlite3 shell's `PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; ...`, in another process.
      holder = spawn(process.execPath, ['-e', `
        const Database = require('better-sqlite3');
        const db = new Database(${JSON.stringify(c.storePath)});
        db.pragma('locking_mode = EXCLUSIVE');
        db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (x); COMMIT;');
        process.stdout.write('locked\\n');
        setInterval(() => {}, 1 << 30);
      `], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolveLocked, reject) => {
        holder!.stdout!.once('data', () => resolveLocked());
        holder!.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
      });
      const outcome = await startOutcome(c.configPath);
      expectStoreError(outcome, /the store .*router\.db is locked by another process.*Stop the other process, or give this router its own store\.path/s);
      expect(outcome.context?.['code']).toMatch(/^SQLITE_(BUSY|LOCKED)$/);
      // Advice followed: the other process stops, the router starts.
      holder.kill('SIGKILL');
      await new Promise((done) => holder!.once('exit', done));
      holder = undefined;
      expect(await startOutcome(c.configPath)).toEqual({ started: true });
    }, 30_000);
  });

  it('the error is a StoreError instance when startRouter is called in-process', async () => {
    const c = routerCase();
    writeFileSync(c.storePath, 'not a database, just text long enough to fill a header '.repeat(10));
    await expect(startRouter({ configPath: c.configPath, logger: pino({ level: 'silent' }) })).rejects.toBeInstanceOf(StoreError);
  });
});

/** A pino logger whose JSON lines land in `lines`. */
function captureLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      partial += chunk.toString('utf8');
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const ERROR = 50;
const ETL = { 'X-Trino-User': 'etl_store_fault' };
const ALICE = { 'X-Trino-User': 'alice' };

describe('store faults while serving', () => {
  let chain: Chain;
  let logs: Record<string, unknown>[];
  beforeAll(async () => {
    const capture = captureLogger();
    logs = capture.lines;
    // Without prefix routing, follow-ups are routed by the query ids the router remembers.
    chain = await startChain({ prefixRouting: false, logger: capture.logger, metrics: true });
  });

  /** A sample from the router's /metrics, e.g. `trino_router_write_behind_failures_total{journal="ownership"}` (0 when absent). */
  async function metric(series: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${chain.router.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }
  const FAILURES = 'trino_router_write_behind_failures_total{journal="ownership"}';
  const PENDING = 'trino_router_write_behind_pending{journal="ownership"}';
  afterAll(async () => {
    await chain?.close();
  });

  /** The router's own SQLite connection (private to the store). */
  function routerDb(): Database.Database {
    const db = (chain.router.store.ownership as unknown as { connection?: { db?: unknown } }).connection?.db;
    if (!(db instanceof Database)) throw new Error('the store no longer keeps its connection in SqliteOwnershipStore.connection.db; update this test');
    return db;
  }

  function storedOwner(queryId: string): string | undefined {
    const reader = new Database(chain.router.store.location, { readonly: true });
    try {
      return (reader.prepare('SELECT backend FROM query_owners WHERE query_id = ?').get(queryId) as { backend: string } | undefined)?.backend;
    } finally {
      reader.close();
    }
  }

  /** Runs queries of both rules while the fault lasts; every poll must be routed by the query id learned. */
  async function queriesDuringFault(): Promise<string[]> {
    const ids: string[] = [];
    for (const [headers, cluster] of [[ETL, 'trino-b'], [ALICE, 'trino-a'], [ETL, 'trino-b']] as const) {
      const first = await submit(chain.envoy.url, 'SELECT * FROM t /* rows=6 */', headers);
      expect(first.status).toBe(200);
      expect(first.body.error).toBeUndefined();
      const answers = await follow(first, headers);
      expect(rowsOf(answers)).toHaveLength(6);
      expect(new Set(rowsOf(answers).map((r) => r[1]))).toEqual(new Set([cluster]));
      ids.push(first.body.id as string);
    }
    // Envoy answered nothing itself: no 504 (message timeout), no 500 (ext_proc error).
    expect(chain.envoy.stats().extProcErrors).toBe(0);
    expect(chain.envoy.stats().localReplies['message_timeout'] ?? 0).toBe(0);
    return ids;
  }

  it('the store turns read-only: routing goes on from memory, the failure is logged at error and counted in metrics, and is repaired after', async () => {
    const db = routerDb();
    const failuresBefore = await metric(FAILURES);
    db.pragma('query_only = ON');
    let ids: string[];
    try {
      ids = await queriesDuringFault();
      // Visible to monitoring: failed batch writes are counted, and what waits for the store is a gauge.
      await eventually(async () => (await metric(FAILURES)) > failuresBefore);
      expect(await metric(PENDING)).toBeGreaterThan(0);
      await eventually(() => logs.some((l) => l['level'] === ERROR && /could not persist query ownership/.test(String(l['msg']))));
      const failure = logs.find((l) => l['level'] === ERROR && /could not persist query ownership/.test(String(l['msg'])))!;
      expect(JSON.stringify(failure['err'])).toMatch(/readonly|read-only|query_only/i);
      for (const id of ids) expect(storedOwner(id)).toBeUndefined();
    } finally {
      db.pragma('query_only = OFF');
    }
    // The journal retries: what was learned during the fault reaches the store.
    await eventually(() => ids.every((id) => storedOwner(id) !== undefined), 1000);
    expect(ids.map(storedOwner)).toEqual(['trino-b', 'trino-a', 'trino-b']);
    await eventually(async () => (await metric(PENDING)) === 0);
    expect(await metric('trino_router_write_behind_dropped_total{journal="ownership"}')).toBe(0);
  });

  it('another process holds the write lock: every request through Envoy is still routed, the failure is logged, the store catches up after', async () => {
    const errorsBefore = logs.length;
    const holder = spawn(process.execPath, ['-e', `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(chain.router.store.location)});
      db.exec('BEGIN IMMEDIATE');
      process.stdout.write('locked\\n');
      process.stdin.on('data', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
    `], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let ids: string[];
    try {
      await new Promise<void>((locked, reject) => {
        holder.stdout!.once('data', () => locked());
        holder.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
      });
      ids = await queriesDuringFault();
      await eventually(() => logs.slice(errorsBefore).some((l) => l['level'] === ERROR && /could not persist query ownership/.test(String(l['msg']))));
      const failure = logs.slice(errorsBefore).find((l) => l['level'] === ERROR && /could not persist query ownership/.test(String(l['msg'])))!;
      expect(JSON.stringify(failure['err'])).toMatch(/locked|busy/i);
    } finally {
      holder.stdin!.write('release\n');
      await new Promise((done) => holder.once('exit', done));
    }
    await eventually(() => ids.every((id) => storedOwner(id) !== undefined), 1000);
    expect(ids.map(storedOwner)).toEqual(['trino-b', 'trino-a', 'trino-b']);
  });
});
