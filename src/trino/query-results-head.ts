/**
 * Reads `id`, `infoUri` and `nextUri` from a QueryResults body without JSON.parse of the whole
 * body. Trino writes them first (`{"id":"...","infoUri":"...","nextUri":"..."`), so on a
 * submission's first response the scan stops after a few hundred bytes. The scanner accepts
 * the fields in any order: it walks the top-level object, reading keys and skipping other
 * values structurally (strings with escapes, nested objects and arrays by depth), so even a
 * large `data` array costs one byte loop and no allocation. Only strings holding escapes are
 * handed to JSON.parse (just that string).
 *
 * On a complete, valid body without duplicate keys, the result equals the string fields of
 * JSON.parse(body). With duplicate keys the FIRST occurrence decides (JSON.parse keeps the
 * last); that is what lets the scan stop early, and Trino never writes duplicates. A body cut
 * short yields the fields seen before the cut; a body that is not a JSON object yields
 * undefined. Nothing here throws.
 *
 * The scan works on bytes (what the router receives); text input is encoded to UTF-8 first.
 * JSON's structural characters are ASCII and never occur inside a UTF-8 multi-byte sequence,
 * so byte scanning is exact.
 */

export interface QueryResultsHead {
  readonly id?: string;
  readonly infoUri?: string;
  readonly nextUri?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** Scan results below zero: the input ended, or it is not JSON. */
const TRUNCATED = -1;
const MALFORMED = -2;

const NO_FIELD = 0;
const ID = 1;
const INFO_URI = 2;
const NEXT_URI = 3;
const ALL_FIELDS = (1 << ID) | (1 << INFO_URI) | (1 << NEXT_URI);
const FIELD_NAMES = ['', 'id', 'infoUri', 'nextUri'] as const;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(b: Buffer, from: number): number {
  let i = from;
  while (i < b.length && isWhitespace(b[i]!)) i++;
  return i;
}

/** Index of the quote closing the string opened at `open`, or TRUNCATED. */
function stringEnd(b: Buffer, open: number): number {
  let i = open + 1;
  while (i < b.length) {
    const c = b[i]!;
    if (c === QUOTE) return i;
    i += c === BACKSLASH ? 2 : 1;
  }
  return TRUNCATED;
}

/** Index just past the (non-string) value starting at `from`, TRUNCATED or MALFORMED. */
function valueEnd(b: Buffer, from: number): number {
  const first = b[from]!;
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let i = from;
    while (i < b.length) {
      const c = b[i]!;
      if (c === QUOTE) {
        const end = stringEnd(b, i);
        if (end < 0) return end;
        i = end + 1;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return TRUNCATED;
  }
  // A number or literal runs to the next delimiter.
  let i = from;
  while (i < b.length) {
    const c = b[i]!;
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWhitespace(c)) break;
    if (c === QUOTE || c === COLON || c === OPEN_BRACE || c === OPEN_BRACKET) return MALFORMED;
    i++;
  }
  if (i === from) return MALFORMED;
  return i === b.length ? TRUNCATED : i;
}

/** The JSON string spanning [open, close] (quotes included), decoded; undefined if invalid. */
function stringValue(b: Buffer, open: number, close: number): string | undefined {
  const escape = b.indexOf(BACKSLASH, open + 1);
  // Native UTF-8 decoding; invalid bytes become U+FFFD, as JSON.parse of the decoded body would see.
  if (escape < 0 || escape > close) return b.toString('utf8', open + 1, close);
  try {
    const decoded: unknown = JSON.parse(b.toString('utf8', open, close + 1));
    return typeof decoded === 'string' ? decoded : undefined;
  } catch {
    return undefined;
  }
}

/** Which wanted field the key spanning [open, close] names; undefined for a broken escape. */
function fieldOf(b: Buffer, open: number, close: number): number | undefined {
  const length = close - open - 1;
  for (let field = ID; field <= NEXT_URI; field++) {
    const name = FIELD_NAMES[field]!;
    if (name.length !== length) continue;
    let same = true;
    for (let k = 0; k < length && same; k++) same = b[open + 1 + k] === name.charCodeAt(k);
    if (same) return field;
  }
  const escape = b.indexOf(BACKSLASH, open + 1);
  if (escape < 0 || escape > close) return NO_FIELD;
  // An escaped key (`"\u0069d"`) can still name a field.
  const key = stringValue(b, open, close);
  if (key === undefined) return undefined;
  const field = FIELD_NAMES.indexOf(key as (typeof FIELD_NAMES)[number]);
  return field > 0 ? field : NO_FIELD;
}

function scan(b: Buffer): QueryResultsHead | undefined {
  let i = skipWhitespace(b, 0);
  if (i >= b.length || b[i] !== OPEN_BRACE) return undefined;
  let id: string | undefined;
  let infoUri: string | undefined;
  let nextUri: string | undefined;
  let seen = 0; // bit per field: its first occurrence has been read
  i++;
  while (seen !== ALL_FIELDS) {
    i = skipWhitespace(b, i);
    if (i >= b.length) break;
    const c = b[i]!;
    if (c === CLOSE_BRACE) break;
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c !== QUOTE) return undefined;
    const keyClose = stringEnd(b, i);
    if (keyClose < 0) break;
    let field = fieldOf(b, i, keyClose);
    if (field === undefined) return undefined;
    if ((seen & (1 << field)) !== 0) field = NO_FIELD;
    i = skipWhitespace(b, keyClose + 1);
    if (i >= b.length) break;
    if (b[i] !== COLON) return undefined;
    i = skipWhitespace(b, i + 1);
    if (i >= b.length) break;
    if (b[i] === QUOTE) {
      const close = stringEnd(b, i);
      if (close < 0) break;
      if (field !== NO_FIELD) {
        const value = stringValue(b, i, close);
        if (value === undefined) return undefined;
        if (field === ID) id = value;
        else if (field === INFO_URI) infoUri = value;
        else nextUri = value;
        seen |= 1 << field;
      }
      i = close + 1;
      continue;
    }
    const end = valueEnd(b, i);
    if (end === MALFORMED) return undefined;
    if (end === TRUNCATED) break;
    // A non-string value settles the field as absent.
    if (field !== NO_FIELD) seen |= 1 << field;
    i = end;
  }
  return { id, infoUri, nextUri };
}

/** The head of a QueryResults body (bytes as received, or text); see the module comment. */
export function parseQueryResultsHead(body: Uint8Array | string): QueryResultsHead | undefined {
  if (typeof body === 'string') return scan(Buffer.from(body, 'utf8'));
  // A Buffer view over the same memory (no copy) gives native slicing and indexOf.
  return scan(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}
