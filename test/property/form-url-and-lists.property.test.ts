/**
 * Properties of the encodings under Trino's list headers (Session, Role, Extra-Credential,
 * Prepared-Statement, Resource-Estimate): the form-URL codec against an independent reference
 * (TextDecoder, encodeURIComponent), the comma-list scanning against String.prototype.trim and
 * split, and readPropertyLine against a naive split-based model of Trino's parser.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formUrlDecode, formUrlEncode } from '../../src/trino/form-url-codec.js';
import { pieceEnd, skipLeadingSpace, skipTrailingSpace } from '../../src/trino/list-scan.js';
import { encodePropertyList, readPropertyLine, type PropertyFailure } from '../../src/trino/property-list.js';
import { anyText, anyUtf16, formEncodedish, hostileString, MANY_RUNS, RUNS, SPECIAL_CHARS } from './arbitraries.js';

/** Java's URLDecoder, written the slow obvious way: `+` first, then each run of escapes as UTF-8. */
function referenceFormDecode(s: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) return undefined;
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  return s
    .replaceAll('+', ' ')
    .replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => decoder.decode(Uint8Array.from(run.slice(1).split('%'), (h) => parseInt(h, 16))));
}

/** Java's URLEncoder from encodeURIComponent (which escapes a superset minus `!~'()`, and space as %20). */
function referenceFormEncode(s: string): string {
  return encodeURIComponent(s)
    .replaceAll('!', '%21')
    .replaceAll('~', '%7E')
    .replaceAll("'", '%27')
    .replaceAll('(', '%28')
    .replaceAll(')', '%29')
    .replaceAll('%20', '+');
}

/** What UTF-8 encoding makes of a JS string: each lone surrogate becomes U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

describe('form-URL codec', () => {
  it('decoding agrees with the reference decoder on escape-rich input, valid or not', () => {
    fc.assert(
      fc.property(fc.oneof(formEncodedish, hostileString()), (s) => {
        expect(formUrlDecode(s)).toBe(referenceFormDecode(s));
      }),
      MANY_RUNS,
    );
  });

  it('decoding agrees with decodeURIComponent wherever that accepts the input', () => {
    fc.assert(
      fc.property(formEncodedish, (s) => {
        let expected: string;
        try {
          expected = decodeURIComponent(s.replaceAll('+', ' '));
        } catch {
          return; // malformed UTF-8 or escape: covered by the reference decoder above
        }
        expect(formUrlDecode(s)).toBe(expected);
      }),
      MANY_RUNS,
    );
  });

  it('encoding is Java URLEncoder: same output as the encodeURIComponent-based reference', () => {
    fc.assert(
      fc.property(anyText(), (s) => {
        expect(formUrlEncode(s)).toBe(referenceFormEncode(s));
      }),
      RUNS,
    );
  });

  it('round trip: decode(encode(s)) is s for text, and the well-formed s for any UTF-16 string', () => {
    fc.assert(
      fc.property(anyText(), (s) => {
        expect(formUrlDecode(formUrlEncode(s))).toBe(s);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(anyUtf16(), (s) => {
        const encoded = formUrlEncode(s);
        expect(encoded).toMatch(/^[A-Za-z0-9.*_\-+%]*$/);
        expect(formUrlDecode(encoded)).toBe(wellFormed(s));
      }),
      RUNS,
    );
  });

  it('an encoded value never contains a list separator, so it survives a Trino list header', () => {
    fc.assert(
      fc.property(anyUtf16(), (s) => {
        const encoded = formUrlEncode(s);
        expect(encoded).not.toMatch(/[,=\s]/);
      }),
      RUNS,
    );
  });
});

describe('list scanning', () => {
  it('trimming by bounds equals String.prototype.trim, for every sub-range', () => {
    fc.assert(
      fc.property(hostileString(), fc.nat(), fc.nat(), (s, a, b) => {
        const from = Math.min(a, b) % (s.length + 1);
        const to = from + ((Math.max(a, b) - Math.min(a, b)) % (s.length - from + 1));
        const lead = skipLeadingSpace(s, from, to);
        const trail = skipTrailingSpace(s, lead, to);
        expect(from <= lead && lead <= trail && trail <= to).toBe(true);
        expect(s.slice(lead, trail)).toBe(s.slice(from, to).trim());
      }),
      MANY_RUNS,
    );
  });

  it('pieceEnd walks the same pieces as split(",")', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(',', 'a', ' ', '='), maxLength: 30 }), (s) => {
        const pieces: string[] = [];
        for (let start = 0; start <= s.length; ) {
          const end = pieceEnd(s, start);
          pieces.push(s.slice(start, end));
          start = end + 1;
        }
        expect(pieces).toEqual(s.split(','));
      }),
      RUNS,
    );
  });
});

type ModelResult = Map<string, string> | PropertyFailure;

/** Trino's HttpRequestSessionContextFactory.parseProperty, by split and trim. */
function referenceParse(lines: readonly string[], maxEntries: number, decodeNames: boolean): ModelResult {
  const map = new Map<string, string>();
  let entry = 0;
  for (const line of lines) {
    for (const piece of line.split(',')) {
      const trimmed = piece.trim();
      if (trimmed === '') continue;
      entry++;
      if (entry > maxEntries) return { problem: 'too_many_entries', entry };
      const parts = trimmed.split('=');
      if (parts.length !== 2) return { problem: 'malformed_entry', entry };
      const rawName = parts[0]!.trim();
      if (rawName === '') return { problem: 'empty_name', entry };
      const name = decodeNames ? referenceFormDecode(rawName) : rawName;
      const value = referenceFormDecode(parts[1]!.trim());
      if (name === undefined || value === undefined) return { problem: 'bad_percent_encoding', entry };
      map.set(name, value);
    }
  }
  return map;
}

