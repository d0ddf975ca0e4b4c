/**
 * parseConfig is total: random text, hostile YAML (aliases, tags, merge keys, deep nesting,
 * `__proto__`, several documents, odd keys) and random mutations of config/example.yaml, at
 * the YAML tree and at the text level, give a RouterConfig or a ConfigError with at least one
 * issue (field path, message, line inside the file), never another exception, and never
 * touch Object.prototype.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { isMap, isScalar, isSeq, parseDocument, stringify, type Document } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type RouterConfig } from '../../src/config/index.js';
import { anyText, anyUtf16, hostileString } from './arbitraries.js';

const EXAMPLE = readFileSync(resolve(import.meta.dirname, '../../config/example.yaml'), 'utf8');
const EXAMPLE_DATA = parseDocument(EXAMPLE).toJS() as Record<string, unknown>;
const SOURCE = 'router.yaml';
const ENV = { ROUTER_PREFIX_KEY: 'an-environment-secret-long-enough' };

type Outcome = { readonly ok: true; readonly config: RouterConfig } | { readonly ok: false; readonly error: ConfigError };

/** Parses and checks the outcome's contract; any other exception fails the property. */
function outcomeOf(text: string): Outcome {
  let config: RouterConfig;
  try {
    config = parseConfig(text, SOURCE, { env: ENV, baseDir: '/srv/router' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`parseConfig threw ${String(error)} instead of a ConfigError`, { cause: error });
    expect(error.file).toBe(SOURCE);
    expect(error.code).toBe('invalid_config');
    expect(error.issues.length).toBeGreaterThan(0);
    const lines = text.split(/\r\n|\r|\n/).length;
    for (const issue of error.issues) {
      expect(typeof issue.path).toBe('string');
      expect(issue.message.length).toBeGreaterThan(0);
      if (issue.line !== undefined) {
        expect(Number.isInteger(issue.line)).toBe(true);
        expect(issue.line).toBeGreaterThanOrEqual(1);
        expect(issue.line).toBeLessThanOrEqual(lines + 1);
      }
      expect(error.message).toContain(issue.message);
    }
    return { ok: false, error };
  }
  // A config that loads is fully shaped.
  expect(config.routing.backends.length).toBeGreaterThanOrEqual(0);
  expect(typeof config.routing.defaultGroup).toBe('string');
  expect(config.store.path.startsWith('/')).toBe(true);
  expect('port' in config.listen.extProc && Number.isInteger(config.listen.extProc.port)).toBe(true);
  return { ok: true, config };
}

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
afterEach(() => {
  // No input may pollute Object.prototype (a `__proto__` key in YAML, say).
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
});

describe('parseConfig on the example', () => {
  it('loads the example itself', () => {
    expect(outcomeOf(EXAMPLE).ok).toBe(true);
  });
});

describe('parseConfig on random text', () => {
  const yamlish = fc.string({
    unit: fc.constantFrom('a', 'b', ':', ' ', '\n', '-', '[', ']', '{', '}', ',', '"', "'", '&', '*', '!', '#', '?', '|', '>', '%', '@', '`', '\t', '0', '~', '<', '\ufeff', '\0'),
    maxLength: 120,
  });
  it('any text is a config or a ConfigError', () => {
    fc.assert(fc.property(fc.oneof(hostileString(200), yamlish, anyUtf16(200)), (text) => void outcomeOf(text)), { numRuns: 500 });
  });

  it('any data written as YAML, at the top or under a real section, is a config or a ConfigError', () => {
    const data = fc.anything({ maxDepth: 4, withNullPrototype: true, withBigInt: false, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true });
    fc.assert(
      fc.property(data, fc.constantFrom('', 'routing', 'backends', 'groups', 'rules', 'listen', 'monitor', 'store', 'admin'), (value, section) => {
        let text: unknown;
        try {
          text = stringify(section === '' ? value : { ...EXAMPLE_DATA, [section]: value });
        } catch {
          return; // the YAML library cannot write this value; nothing to feed
        }
        if (typeof text !== 'string') return; // stringify(undefined) writes nothing
        outcomeOf(text);
      }),
      { numRuns: 100 },
    );
  });
});

/** Constructs a YAML parser must survive; each is fed alone and spliced into the example. */
const HOSTILE_YAML: readonly string[] = [
  // alias expansion bombs
  `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`,
  'a: &a\n  b: *a\n',
  'a: &a [*a]\n',
  'routing: &r { defaultGroup: *r }\n',
  'a: *undefined_anchor\n',
  // an alias chain: no textual nesting, but each alias nests the converted data one level deeper
  ['a0: &a0 [x]', ...Array.from({ length: 3000 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}]`)].join('\n'),
  // tags
  'a: !!js/function "function () { return 1 }"\n',
  'a: !!binary aGVsbG8=\n',
  'a: !!set { x, y }\n',
  'a: !!omap [ x: 1, y: 2 ]\n',
  'a: !!timestamp 2001-12-14t21:59:43.10-05:00\n',
  'a: !custom x\n',
  'a: !<tag:yaml.org,2002:str> x\n',
  'a: !!int 0x_zz\n',
  'a: !!float .nan\n',
  'a: !!map [1, 2]\n',
  // merge keys and prototype keys
  'base: &base { name: x }\nbackends: [{ <<: *base, url: y }]\n',
  '__proto__: { polluted: true }\n',
  'routing: { __proto__: { polluted: true }, defaultGroup: adhoc }\n',
  'constructor: { prototype: { polluted: true } }\n',
  'backends:\n  - __proto__: { polluted: true }\n    name: a\n    url: b\n',
  // documents and directives
  'a: 1\n---\nb: 2\n',
  '--- |\n  text\n',
  '%YAML 1.1\n---\na: yes\n',
  '%TAG ! tag:evil.example,2000:\n---\na: !x y\n',
  '%YAML 9.9\n---\na: 1\n',
  '...\n',
  // odd keys
  '? [a, b]\n: c\n',
  '{[1, 2]: x}\n',
  '? { a: b }\n: c\n',
  '1: a\nnull: b\ntrue: c\n~: d\n',
  '"": empty\n',
  'routing: { defaultGroup: adhoc, defaultGroup: other }\n',
  // numbers and scalars
  'listen: { extProc: 1e400 }\n',
  'monitor: { intervalSeconds: .inf, timeoutMs: -.inf, failureThreshold: .nan }\n',
  'routing: { queryIds: { maxEntries: 9007199254740993 } }\n',
  'backends: [{ name: a, url: b, maxLoad: 0x7fffffffffffffffff }]\n',
  // text-level oddities
  '\ufeffrouting: { defaultGroup: x }\n',
  'a: "\\ud800"\n',
  'a: "\0"\n',
  'a:\tb\n',
  'a: b\r\nc: d\r',
  `a: ${'x'.repeat(100_000)}\n`,
  `${'a'.repeat(2000)}: 1\n`,
  Array.from({ length: 2000 }, (_, i) => `k${i}: ${i}`).join('\n'),
  'rules:\n' + Array.from({ length: 50 }, (_, i) => `  - { name: r${i}, group: adhoc, match: { user: { regex: "(a+)+$" } } }`).join('\n') + '\n',
  'rules: [{ name: r, group: adhoc, match: { user: { regex: "' + '(?:'.repeat(100) + ')'.repeat(100) + '" } } }]\n',
  // lone CR line breaks carrying block nesting
  Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i % 300)}k:`).join('\r') + ' 1\r',
  // deep nesting, flow and block, at sizes that exhaust the parser's stack
  ...[64, 200, 1000, 5000, 20_000, 100_000].flatMap((depth) => [
    `a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`,
    `a: ${'{b: '.repeat(depth)}1${'}'.repeat(depth)}\n`,
    `${'- '.repeat(depth)}x\n`,
  ]),
  ...[64, 200, 1500].map((depth) => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n'),
];

describe('parseConfig on hostile YAML', () => {
  it('each hostile construct alone is a ConfigError', () => {
    for (const text of HOSTILE_YAML) {
      const outcome = outcomeOf(text);
      expect(outcome.ok, text.slice(0, 80)).toBe(false);
    }
  });

  it('each hostile construct spliced into the example anywhere is a config or a ConfigError', () => {
    const lines = EXAMPLE.split('\n');
    fc.assert(
      fc.property(fc.constantFrom(...HOSTILE_YAML.filter((t) => t.length < 50_000)), fc.nat(lines.length), fc.nat(8), (hostile, at, indent) => {
        const spliced = [...lines.slice(0, at), ...hostile.split('\n').map((l) => ' '.repeat(indent) + l), ...lines.slice(at)].join('\n');
        outcomeOf(spliced);
        outcomeOf(`${EXAMPLE}\n${hostile}`);
      }),
      { numRuns: 60 },
    );
  });

  it('thousands of keys indented under a scalar (the parser recurses once per line) are a ConfigError', () => {
    // From a deeper caller this recursion overflowed inside the YAML parser and RangeError
    // escaped parseConfig (found by the splice property above); readYaml now catches it.
    const text = ['store:', '  path: null', ...Array.from({ length: 5000 }, (_, i) => `   k${i}: ${i}`), '  seed: if-empty'].join('\n');
    expect(outcomeOf(text).ok).toBe(false);
  });

  it('deep nesting is refused after any earlier parse (the parser must not reach its stack limit)', () => {
    // The order matters for V8: a regular expression first compiled near the stack limit aborts
    // the whole process instead of throwing, so warm-up parses come first.
    for (const depth of [100, 1000, 5000, 1000, 50_000, 5000]) {
      expect(outcomeOf(`a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`).ok).toBe(false);
      expect(outcomeOf(`backends: [${'{a: '.repeat(depth)}1${'}'.repeat(depth)}]\n`).ok).toBe(false);
    }
  });
});

/** Paths of every node in a YAML document (map keys and sequence indexes). */
function nodePaths(doc: Document): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const next = [...path, String(pair.key.value)];
        out.push(next);
        walk(pair.value, next);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const next = [...path, i];
        out.push(next);
        walk(item, next);
      });
    }
  };
  walk(doc.contents, []);
  return out;
}

