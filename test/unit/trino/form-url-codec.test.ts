import { describe, expect, it } from 'vitest';
import { formUrlDecode, formUrlEncode } from '../../../src/trino/form-url-codec.js';
import { encodePropertyList, readPropertyLine } from '../../../src/trino/property-list.js';

describe('formUrlDecode (Java URLDecoder.decode, UTF-8)', () => {
  const cases: [input: string, expected: string | undefined][] = [
    ['plain', 'plain'],
    ['', ''],
    ['a+b', 'a b'],
    ['a%20b', 'a b'],
    ['%2C%3D%25%2B', ',=%+'],
    ['%e2%82%ac', '€'],
    ['%E2%82%AC%E2%82%AC', '€€'],
    ['caf%C3%A9+au+lait', 'café au lait'],
    ['déjà', 'déjà'], // non-ASCII passes through
    ['%C3', '\uFFFD'], // truncated UTF-8 becomes U+FFFD, as in Java
    ['%FF', '\uFFFD'],
    ['%', undefined],
    ['abc%', undefined],
    ['%4', undefined],
    ['%4g', undefined],
    ['%g4', undefined],
    ['%%41', undefined],
    ['%41%', undefined],
    ['%-1', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      expect(formUrlDecode(input)).toBe(expected);
    });
  }

  it('returns the same string when there is nothing to decode', () => {
    const s = 'query_max_run_time';
    expect(formUrlDecode(s)).toBe(s);
  });

  it('decodes a long escape run', () => {
    const text = '€'.repeat(500);
    expect(formUrlDecode(encodeURIComponent(text))).toBe(text);
  });
});

describe('formUrlEncode (Java URLEncoder.encode, UTF-8)', () => {
  const cases: [string, string][] = [
    ['abcXYZ019.-*_', 'abcXYZ019.-*_'],
    ['a b', 'a+b'],
    ['a,b=c', 'a%2Cb%3Dc'],
    ['1+1', '1%2B1'],
    ['€', '%E2%82%AC'],
    ['~!', '%7E%21'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${expected}`, () => {
      expect(formUrlEncode(input)).toBe(expected);
    });
  }
});

describe('property lists', () => {
  it('encodes as a Trino client does and reads back', () => {
    const entries: [string, string][] = [
      ['query_max_run_time', '1h'],
      ['hive.filter', 'a=1, b=2'],
    ];
    const line = encodePropertyList(entries);
    expect(line).toBe('query_max_run_time=1h,hive.filter=a%3D1%2C+b%3D2');
    const map = new Map<string, string>();
    expect(readPropertyLine(line, map, 0, 10)).toBe(2);
    expect([...map]).toEqual(entries);
  });

  it('reports the failing entry', () => {
    expect(readPropertyLine('a=1,b', new Map(), 0, 10)).toEqual({ problem: 'malformed_entry', entry: 2 });
    expect(readPropertyLine('a=1,b=2', new Map(), 9, 10)).toEqual({ problem: 'too_many_entries', entry: 11 });
  });
});