function parseLines(lines: readonly string[], maxEntries: number, decodeNames: boolean): ModelResult {
  const map = new Map<string, string>();
  let count = 0;
  for (const line of lines) {
    const result = readPropertyLine(line, map, count, maxEntries, decodeNames);
    if (typeof result !== 'number') return result;
    count = result;
  }
  return map;
}

const listLine = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS), maxLength: 40 }),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', '.', '_', ' ', '%', '2', '0', '+'), maxLength: 5 }), fc.constant('')),
        fc.oneof(formEncodedish, fc.constantFrom('', ' ', 'x=y', 'a,b')),
        fc.constantFrom('=', ' = ', '', '=='),
        fc.constantFrom(',', ', ', ' ,', ',,', '\t,'),
      ),
      { maxLength: 6 },
    )
    .map((entries) => entries.map(([name, value, eq, separator]) => `${name}${eq}${value}${separator}`).join('')),
);

describe('readPropertyLine', () => {
  it('agrees with the split-based reference on any lines, entry numbers and limits included', () => {
    fc.assert(
      fc.property(fc.array(listLine, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), (lines, max, decodeNames) => {
        expect(parseLines(lines, max, decodeNames)).toEqual(referenceParse(lines, max, decodeNames));
      }),
      MANY_RUNS,
    );
  });

  const plainName = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 12 })
    .filter((n) => !/[,=]/.test(n) && n.trim() === n && n !== '');

  it('round trip: entries encoded as a client does parse back, over one line or split across lines', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(plainName, anyText(30)), { selector: ([n]) => n, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        (entries, lineCount) => {
          const whole = encodePropertyList(entries);
          expect(parseLines([whole], 1000, false)).toEqual(new Map(entries));
          const lines: string[] = [];
          const per = Math.max(1, Math.ceil(entries.length / lineCount));
          for (let i = 0; i < entries.length; i += per) lines.push(encodePropertyList(entries.slice(i, i + per)));
          expect(parseLines(lines, 1000, false)).toEqual(new Map(entries));
        },
      ),
      RUNS,
    );
  });

  it('round trip with encoded names (prepared statements): any non-empty name', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(anyText(12).filter((n) => n.length > 0), anyText(40)), { selector: ([n]) => n, maxLength: 8 }), (entries) => {
        expect(parseLines([encodePropertyList(entries, true)], 1000, true)).toEqual(new Map(entries));
      }),
      RUNS,
    );
  });

  it('a later entry for the same name replaces the earlier one, as in Trino’s HashMap', () => {
    fc.assert(
      fc.property(plainName, anyText(10), anyText(10), (name, first, second) => {
        const line = encodePropertyList([[name, first], ['other', 'x'], [name, second]]);
        expect((parseLines([line], 1000, false) as Map<string, string>).get(name)).toBe(second);
      }),
      RUNS,
    );
  });

  it('the entry cap holds over all lines: n entries pass with cap n and fail at entry n+1 with cap n-1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 4 }), (n, lineCount) => {
        const entries = Array.from({ length: n }, (_, i) => [`p${i}`, `v${i}`] as const);
        const lines = Array.from({ length: lineCount }, (_, l) => encodePropertyList(entries.filter((_, i) => i % lineCount === l)));
        expect(parseLines(lines, n, false)).toBeInstanceOf(Map);
        if (n > 1) expect(parseLines(lines, n - 1, false)).toEqual({ problem: 'too_many_entries', entry: n });
      }),
      RUNS,
    );
  });
});
