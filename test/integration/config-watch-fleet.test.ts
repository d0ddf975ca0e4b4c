/**
 * A fleet on PostgreSQL, every replica watching one config file (one ConfigMap mounted in each
 * pod): an edit is applied once, as one revision and one history row, whichever replica wins.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ConfigFile } from '../../src/config-watch/config-file.js';
import { createLogger } from '../../src/observability/logger.js';
import { openPostgresStore } from '../../src/store/index.js';
import { freshDatabase, postgresSettings } from '../support/postgres-databases.js';

const text = (backends: string[]): string => `
listen: { extProc: "127.0.0.1:0", admin: null, metrics: null }
logging: { level: silent }
monitor: null
store: { seed: watch }
routing: { defaultGroup: adhoc }
backends:
${backends.map((name, i) => `  - { name: ${name}, url: "http://127.0.0.1:${18081 + i}" }`).join('\n')}
groups:
  - { name: adhoc, backends: [${backends.join(', ')}] }
`;

describe('config file watched by every replica of a PostgreSQL fleet', () => {
  it('one edit, one revision, one history row; the replicas agree', async () => {
    const database = await freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'ter-watch-fleet-'));
    const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore(postgresSettings(database.url))));
    const files: ConfigFile[] = [];
    try {
      const path = join(dir, 'router.yaml');
      writeFileSync(path, text(['trino-a', 'trino-b']));
      const running = parseConfig(text(['trino-a', 'trino-b']), path, { env: {}, baseDir: dir });
      for (const store of stores) {
        files.push(await ConfigFile.start({
          path, running, routingStore: store.routing, refreshRouting: async () => {}, env: {}, logger: createLogger('silent'), debounceMs: 20, pollMs: 100,
        }));
      }
      const started = await stores[0]!.routing.revision();
      expect(files.map((f) => f.status().lastAppliedRevision)).toEqual([started, started, started]);

      writeFileSync(path, text(['trino-a', 'trino-b', 'trino-c']));
      await vi.waitFor(() => expect(files.map((f) => f.status().lastAppliedRevision)).toEqual([started + 1, started + 1, started + 1]), { timeout: 10_000 });
      expect(await stores[1]!.routing.revision()).toBe(started + 1);
      const history = await stores[2]!.configHistory.list({ limit: 10 });
      expect(history.changes.map((c) => [c.revision, c.method])).toEqual([[started + 1, 'config-file/watch'], [started, 'config-file/watch']]);
    } finally {
      for (const file of files) file.close();
      for (const store of stores) await store.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
