/**
 * Trino's `name=value` list headers (Session, Role, Extra-Credential, Prepared-Statement,
 * Resource-Estimate), read the way HttpRequestSessionContextFactory.parseProperty does:
 * every header line is split on `,`; each piece is trimmed and empty pieces are skipped;
 * a piece must split on `=` into exactly two parts (so a `=` inside a value must be sent as
 * `%3D`); name and value are trimmed, then the value is form-URL-decoded. A later entry for a
 * name replaces an earlier one, as in Trino's HashMap. Names are used as sent, except
 * prepared-statement names, which Trino also URL-decodes.
 *
 * Unlike Trino, an empty name is refused for every list header (Trino refuses it for Session
 * only), and the number of entries is capped so a hostile header costs bounded work.
 */
import { formUrlDecode, formUrlEncode } from './form-url-codec.js';
import { pieceEnd, skipLeadingSpace, skipTrailingSpace } from './list-scan.js';

export type PropertyProblem = 'malformed_entry' | 'empty_name' | 'bad_percent_encoding' | 'too_many_entries';

/** Why a line was refused; `entry` is 1-based across all lines of the header. */
export interface PropertyFailure {
  readonly problem: PropertyProblem;
  readonly entry: number;
}

function failure(problem: PropertyProblem, entry: number): PropertyFailure {
  return { problem, entry };
}

/**
 * Adds the entries of one header line to `into` and returns the running entry count
 * (`entriesSoFar` counts entries of earlier lines of the same header; `maxEntries` caps the
 * total), or why the line is refused. A number on success keeps the common path
 * allocation-free. `decodeNames` URL-decodes names too (prepared statements).
 */
export function readPropertyLine(
  line: string,
  into: Map<string, string>,
  entriesSoFar: number,
  maxEntries: number,
  decodeNames = false,
): number | PropertyFailure {
  let entries = entriesSoFar;
  for (let start = 0; start <= line.length; ) {
    const end = pieceEnd(line, start);
    const from = skipLeadingSpace(line, start, end);
    const to = skipTrailingSpace(line, from, end);
    start = end + 1;
    if (from === to) continue;
    entries++;
    if (entries > maxEntries) return failure('too_many_entries', entries);
    const equals = line.indexOf('=', from);
    if (equals < 0 || equals >= to) return failure('malformed_entry', entries);
    const second = line.indexOf('=', equals + 1);
    if (second >= 0 && second < to) return failure('malformed_entry', entries);
    const nameEnd = skipTrailingSpace(line, from, equals);
    if (nameEnd === from) return failure('empty_name', entries);
    const rawName = line.slice(from, nameEnd);
    const name = decodeNames ? formUrlDecode(rawName) : rawName;
    const value = formUrlDecode(line.slice(skipLeadingSpace(line, equals + 1, to), to));
    if (name === undefined || value === undefined) return failure('bad_percent_encoding', entries);
    into.set(name, value);
  }
  return entries;
}

/** One header line for `entries`, encoded as Trino clients do (values form-URL-encoded). */
export function encodePropertyList(entries: Iterable<readonly [string, string]>, encodeNames = false): string {
  let out = '';
  for (const [name, value] of entries) {
    if (out.length > 0) out += ',';
    out += `${encodeNames ? formUrlEncode(name) : name}=${formUrlEncode(value)}`;
  }
  return out;
}
