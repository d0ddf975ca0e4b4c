/**
 * Property tests: hostile input never makes a parser throw, encodings round-trip, and query
 * ids are recognized exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formUrlDecode, formUrlEncode } from '../../../src/trino/form-url-codec.js';
import { isTrinoHeaderError, parseTrinoHeaders, type HeaderList } from '../../../src/trino/headers.js';
import { classifyTrinoPath } from '../../../src/trino/paths.js';
import { encodePropertyList } from '../../../src/trino/property-list.js';
import { COORDINATOR_ID_ALPHABET, coordinatorIdOf, isQueryId, parseQueryId, type QueryIdParts } from '../../../src/trino/query-id.js';
import { parseQueryResultsHead } from '../../../src/trino/query-results.js';
import { readTransactionHeaders } from '../../../src/trino/response-headers.js';

const RUNS = { numRuns: 500 };

/** Strings rich in the characters the parsers treat specially. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom(',', '=', '%', '+', ' ', '\t', 'a', 'F', '0', '9', 'é', '"', '\\', '{', '}', '[', ']', ':', '/', '?', '.', '_'), maxLength: 80 }),
);

const knownSuffixes = [
  'user', 'original-user', 'source', 'catalog', 'schema', 'path', 'time-zone', 'language', 'trace-token', 'client-info',
  'client-tags', 'client-capabilities', 'transaction-id', 'query-data-encoding', 'session', 'role', 'extra-credential',
  'prepared-statement', 'resource-estimate', 'started-transaction-id', 'clear-transaction-id',
];
const headerName = fc.oneof(
  fc.constantFrom(...knownSuffixes.map((s) => `x-trino-${s}`)),
  fc.constantFrom(...knownSuffixes.map((s) => `x-presto-${s}`)),
  fc.constantFrom('authorization', ':path', 'x-', 'x', '', 'x-prest', 'x-trino-'),
  fc.string({ maxLength: 20 }),
);
const authorizationValue = fc.oneof(
  hostileString.map((s) => `Basic ${s}`),
  hostileString.map((s) => `Bearer ${s}`),
  fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
  fc.jsonValue().map((v) => `Bearer e30.${Buffer.from(JSON.stringify(v) ?? '').toString('base64url')}.sig`),
  fc.uint8Array({ maxLength: 40 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`),
);
const headerList: fc.Arbitrary<HeaderList> = fc.array(
  fc.oneof(
    fc.tuple(headerName, hostileString),
    fc.tuple(fc.constant('authorization'), authorizationValue),
  ),
  { maxLength: 12 },
);

describe('no parser throws on hostile input', () => {
  it('parseTrinoHeaders', () => {
    fc.assert(
      fc.property(headerList, fc.option(hostileString, { nil: undefined }), (headers, claim) => {
        const result = parseTrinoHeaders(headers, claim === undefined ? {} : { jwtUserClaim: claim });
        if (!isTrinoHeaderError(result)) {
          expect(result.user === undefined || result.user.length > 0).toBe(true);
          for (const tag of result.clientTags) expect(tag).toBe(tag.trim());
        }
      }),
      RUNS,
    );
  });

  it('readTransactionHeaders', () => {
    fc.assert(fc.property(headerList, (headers) => void readTransactionHeaders(headers)), RUNS);
  });

  it('classifyTrinoPath, and every query id it returns is valid', () => {
    const prefix = fc.constantFrom(
      '/v1/statement', '/v1/statement/', '/v1/statement/queued/', '/v1/statement/executing/',
      '/v1/statement/executing/partialCancel/', '/v1/query/', '/ui/query.html?', '/ui/api/query/', '/v1/spooled/download/',
      '/v1/spooled/ack/', '/v1/spooled/', '/v1/info', '/', '',
    );
    const idish = fc.oneof(validQueryId.map((p) => format(p)), hostileString);
    const path = fc.tuple(prefix, fc.array(idish, { maxLength: 5 })).map(([p, parts]) => p + parts.join('/'));
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', ''), fc.oneof(path, hostileString), (method, p) => {
        const result = classifyTrinoPath(method, p);
        if ('queryId' in result) expect(isQueryId(result.queryId)).toBe(true);
      }),
      RUNS,
    );
  });

  it('query id functions', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const valid = isQueryId(s);
        expect(parseQueryId(s) !== undefined).toBe(valid);
        expect(coordinatorIdOf(s) !== undefined).toBe(valid);
      }),
      RUNS,
    );
  });

  it('formUrlDecode', () => {
    fc.assert(fc.property(hostileString, (s) => void formUrlDecode(s)), RUNS);
  });

  it('parseQueryResultsHead on text and on bytes', () => {
    fc.assert(fc.property(hostileString, (s) => void parseQueryResultsHead(s)), RUNS);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void parseQueryResultsHead(b)), RUNS);
  });
});

/** The string fields JSON.parse sees: what parseQueryResultsHead must agree with. */
function expectedHead(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const key of ['id', 'infoUri', 'nextUri']) {
    const v = (value as Record<string, unknown>)[key];
    if (Object.hasOwn(value, key) && typeof v === 'string') out[key] = v;
  }
  return out;
}

