import { describe, expect, it } from 'vitest';
import {
  COORDINATOR_ID_ALPHABET,
  coordinatorIdOf,
  isCoordinatorId,
  isQueryId,
  parseQueryId,
} from '../../../src/trino/query-id.js';

describe('query ids', () => {
  it('the alphabet is Trino’s BASE_32: 32 distinct chars, a-z and 2-9 without l, o, 0, 1', () => {
    expect(COORDINATOR_ID_ALPHABET).toHaveLength(32);
    expect(new Set(COORDINATOR_ID_ALPHABET).size).toBe(32);
    for (const excluded of ['l', 'o', '0', '1']) expect(COORDINATOR_ID_ALPHABET).not.toContain(excluded);
  });

  const valid = [
    '20160128_214710_00012_rk68b', // the example in Trino's protocol docs
    '20240229_235959_99999_22222', // leap day, last second, highest counter
    '20000101_000000_00000_abcde',
    '19991231_120000_00001_zz9y8',
  ];
  for (const id of valid) {
    it(`accepts ${id}`, () => {
      expect(isQueryId(id)).toBe(true);
      expect(coordinatorIdOf(id)).toBe(id.slice(22));
    });
  }

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['20160128_214710_00012_rk68', 'short coordinator id'],
    ['20160128_214710_00012_rk68bb', 'long coordinator id'],
    ['20160128_214710_000012_rk68b', 'six-digit counter'],
    ['20160128_214710_0012_rk68b', 'four-digit counter'],
    ['20160128_214710_00012_rk6lb', "'l' is not in the alphabet"],
    ['20160128_214710_00012_rk6ob', "'o' is not in the alphabet"],
    ['20160128_214710_00012_rk60b', "'0' is not in the alphabet"],
    ['20160128_214710_00012_rk61b', "'1' is not in the alphabet"],
    ['20160128_214710_00012_RK68B', 'upper case'],
    ['20161328_214710_00012_rk68b', 'month 13'],
    ['20160100_214710_00012_rk68b', 'day 0'],
    ['20230229_214710_00012_rk68b', 'Feb 29 in a common year'],
    ['21000229_214710_00012_rk68b', 'Feb 29 in 2100 (not leap)'],
    ['20160431_214710_00012_rk68b', 'April 31'],
    ['20160128_244710_00012_rk68b', 'hour 24'],
    ['20160128_216010_00012_rk68b', 'minute 60'],
    ['20160128_214760_00012_rk68b', 'second 60'],
    ['20160128-214710_00012_rk68b', 'wrong separator'],
    ['2016012a_214710_00012_rk68b', 'letter in the date'],
    ['２0160128_214710_00012_rk68b', 'non-ASCII digit'],
    [' 20160128_214710_00012_rk68', 'leading space'],
  ];
  for (const [id, why] of invalid) {
    it(`rejects ${JSON.stringify(id)} (${why})`, () => {
      expect(isQueryId(id)).toBe(false);
      expect(parseQueryId(id)).toBeUndefined();
      expect(coordinatorIdOf(id)).toBeUndefined();
    });
  }

  it('parses the parts, the time in UTC', () => {
    expect(parseQueryId('20160128_214710_00012_rk68b')).toEqual({
      queryId: '20160128_214710_00012_rk68b',
      createdAtMs: Date.UTC(2016, 0, 28, 21, 47, 10),
      counter: 12,
      coordinatorId: 'rk68b',
    });
  });

  it('keeps two-digit years as written (Date.UTC would move them to the 1900s)', () => {
    expect(parseQueryId('00500101_000000_00000_aaaaa')?.createdAtMs).toBe(new Date('0050-01-01T00:00:00Z').getTime());
  });

  it('checks coordinator ids alone', () => {
    expect(isCoordinatorId('rk68b')).toBe(true);
    expect(isCoordinatorId('rk6lb')).toBe(false);
    expect(isCoordinatorId('rk68')).toBe(false);
  });
});
