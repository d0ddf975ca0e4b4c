/**
 * The repository as the deployment checks see it: a read-only view of the working tree with
 * optional in-memory overrides, so a test can check a deliberately broken copy of any file
 * without touching the tree (other engineers work in it at the same time).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export class RepoFiles {
  private constructor(
    readonly root: string,
    private readonly overrides: ReadonlyMap<string, string | null>,
  ) {}

  static of(root: string = REPO_ROOT): RepoFiles {
    return new RepoFiles(root, new Map());
  }

  /** A view where `path` reads as `text` (null: the file does not exist). */
  with(changes: Record<string, string | null>): RepoFiles {
    const next = new Map(this.overrides);
    for (const [path, text] of Object.entries(changes)) next.set(normalize(path), text);
    return new RepoFiles(this.root, next);
  }

  read(path: string): string {
    const rel = normalize(path);
    const override = this.overrides.get(rel);
    if (override !== undefined) {
      if (override === null) throw new Error(`${rel}: no such file`);
      return override;
    }
    return readFileSync(join(this.root, rel), 'utf8');
  }

  isFile(path: string): boolean {
    const rel = normalize(path);
    const override = this.overrides.get(rel);
    if (override !== undefined) return override !== null;
    const full = join(this.root, rel);
    return existsSync(full) && statSync(full).isFile();
  }

  isDir(path: string): boolean {
    const rel = normalize(path);
    if (rel === '') return true;
    const full = join(this.root, rel);
    if (existsSync(full) && statSync(full).isDirectory()) return true;
    return [...this.overrides.entries()].some(([p, t]) => t !== null && p.startsWith(`${rel}/`));
  }

  exists(path: string): boolean {
    return this.isFile(path) || this.isDir(path);
  }

  /** Files directly in `dir` (relative paths), overrides included, sorted. */
  list(dir: string): string[] {
    const rel = normalize(dir);
    const names = new Set<string>();
    const full = join(this.root, rel);
    if (existsSync(full) && statSync(full).isDirectory()) {
      for (const entry of readdirSync(full, { withFileTypes: true })) {
        if (entry.isFile()) names.add(rel === '' ? entry.name : `${rel}/${entry.name}`);
      }
    }
    for (const [path, text] of this.overrides) {
      if (posix.dirname(path) === (rel === '' ? '.' : rel)) {
        if (text === null) names.delete(path);
        else names.add(path);
      }
    }
    return [...names].sort();
  }

  /** Every file under `dir`, recursively (relative paths), sorted. */
  walk(dir: string): string[] {
    const rel = normalize(dir);
    const out = new Set<string>();
    const visit = (d: string): void => {
      const full = join(this.root, d);
      if (!existsSync(full) || !statSync(full).isDirectory()) return;
      for (const entry of readdirSync(full, { withFileTypes: true })) {
        const child = d === '' ? entry.name : `${d}/${entry.name}`;
        if (entry.isDirectory()) visit(child);
        else if (entry.isFile()) out.add(child);
      }
    };
    visit(rel);
    for (const [path, text] of this.overrides) {
      if (rel === '' || path.startsWith(`${rel}/`)) {
        if (text === null) out.delete(path);
        else out.add(path);
      }
    }
    return [...out].sort();
  }
}

/** Repository-relative POSIX path without "./", "..", or a trailing slash. */
export function normalize(path: string): string {
  const joined = posix.normalize(path.replaceAll('\\', '/'));
  const trimmed = joined.replace(/^\.\//, '').replace(/\/$/, '');
  if (trimmed.startsWith('..')) throw new Error(`${path} is outside the repository`);
  return trimmed === '.' ? '' : trimmed;
}

/** `base`'s folder joined with `target` (relative to the repository root). */
export function resolveFrom(baseFile: string, target: string): string {
  return normalize(posix.join(posix.dirname(normalize(baseFile)), target));
}