function definedFields(head: object | undefined): Record<string, unknown> | undefined {
  if (head === undefined) return undefined;
  return Object.fromEntries(Object.entries(head).filter(([, v]) => v !== undefined));
}

describe('parseQueryResultsHead agrees with JSON.parse', () => {
  const wanted = fc.oneof(fc.string({ unit: 'binary' }), fc.jsonValue());
  const queryResultsLike = fc.record(
    {
      id: wanted,
      infoUri: wanted,
      nextUri: wanted,
      columns: fc.jsonValue(),
      data: fc.jsonValue(),
      stats: fc.jsonValue(),
      other: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const document = fc.oneof(queryResultsLike.chain((r) => fc.shuffledSubarray(Object.entries(r), { minLength: Object.keys(r).length }).map(Object.fromEntries)), fc.jsonValue());

  it('on complete documents, text and UTF-8 bytes, compact and indented', () => {
    fc.assert(
      fc.property(document, fc.boolean(), (doc, indent) => {
        const json = JSON.stringify(doc, undefined, indent ? 2 : undefined);
        const expected = expectedHead(JSON.parse(json));
        expect(definedFields(parseQueryResultsHead(json))).toEqual(expected);
        expect(definedFields(parseQueryResultsHead(new TextEncoder().encode(json)))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('on a document cut anywhere, the fields found are the document’s', () => {
    fc.assert(
      fc.property(queryResultsLike, fc.nat(), (doc, cutAt) => {
        const json = JSON.stringify(doc);
        const full = expectedHead(doc)!;
        const head = definedFields(parseQueryResultsHead(json.slice(0, cutAt % (json.length + 1))));
        if (head === undefined) return;
        for (const [key, value] of Object.entries(head)) expect(full[key]).toBe(value);
      }),
      RUNS,
    );
  });
});

describe('round trips', () => {
  it('formUrlDecode(formUrlEncode(s)) === s', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(formUrlDecode(formUrlEncode(s))).toBe(s);
      }), RUNS);
  });

  it('formUrlDecode(encodeURIComponent(s)) === s when s has no +', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((s) => !s.includes('+')), (s) => {
        expect(formUrlDecode(encodeURIComponent(s))).toBe(s);
      }),
      RUNS,
    );
  });

  const propertyName = fc.stringMatching(/^[a-z][a-z0-9_]{0,15}(\.[a-z][a-z0-9_]{0,15})?$/);
  const sessionProperties = fc.dictionary(propertyName, fc.string({ unit: 'binary', maxLength: 30 }), { maxKeys: 20 });

  it('session properties encoded by a client, over one or several header lines, parse back', () => {
    fc.assert(
      fc.property(sessionProperties, fc.integer({ min: 1, max: 4 }), fc.constantFrom('x-trino-session', 'x-presto-session'), (props, lines, name) => {
        const entries = Object.entries(props);
        const headers: [string, string][] = [];
        const perLine = Math.ceil(entries.length / lines) || 1;
        for (let i = 0; i < entries.length; i += perLine) headers.push([name, encodePropertyList(entries.slice(i, i + perLine))]);
        const result = parseTrinoHeaders(headers);
        if (isTrinoHeaderError(result)) throw result;
        expect(Object.fromEntries(result.sessionProperties)).toEqual(props);
      }),
      RUNS,
    );
  });

  it('prepared statements with any names and SQL parse back', () => {
    const statements = fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 40 }), { maxKeys: 5 });
    fc.assert(
      fc.property(statements, (stmts) => {
        const result = parseTrinoHeaders([['x-trino-prepared-statement', encodePropertyList(Object.entries(stmts), true)]]);
        if (isTrinoHeaderError(result)) throw result;
        expect(Object.fromEntries(result.preparedStatements)).toEqual(stmts);
      }),
      RUNS,
    );
  });

  it('client tags: trimmed, non-empty, unique, in order', () => {
    const tag = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', '-', '_'), maxLength: 4 });
    fc.assert(
      fc.property(fc.array(tag, { maxLength: 30 }), (tags) => {
        const result = parseTrinoHeaders([['x-trino-client-tags', tags.join(',')]]);
        if (isTrinoHeaderError(result)) throw result;
        expect(result.clientTags).toEqual([...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))]);
      }),
      RUNS,
    );
  });
});

