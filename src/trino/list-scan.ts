/**
 * Bounds-based trimming for the comma lists of Trino headers: pieces are located and trimmed
 * by index, and only non-empty results are sliced, so a header of 60,000 commas allocates
 * nothing. Whitespace is what String.prototype.trim removes, which matches Guava's
 * CharMatcher.whitespace() (Trino's trimResults) on every character a client sends in practice.
 */

const NON_ASCII_WHITESPACE = /^\s$/;

function isTrimmable(code: number): boolean {
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return NON_ASCII_WHITESPACE.test(String.fromCharCode(code));
}

/** First index in [from, to) that is not whitespace, or `to`. */
export function skipLeadingSpace(s: string, from: number, to: number): number {
  let i = from;
  while (i < to && isTrimmable(s.charCodeAt(i))) i++;
  return i;
}

/** One past the last index in [from, to) that is not whitespace, or `from`. */
export function skipTrailingSpace(s: string, from: number, to: number): number {
  let i = to;
  while (i > from && isTrimmable(s.charCodeAt(i - 1))) i--;
  return i;
}

/**
 * End of the comma-separated piece starting at `from`: the next comma or the end. A char
 * loop, not indexOf: pieces are short, and a native call per piece dominated on lists of
 * many empty pieces.
 */
export function pieceEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) if (s.charCodeAt(i) === 0x2c) return i;
  return s.length;
}