const EXAMPLE_PATHS = nodePaths(parseDocument(EXAMPLE));

const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  hostileString(20),
  fc.constantFrom(null, true, 0, -1, 1.5, 65536, 1e300, '', ' ', '0.0.0.0:99999', '[::]:0', 'http://', 'round_robin', 'weighted', 'etl', 'adhoc', 'trino-a', 'trino-c', '(', '* * *', 'Mars/Olympus', [], {}, ['trino-a'], { containsAny: [] }, { regex: '(' }, { exact: 'x', regex: 'y' }),
  anyText(10),
);

type TreeMutation =
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'set'; readonly at: number; readonly value: unknown }
  | { readonly op: 'rename'; readonly at: number; readonly name: string }
  | { readonly op: 'add'; readonly at: number; readonly name: string; readonly value: unknown }
  | { readonly op: 'copy'; readonly at: number; readonly to: number };

const treeMutation: fc.Arbitrary<TreeMutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: replacement }),
  fc.record({ op: fc.constant('rename' as const), at: fc.nat(), name: fc.oneof(fc.constantFrom('name', 'backend', 'Backends', 'url ', '__proto__', 'weight', 'extproc', ''), anyText(8)) }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), name: fc.oneof(fc.constantFrom('name', 'enabled', 'fallback', 'schedules', 'secretEnv', 'tokenEnv', '__proto__'), anyText(8)), value: replacement }),
  fc.record({ op: fc.constant('copy' as const), at: fc.nat(), to: fc.nat() }),
);

