/**
 * The router configuration every ext_proc scenario runs: config/example.yaml's routing (its
 * backends, groups and rules) with the bench's own listeners, store and prefix key. trino-b
 * is switched to `prefixRouting: false` so both follow-up mechanisms occur as in production:
 * trino-a's queries come back through signed prefixes, trino-b's by query id.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const PREFIX_KEY = { id: 'bench1', secret: 'bench-prefix-key-0123456789abcdefghij' } as const;

/** config/example.yaml of the checkout this file runs from (bench/ with tsx, dist/bench/ compiled), else of the working directory. */
export function exampleConfigPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'config', 'example.yaml');
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
  }
  return join(process.cwd(), 'config', 'example.yaml');
}

/**
 * `extProc`: where the router listens (loopback TCP by default, or `unix:/path`); `store`: the
 * config's store mapping (default: SQLite in `dir`).
 */
export function writeBenchConfig(dir: string, extProc = '127.0.0.1:0', file = 'router.yaml', store: Record<string, unknown> = { path: null, seed: 'overwrite' }): string {
  const example = parse(readFileSync(exampleConfigPath(), 'utf8')) as Record<string, unknown>;
  const routing = example.routing as Record<string, unknown>;
  const backends = (example.backends as Record<string, unknown>[]).map((b) => (
    b.name === 'trino-b' ? { ...b, prefixRouting: false } : b
  ));
  const config = {
    ...example,
    listen: { extProc, extAuthz: null, admin: null, metrics: extProc.startsWith('unix:') ? null : '127.0.0.1:0' },
    dataDir: dir,
    store,
    logging: { level: 'info' },
    // No Trino behind the bench: without a monitor every backend counts as healthy and idle.
    monitor: null,
    routing: { ...routing, prefix: { keys: [PREFIX_KEY], maxAgeHours: 24 } },
    backends,
  };
  const path = join(dir, file);
  writeFileSync(path, stringify(config));
  return path;
}

/** The checkout's root (where package.json and config/ are). */
export function repoRoot(): string {
  return dirname(dirname(exampleConfigPath()));
}
