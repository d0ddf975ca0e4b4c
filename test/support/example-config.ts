/** config/example.yaml as tests (and the demo's test) start it: loopback, ephemeral ports, a temporary store. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** The example config on ephemeral loopback ports, its store in a temporary directory. */
export function exampleConfigOnEphemeralPorts(into: string): string {
  const text = readFileSync(join(REPO_ROOT, 'config/example.yaml'), 'utf8')
    .replace(/"0\.0\.0\.0:9001"/g, '"127.0.0.1:0"')
    .replace('"127.0.0.1:9002"', '"127.0.0.1:0"')
    .replace('"0.0.0.0:9090"', '"127.0.0.1:0"')
    .replace(/^dataDir: .*$/m, `dataDir: ${JSON.stringify(into)}`);
  const path = join(into, 'router.yaml');
  writeFileSync(path, text);
  return path;
}