function mutateTree(mutations: readonly TreeMutation[]): string {
  const doc = parseDocument(EXAMPLE);
  for (const m of mutations) {
    const paths = nodePaths(doc);
    if (paths.length === 0) break;
    const path = paths[m.at % paths.length]!;
    const parent = path.slice(0, -1);
    const last = path.at(-1)!;
    switch (m.op) {
      case 'delete':
        doc.deleteIn(path);
        break;
      case 'set':
        doc.setIn(path, doc.createNode(m.value));
        break;
      case 'rename': {
        if (typeof last !== 'string') break;
        const value: unknown = doc.getIn(path, true);
        doc.deleteIn(path);
        doc.setIn([...parent, m.name], value ?? null);
        break;
      }
      case 'add': {
        const target = doc.getIn(path, true);
        if (isMap(target)) target.set(m.name, doc.createNode(m.value));
        else if (isSeq(target)) target.add(doc.createNode(m.value));
        break;
      }
      case 'copy': {
        const source: unknown = doc.getIn(paths[m.to % paths.length]!, true);
        doc.setIn(path, isScalar(source) || isMap(source) || isSeq(source) ? source.clone() : source);
        break;
      }
    }
  }
  return String(doc);
}

type TextMutation = { readonly op: 'cut' | 'insert' | 'dupLine' | 'swapLines' | 'indent'; readonly a: number; readonly b: number; readonly text: string };

