/**
 * The URL encoding of Trino's list headers (Session, Role, Extra-Credential,
 * Prepared-Statement, Resource-Estimate). Trino decodes each value with Java's
 * `URLDecoder.decode(value, UTF_8)`, i.e. HTML form decoding:
 *   - `+` becomes a space (so a literal plus must be sent as `%2B`);
 *   - each run of `%XX` escapes is turned into bytes and decoded as UTF-8, malformed
 *     sequences becoming U+FFFD;
 *   - a `%` not followed by two hex digits is an error (Trino answers 400); one Java quirk
 *     is not copied: Integer.parseInt lets `%+1` through as byte 1, here it is an error;
 *   - every other character passes through unchanged.
 * Clients encode with `URLEncoder.encode(value, UTF_8)`; `formUrlEncode` is that encoder.
 *
 * Decoding is allocation-free for the common value that holds no `%` or `+`.
 */

const PERCENT = 0x25;
const PLUS = 0x2b;

/** Hex digit value by char code, -1 for non-hex. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[0x41 + i] = 10 + i;
  HEX_VALUE[0x61 + i] = 10 + i;
}

function hexValue(code: number): number {
  return code < 128 ? HEX_VALUE[code]! : -1;
}

/** Reused byte buffer for escape runs; zeroed after each use (values may be credentials). */
let scratch = Buffer.alloc(256);

/**
 * Decodes one run of `%XX` escapes starting at `from`; returns the decoded text and where
 * the run ends, or undefined when an escape is malformed or cut off.
 */
function decodeEscapeRun(s: string, from: number): { text: string; end: number } | undefined {
  const n = s.length;
  let count = 0;
  let i = from;
  while (i < n && s.charCodeAt(i) === PERCENT) {
    const hi = i + 2 < n ? hexValue(s.charCodeAt(i + 1)) : -1;
    const lo = i + 2 < n ? hexValue(s.charCodeAt(i + 2)) : -1;
    if (hi < 0 || lo < 0) {
      scratch.fill(0, 0, count);
      return undefined;
    }
    if (count === scratch.length) {
      const grown = Buffer.alloc(scratch.length * 2);
      scratch.copy(grown);
      scratch.fill(0);
      scratch = grown;
    }
    scratch[count++] = (hi << 4) | lo;
    i += 3;
  }
  // Native UTF-8 decoding; malformed sequences become U+FFFD, as in Java.
  const text = scratch.toString('utf8', 0, count);
  scratch.fill(0, 0, count);
  return { text, end: i };
}

/** Java `URLDecoder.decode(s, UTF_8)`; undefined where Java would throw. */
export function formUrlDecode(s: string): string | undefined {
  const firstPercent = s.indexOf('%');
  if (firstPercent < 0) return s.indexOf('+') < 0 ? s : s.replaceAll('+', ' ');
  let out = '';
  let literalStart = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === PLUS) {
      out += s.slice(literalStart, i) + ' ';
      literalStart = ++i;
    } else if (c === PERCENT) {
      out += s.slice(literalStart, i);
      const run = decodeEscapeRun(s, i);
      if (run === undefined) return undefined;
      out += run.text;
      i = run.end;
      literalStart = i;
    } else {
      i++;
    }
  }
  return out + s.slice(literalStart);
}

/** Characters Java's URLEncoder leaves alone: A-Z a-z 0-9 . - * _ */
function isUnreserved(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2e ||
    code === 0x2d ||
    code === 0x2a ||
    code === 0x5f
  );
}

const HEX_UPPER = '0123456789ABCDEF';

/** Java `URLEncoder.encode(s, UTF_8)`: space as `+`, other bytes as upper-case `%XX`. */
export function formUrlEncode(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length && plain; i++) plain = isUnreserved(s.charCodeAt(i));
  if (plain) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    if (isUnreserved(byte)) out += String.fromCharCode(byte);
    else if (byte === 0x20) out += '+';
    else out += '%' + HEX_UPPER[byte >> 4]! + HEX_UPPER[byte & 15]!;
  }
  return out;
}
