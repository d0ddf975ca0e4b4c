import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/index.js';
import { storeContract } from './store-contract.js';

storeContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ter-contract-'));
  return {
    open: async (options) => openSqliteStore(join(dir, 'router.db'), options),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
