/**
 * The QueryResults head scanner against JSON.parse as the reference model: on any valid JSON
 * object, written with arbitrary whitespace and arbitrary \u escapes (in keys too), the
 * fields it reads are JSON.parse's string fields; a body cut anywhere yields a subset of them;
 * byte views at any offset read the same as text; garbage never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQueryResultsHead, type QueryResultsHead } from '../../src/trino/query-results-head.js';
import { anyUtf16, hostileString, MANY_RUNS, RUNS } from './arbitraries.js';

const FIELDS = ['id', 'infoUri', 'nextUri'] as const;
const whitespace = fc.string({ unit: fc.constantFrom(' ', '\n', '\r', '\t'), maxLength: 3 });

/** A JSON string literal for `s`, each character written plainly or as a \u escape (per the mask). */
function jsonString(s: string, escapeMask: readonly boolean[]): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const forced = c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff);
    if (forced || escapeMask[i % Math.max(1, escapeMask.length)] === true) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

interface Member {
  readonly key: string;
  readonly value: unknown;
  /** Write a string value by hand (with escapes) instead of JSON.stringify. */
  readonly escapeMask: readonly boolean[];
  readonly ws: readonly [string, string, string, string];
}

const key = fc.oneof(fc.constantFrom(...FIELDS, 'columns', 'data', 'stats', 'error', 'Id', 'id ', 'nextURI', '__proto__'), anyUtf16(6));
const value = fc.oneof(
  { weight: 3, arbitrary: anyUtf16(30) },
  { weight: 1, arbitrary: fc.constantFrom('http://envoy/v1/statement/queued/x/y/1', '20260101_000000_00001_abcde', '', '\\"}{][,:') },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const member: fc.Arbitrary<Member> = fc.record({
  key,
  value,
  escapeMask: fc.array(fc.boolean(), { maxLength: 8 }),
  ws: fc.tuple(whitespace, whitespace, whitespace, whitespace),
});

/** Writes the object by hand; keys unique so the first-occurrence rule and JSON.parse agree. */
function writeObject(members: readonly Member[], outer: readonly [string, string]): string {
  const body = members
    .map((m) => {
      const v = typeof m.value === 'string' ? jsonString(m.value, m.escapeMask) : JSON.stringify(m.value);
      return `${m.ws[0]}${jsonString(m.key, m.escapeMask)}${m.ws[1]}:${m.ws[2]}${v}${m.ws[3]}`;
    })
    .join(',');
  return `${outer[0]}{${body}}${outer[1]}`;
}

const document = fc
  .tuple(fc.uniqueArray(member, { selector: (m) => m.key, maxLength: 8 }), fc.tuple(whitespace, whitespace))
  .map(([members, outer]) => writeObject(members, outer));

/** The string fields JSON.parse sees. */
function reference(json: string): QueryResultsHead | undefined {
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const out: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = Object.hasOwn(parsed, f) ? (parsed as Record<string, unknown>)[f] : undefined;
    if (typeof v === 'string') out[f] = v;
  }
  return out;
}

function defined(head: QueryResultsHead | undefined): Record<string, string> | undefined {
  if (head === undefined) return undefined;
  return Object.fromEntries(Object.entries(head).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

describe('parseQueryResultsHead agrees with JSON.parse', () => {
  it('on any valid object, with any whitespace and \\u escapes in keys and values', () => {
    fc.assert(
      fc.property(document, (json) => {
        expect(defined(parseQueryResultsHead(json))).toEqual(reference(json));
      }),
      MANY_RUNS,
    );
  });

  it('bytes at any offset inside a larger buffer read the same as the text', () => {
    fc.assert(
      fc.property(document, fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 16 }), (json, before, after) => {
        const bytes = Buffer.from(json, 'utf8');
        const backing = new Uint8Array(before.length + bytes.length + after.length);
        backing.set(before, 0);
        backing.set(bytes, before.length);
        backing.set(after, before.length + bytes.length);
        const view = backing.subarray(before.length, before.length + bytes.length);
        expect(defined(parseQueryResultsHead(view))).toEqual(reference(json));
        expect(defined(parseQueryResultsHead(Buffer.from(backing.buffer, before.length, bytes.length)))).toEqual(reference(json));
      }),
      RUNS,
    );
  });

  it('a body cut at any byte yields only fields of the whole body, each with its full value', () => {
    fc.assert(
      fc.property(document, fc.nat(), (json, at) => {
        const bytes = Buffer.from(json, 'utf8');
        const cut = bytes.subarray(0, at % (bytes.length + 1));
        const full = reference(json)!;
        const head = defined(parseQueryResultsHead(cut));
        if (head === undefined) {
          // Only a prefix that has not reached the opening brace yet says "not an object".
          expect(cut.toString('utf8').trim()).toBe('');
          return;
        }
        for (const [field, v] of Object.entries(head)) expect((full as Record<string, string>)[field]).toBe(v);
      }),
      MANY_RUNS,
    );
  });

  it('any JSON that is not an object gives undefined', () => {
    fc.assert(
      fc.property(fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)), whitespace, (v, ws) => {
        expect(parseQueryResultsHead(`${ws}${JSON.stringify(v)}`)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('with duplicate keys the first occurrence decides (Trino never writes duplicates)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), anyUtf16(10), fc.oneof(anyUtf16(10), fc.jsonValue()), (field, first, second) => {
        const json = `{${JSON.stringify(field)}:${JSON.stringify(first)},"x":1,${JSON.stringify(field)}:${JSON.stringify(second)}}`;
        expect(parseQueryResultsHead(json)?.[field]).toBe(first);
      }),
      RUNS,
    );
  });
});

describe('parseQueryResultsHead is total', () => {
  const jsonish = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ':', ',', ' ', 'i', 'd', 'u', '0', 'n', 't', 'e', '\u00ff'), maxLength: 60 });
  it('random bytes, JSON-ish text and hostile strings give undefined or string fields, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), jsonish, hostileString(60), jsonish.map((s) => `{"id":${s}`)), (body) => {
        const head = parseQueryResultsHead(body);
        if (head === undefined) return;
        for (const f of FIELDS) expect(head[f] === undefined || typeof head[f] === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
