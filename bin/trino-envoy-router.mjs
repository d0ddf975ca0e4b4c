#!/usr/bin/env node
// The package's `bin` (`npx trino-envoy-router ...`): in a checkout with its dev dependencies
// (after `npm ci`) it runs the TypeScript source through tsx, so it is never older than src/;
// elsewhere (an installed package, the image) the compiled dist/src/main.js.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'main.ts');
const compiled = join(root, 'dist', 'src', 'main.js');

async function tsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined;
  }
}

const api = existsSync(source) ? await tsx() : undefined;
if (api !== undefined) {
  api.register();
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write('trino-envoy-router: not built yet: run `npm run build` (or `npm ci` for the dev dependencies)\n');
  process.exitCode = 1;
}
