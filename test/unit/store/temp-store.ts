/** Temp folders for store tests, removed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openSqliteStore, type Store, type StoreOptions } from '../../../src/store/index.js';

const cleanups: (() => void | Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A fresh temp folder, deleted after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ter-store-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A SQLite store in a fresh temp folder, closed after the test. */
export function tempStore(options: StoreOptions = {}): Store {
  const store = openSqliteStore(join(tempDir(), 'nested', 'router.db'), options);
  cleanups.push(() => store.close());
  return store;
}

/** Registers extra cleanup (runs before the temp folder is removed). */
export function onCleanup(cleanup: () => void | Promise<void>): void {
  cleanups.push(cleanup);
}
