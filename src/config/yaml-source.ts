/**
 * Reads YAML text into plain data while keeping the document, so a problem found later (by
 * the schema or the cross-reference checks) can be pinned to the line of the field it names.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from './config-error.js';
import type { PathSegment } from '../routing/validate.js';
import { formatPath } from '../routing/validate.js';

export interface YamlSource {
  /** The document as plain data (undefined when the text could not be parsed). */
  readonly data: unknown;
  /** Syntax problems; when not empty, `data` must not be used. */
  readonly syntaxIssues: readonly ConfigIssue[];
  /** 1-based line of the field at `path`, or of its nearest parent present in the file. */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const lineOf = (path: readonly PathSegment[]): number | undefined => {
    const offset = offsetOf(doc, path);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  const syntaxIssues: ConfigIssue[] = doc.errors.map((error) => ({
    path: '',
    line: error.linePos?.[0].line,
    // The pretty message repeats the position and quotes the source; the first clause is enough.
    message: `YAML syntax: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
  }));
  if (syntaxIssues.length > 0) return { data: undefined, syntaxIssues, lineOf };
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }), syntaxIssues, lineOf };
  } catch (error) {
    // Unresolved aliases and alias bombs surface only when converting.
    return { data: undefined, syntaxIssues: [{ path: '', message: `YAML: ${(error as Error).message}` }], lineOf };
  }
}

/**
 * Start offset of the node at `path`. For a key that is absent, the offset of the nearest
 * parent; for the last segment of a map, the key itself when its value is missing.
 */
function offsetOf(doc: Document, path: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let best = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      const keyStart = rangeStart(pair.key);
      if (keyStart !== undefined) best = keyStart;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      break;
    }
    const start = rangeStart(node);
    if (start === undefined) break;
    best = start;
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

/** An issue at a path, with the line looked up in the source. */
export function issueAt(source: YamlSource, path: readonly PathSegment[], message: string): ConfigIssue {
  const line = source.lineOf(path);
  return line === undefined ? { path: formatPath(path), message } : { path: formatPath(path), line, message };
}
