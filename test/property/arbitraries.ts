/**
 * Generators shared by the property suites: hostile text, Trino-shaped ids, and the canonical
 * formatting of query ids (the reference the parsers are checked against).
 */
import fc from 'fast-check';
import { COORDINATOR_ID_ALPHABET } from '../../src/trino/query-id.js';

/** Fixed seed per suite run is not needed: failures print their seed and path for replay. */
export const RUNS = { numRuns: 300 } as const;
export const MANY_RUNS = { numRuns: 1000 } as const;
export const FEW_RUNS = { numRuns: 100 } as const;

/** Characters the header, list, JSON and path parsers treat specially, plus a few ordinary ones. */
export const SPECIAL_CHARS = [
  ',', '=', '%', '+', ' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\ufeff', '\u3000', 'a', 'Z', 'F', '0', '9', 'é', '€', '😀',
  '"', '\\', '{', '}', '[', ']', ':', '/', '?', '#', '.', '_', '-', '\0', '\u0001', '\ud800', '\udfff',
] as const;

/** Any UTF-16 string, lone surrogates included (what a JS string can hold). */
export const anyUtf16 = (maxLength = 60): fc.Arbitrary<string> => fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });

/** Well-formed Unicode text (code points, surrogate pairs intact). */
export const anyText = (maxLength = 60): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength });

/** Strings dense in special characters, or arbitrary UTF-16. */
export const hostileString = (maxLength = 60): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS), maxLength }),
    anyUtf16(maxLength),
    anyText(maxLength),
  );

export const HEX = '0123456789ABCDEFabcdef';

/** Text built from pieces a URL-form decoder must handle: literals, `+`, valid and broken escapes. */
export const formEncodedish: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '0', '-', '.', '*', '_', ' ', 'é', '😀'), maxLength: 4 }) },
      { weight: 2, arbitrary: fc.constant('+') },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`) },
      { weight: 3, arbitrary: anyText(3).map((s) => encodeURIComponent(s)) },
      { weight: 1, arbitrary: fc.constantFrom('%', '%4', '%G1', '%+1', '%-1', '%%', '%é1', '%0') },
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(''));

export const coordinatorId: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom(...COORDINATOR_ID_ALPHABET), minLength: 5, maxLength: 5 });

export interface QueryIdSpec {
  readonly createdAtMs: number;
  readonly counter: number;
  readonly coordinatorId: string;
}

/** Every id a coordinator can make, from year 0 (Date.UTC's 1900 quirk) to 9999. */
export const queryIdSpec: fc.Arbitrary<QueryIdSpec> = fc.record({
  createdAtMs: fc
    .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
    .map((d) => Math.floor(d.getTime() / 1000) * 1000),
  counter: fc.integer({ min: 0, max: 99_999 }),
  coordinatorId,
});

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** What Trino's QueryIdGenerator prints for these parts. */
export function formatQueryId(spec: QueryIdSpec): string {
  const d = new Date(spec.createdAtMs);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}_` +
    `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}_` +
    `${pad(spec.counter, 5)}_${spec.coordinatorId}`
  );
}

export const queryId: fc.Arbitrary<string> = queryIdSpec.map(formatQueryId);

/** Trino's slug: "y" + 40 hex digits; older servers used other letters. */
export const slug: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 }).map((h) => `y${h}`),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/),
);

/** A token as Trino counts them (exact as a JS number). */
export const token: fc.Arbitrary<number> = fc.oneof(fc.nat(1000), fc.integer({ min: 0, max: 999_999_999_999_999 }));

/** A query string as clients append it (`maxWait=...`), possibly empty. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.constantFrom('maxWait=1s', 'targetResultSize=16MB', 'a=b&c=d', '?', '/x/y', '20240101_000000_00000_aaaaa'),
  fc.string({ unit: fc.constantFrom('a', '=', '&', '/', '?', '%', '2', '_'), maxLength: 20 }),
);

/** Replaces, deletes or inserts one character (index taken modulo the length). */
export type Edit = { readonly kind: 'replace' | 'delete' | 'insert'; readonly at: number; readonly char: string };

export const edit = (chars: fc.Arbitrary<string>): fc.Arbitrary<Edit> =>
  fc.record({ kind: fc.constantFrom('replace' as const, 'delete' as const, 'insert' as const), at: fc.nat(), char: chars });

export function applyEdit(s: string, e: Edit): string {
  if (e.kind === 'insert') {
    const at = e.at % (s.length + 1);
    return s.slice(0, at) + e.char + s.slice(at);
  }
  if (s.length === 0) return s;
  const at = e.at % s.length;
  return s.slice(0, at) + (e.kind === 'replace' ? e.char : '') + s.slice(at + 1);
}
