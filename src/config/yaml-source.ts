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

/**
 * Deepest nesting accepted, counted generously (see nestingOf). A real config nests about 6
 * levels. The YAML library recurses once or more per level; near the stack limit it throws
 * RangeError from places it does not catch, and V8 can even abort the whole process (a fatal
 * "RegExpCompiler Allocation failed") when a regular expression is first compiled there. So a
 * deeper document is refused before it is parsed.
 */
const MAX_NESTING = 128;

/**
 * An upper bound on the nesting of a YAML text, with the line where it is reached: for every
 * line, its leading run of indentation and block indicators (`- `, `? `, `: `), plus the flow
 * brackets open at that point. Brackets inside quotes and comments count too: overcounting
 * only refuses absurd documents, undercounting would let the parser recurse.
 */
function nestingOf(text: string): { depth: number; line: number } {
  let worst = { depth: 0, line: 1 };
  let flow = 0;
  let line = 1;
  let lead = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      // A lone CR breaks lines in YAML too; lines are numbered by LF as LineCounter does.
      if (c === 0x0a) line++;
      lead = 0;
      atLineStart = true;
      continue;
    }
    if (atLineStart) {
      const next = text.charCodeAt(i + 1);
      const indicator = (c === 0x2d || c === 0x3f || c === 0x3a) && (Number.isNaN(next) || next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d);
      if (c === 0x20 || c === 0x09 || indicator) lead++;
      else atLineStart = false;
    }
    if (c === 0x5b || c === 0x7b) flow++;
    else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
    if (lead + flow > worst.depth) worst = { depth: lead + flow, line };
  }
  return worst;
}

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const nesting = nestingOf(text);
  if (nesting.depth > MAX_NESTING) {
    return {
      data: undefined,
      syntaxIssues: [{ path: '', line: nesting.line, message: `YAML: nested more than ${MAX_NESTING} levels deep (indentation and brackets); a router config needs far fewer` }],
      lineOf: () => undefined,
    };
  }
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    // The parser recurses per line on some malformed input (keys indented under a scalar) and
    // lets RangeError escape when the stack is short (a deep caller, the admin API).
    return { data: undefined, syntaxIssues: [{ path: '', message: `YAML: the document cannot be parsed (${(error as Error).message})` }], lineOf: () => undefined };
  }
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