// --- query ids ---------------------------------------------------------------------------

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function format(parts: Omit<QueryIdParts, 'queryId'>): string {
  const d = new Date(parts.createdAtMs);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}_` +
    `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}_` +
    `${pad(parts.counter, 5)}_${parts.coordinatorId}`
  );
}

const validQueryId = fc.record({
  createdAtMs: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => Math.floor(d.getTime() / 1000) * 1000),
  counter: fc.integer({ min: 0, max: 99_999 }),
  coordinatorId: fc.string({ unit: fc.constantFrom(...COORDINATOR_ID_ALPHABET), minLength: 5, maxLength: 5 }),
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.constantFrom('0', '1', '9', 'l', 'o', 'a', '_', 'Z', ' ') }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), char: fc.constant('') }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom('0', 'a', '_') }),
);

function mutate(id: string, m: { kind: 'replace' | 'delete' | 'insert'; at: number; char: string }): string {
  const at = m.at % (id.length + (m.kind === 'insert' ? 1 : 0));
  if (m.kind === 'insert') return id.slice(0, at) + m.char + id.slice(at);
  if (m.kind === 'delete') return id.slice(0, at) + id.slice(at + 1);
  return id.slice(0, at) + m.char + id.slice(at + 1);
}

describe('query id recognition', () => {
  it('accepts every id a coordinator can make, and parses it back', () => {
    fc.assert(
      fc.property(validQueryId, (parts) => {
        const id = format(parts);
        expect(isQueryId(id)).toBe(true);
        expect(parseQueryId(id)).toEqual({ queryId: id, ...parts });
        expect(coordinatorIdOf(id)).toBe(parts.coordinatorId);
        expect(classifyTrinoPath('GET', `/v1/query/${id}`)).toEqual({ kind: 'query', queryId: id });
      }),
      RUNS,
    );
  });

  it('a mutated id is rejected, or is itself a well-formed id parsed consistently', () => {
    fc.assert(
      fc.property(validQueryId, mutation, (parts, m) => {
        const mutated = mutate(format(parts), m);
        const parsed = parseQueryId(mutated);
        if (parsed === undefined) {
          expect(isQueryId(mutated)).toBe(false);
          expect(coordinatorIdOf(mutated)).toBeUndefined();
          expect(classifyTrinoPath('GET', `/v1/query/${mutated}`).kind).not.toBe('query');
          return;
        }
        expect(format(parsed)).toBe(mutated);
        expect(coordinatorIdOf(mutated)).toBe(mutated.slice(22));
      }),
      { numRuns: 2000 },
    );
  });
});
