#!/usr/bin/env node
/**
 * Builds the web console (src/console/web) into dist/console: app.js (esbuild bundle, no
 * source maps, nothing loaded from elsewhere at run time), app.css and index.html. Run by
 * `npm run build`; the router serves the result (src/console/assets.ts).
 */
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const web = join(root, 'src/console/web');

export async function buildConsole(outDir = join(root, 'dist/console')) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(web, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outfile: join(outDir, 'app.js'),
    logLevel: 'warning',
  });
  await copyFile(join(web, 'style.css'), join(outDir, 'app.css'));
  await copyFile(join(web, 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] === import.meta.filename) {
  const out = await buildConsole();
  console.log(`console built in ${out}`);
}
