/**
 * A request whose Trino headers the coordinator would refuse (HTTP 400), or that exceeds the
 * router's limits. Returned, not thrown, by the header parser: it runs once per request and
 * callers branch on it. Messages and context name the header and the entry, never its value
 * (extra credentials and prepared statements may be secret).
 */
import { RouterError } from '../errors.js';

export type TrinoHeaderProblem =
  | 'conflicting_protocols'
  | 'value_too_large'
  | 'too_many_entries'
  | 'malformed_entry'
  | 'empty_name'
  | 'bad_percent_encoding';

export class TrinoHeaderError extends RouterError {
  constructor(
    /** Lower-case name of the offending header, e.g. `x-trino-session`. */
    readonly header: string,
    readonly problem: TrinoHeaderProblem,
    message: string,
    /** 1-based entry of a list header, when one entry is at fault. */
    readonly entry?: number,
  ) {
    super('invalid_trino_header', message, entry === undefined ? { header, problem } : { header, problem, entry });
  }
}

export function isTrinoHeaderError(value: unknown): value is TrinoHeaderError {
  return value instanceof TrinoHeaderError;
}
