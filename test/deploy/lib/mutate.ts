/**
 * Deliberately broken copies of shipped files, made in memory (RepoFiles overrides), so each
 * test can show that a check fails on a specific mistake.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { isRecord, type PathSegment } from './issues.js';
import type { RepoFiles } from './repo-files.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Docs = any[];

export function getAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const segment of path) {
    if (Array.isArray(cur) && typeof segment === 'number') cur = cur[segment];
    else if (isRecord(cur)) cur = cur[String(segment)];
    else return undefined;
  }
  return cur;
}

export function setAt(root: unknown, path: readonly PathSegment[], value: unknown): void {
  if (path.length === 0) throw new Error('cannot replace the root');
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1] as PathSegment;
  if (Array.isArray(parent) && typeof last === 'number') parent[last] = value;
  else if (isRecord(parent)) {
    if (value === undefined) delete parent[String(last)];
    else parent[String(last)] = value;
  } else throw new Error(`no container at ${path.slice(0, -1).join('.')}`);
}

/** A view where the YAML file `path` (every document) was edited by `edit`. */
export function editYaml(files: RepoFiles, path: string, edit: (docs: Docs) => void): RepoFiles {
  const docs: Docs = parseAllDocuments(files.read(path)).map((d) => d.toJS());
  const before = JSON.stringify(docs);
  edit(docs);
  if (JSON.stringify(docs) === before) throw new Error(`the edit of ${path} changed nothing`);
  return files.with({ [path]: docs.map((d) => stringify(d)).join('---\n') });
}

/** A view where the text of `path` was edited by `edit` (which must change it). */
export function editText(files: RepoFiles, path: string, edit: (text: string) => string): RepoFiles {
  const before = files.read(path);
  const after = edit(before);
  if (after === before) throw new Error(`the edit of ${path} changed nothing`);
  return files.with({ [path]: after });
}

/** Replaces `from` (which must occur) with `to`. */
export function replaceOnce(from: string | RegExp, to: string): (text: string) => string {
  return (text) => {
    if (typeof from === 'string' ? !text.includes(from) : !from.test(text)) throw new Error(`${String(from)} not found`);
    return text.replace(from, to);
  };
}

/** The first document of `kind` (and `name`, if given). */
export function docOf(docs: Docs, kind: string, name?: string): any {
  const found = docs.find((d) => isRecord(d) && d.kind === kind && (name === undefined || (isRecord(d.metadata) && d.metadata.name === name)));
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ''}`);
  return found;
}