const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  op: fc.constantFrom('cut' as const, 'insert' as const, 'dupLine' as const, 'swapLines' as const, 'indent' as const),
  a: fc.nat(),
  b: fc.nat(40),
  text: fc.oneof(hostileString(10), fc.constantFrom(':', '- ', '\n', '  ', '[', '{', '&a ', '*a', '!!str ', '#', '"', "'", '|\n', '>-\n', '\t')),
});

function mutateText(text: string, m: TextMutation): string {
  const lines = text.split('\n');
  switch (m.op) {
    case 'cut': {
      const at = m.a % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.b);
    }
    case 'insert': {
      const at = m.a % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'dupLine': {
      const i = m.a % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'swapLines': {
      const i = m.a % lines.length;
      const j = (m.a + m.b) % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    case 'indent': {
      const i = m.a % lines.length;
      lines[i] = m.b % 2 === 0 ? ' '.repeat(m.b % 7) + lines[i] : lines[i]!.trimStart();
      return lines.join('\n');
    }
  }
}

describe('parseConfig on mutations of config/example.yaml', () => {
  it(`tree mutations (delete, set, rename, add, copy) over its ${EXAMPLE_PATHS.length} nodes`, () => {
    fc.assert(
      fc.property(fc.array(treeMutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const text = mutateTree(mutations);
        const outcome = outcomeOf(text);
        if (!outcome.ok) {
          // A problem in a field that exists in the text is pinned to a line.
          expect(outcome.error.issues.some((i) => i.line !== undefined)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('text mutations (cut, insert, duplicate, swap, re-indent lines)', () => {
    fc.assert(
      fc.property(fc.array(textMutation, { minLength: 1, maxLength: 5 }), (mutations) => {
        outcomeOf(mutations.reduce(mutateText, EXAMPLE));
      }),
      { numRuns: 150 },
    );
  });

  it('a mutation that only changes a backend url to another valid URL keeps the config valid and carries the URL', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.nat(1), (url, which) => {
        const doc = parseDocument(EXAMPLE);
        doc.setIn(['backends', which, 'url'], url);
        const outcome = outcomeOf(String(doc));
        if (!outcome.ok) throw outcome.error;
        expect(outcome.config.routing.backends[which]!.url).toBe(url);
      }),
      { numRuns: 50 },
    );
  });
});
