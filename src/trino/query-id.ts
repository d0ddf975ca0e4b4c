/**
 * Trino query ids, `yyyyMMdd_HHmmss_NNNNN_ccccc`, as Trino's QueryIdGenerator makes them:
 * the UTC second the id was made, a zero-padded counter (`%05d`; it restarts each day and
 * before it passes 99,999, so it is always exactly 5 digits) and the coordinator id, 5 chars
 * drawn once per coordinator start from a base-32 alphabet (a-z and 2-9 without l, o, 0, 1).
 * The coordinator id is what tells a router which coordinator owns a query.
 *
 * Validation is a hand-written character scan (no regex, no allocation): it runs on every
 * follow-up request.
 */

/** QueryIdGenerator.BASE_32, in Trino's order. */
export const COORDINATOR_ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

export const QUERY_ID_LENGTH = 27;
export const COORDINATOR_ID_LENGTH = 5;

export interface QueryIdParts {
  readonly queryId: string;
  /** The UTC second the coordinator made the id, in epoch milliseconds. */
  readonly createdAtMs: number;
  /** The per-day counter, 0..99999. */
  readonly counter: number;
  readonly coordinatorId: string;
}

const IN_ALPHABET = new Uint8Array(128);
for (let i = 0; i < COORDINATOR_ID_ALPHABET.length; i++) IN_ALPHABET[COORDINATOR_ID_ALPHABET.charCodeAt(i)] = 1;

const UNDERSCORE = 0x5f;
const DIGIT_0 = 0x30;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Digits at s[from, from+count) as a number, or -1 if any is not an ASCII digit. */
function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** True when `s` is a well-formed query id naming a real UTC date and time. */
export function isQueryId(s: string): boolean {
  if (s.length !== QUERY_ID_LENGTH) return false;
  if (s.charCodeAt(8) !== UNDERSCORE || s.charCodeAt(15) !== UNDERSCORE || s.charCodeAt(21) !== UNDERSCORE) return false;
  for (let i = 22; i < QUERY_ID_LENGTH; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || IN_ALPHABET[c] !== 1) return false;
  }
  if (digits(s, 16, 5) < 0) return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 4, 2);
  const day = digits(s, 6, 2);
  const hour = digits(s, 9, 2);
  const minute = digits(s, 11, 2);
  const second = digits(s, 13, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const monthDays = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > monthDays) return false;
  // Java's formatter never prints a leap second, so 60 is not valid.
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/** The parts of a query id, or undefined when it is malformed. */
export function parseQueryId(s: string): QueryIdParts | undefined {
  if (!isQueryId(s)) return undefined;
  const createdAtMs = Date.UTC(
    digits(s, 0, 4),
    digits(s, 4, 2) - 1,
    digits(s, 6, 2),
    digits(s, 9, 2),
    digits(s, 11, 2),
    digits(s, 13, 2),
  );
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear puts them back.
  const date = new Date(createdAtMs);
  date.setUTCFullYear(digits(s, 0, 4));
  return {
    queryId: s,
    createdAtMs: date.getTime(),
    counter: digits(s, 16, 5),
    coordinatorId: s.slice(22),
  };
}

/** The id of the coordinator that made the query, or undefined when the id is malformed. */
export function coordinatorIdOf(queryId: string): string | undefined {
  return isQueryId(queryId) ? queryId.slice(22) : undefined;
}

/** True when `s` could be a coordinator id (5 chars of the alphabet). */
export function isCoordinatorId(s: string): boolean {
  if (s.length !== COORDINATOR_ID_LENGTH) return false;
  for (let i = 0; i < COORDINATOR_ID_LENGTH; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || IN_ALPHABET[c] !== 1) return false;
  }
  return true;
}
