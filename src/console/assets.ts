/**
 * The console's built front end (index.html, app.js, app.css: `npm run build` writes them to
 * dist/console), read into memory once at start: serving them does no disk I/O.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** dist/console of the checkout or install: from src/console (tsx) and dist/src/console (built) alike. */
export function defaultAssetsDir(): string {
  const here = import.meta.dirname;
  return here.includes(`${join('dist', 'src')}`) ? resolve(here, '../../console') : resolve(here, '../../dist/console');
}

/** Every file of the folder by URL path (`/app.js`); empty when the folder is missing (not built). */
export async function loadAssets(dir: string): Promise<ReadonlyMap<string, Asset>> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return assets;
  }
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    assets.set(`/${name}`, { body: await readFile(join(dir, name)), contentType });
  }
  return assets;
}
