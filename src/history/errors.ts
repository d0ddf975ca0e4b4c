/** Typed failures of the query history. */
import { RouterError } from '../errors.js';

/** A list filter the history cannot run (the admin API answers INVALID_ARGUMENT). */
export class InvalidHistoryFilterError extends RouterError {
  constructor(field: string, message: string, value: unknown) {
    super('invalid_argument', `invalid query history filter: ${field} ${message}`, { field, value });
  }
}
