/**
 * The store's own failures: every SQLite error code and PostgreSQL SQLSTATE leaves src/store
 * as one of these kinds, with a message that says what the operator should do.
 * - store_unavailable: the database cannot be used now (down, unreachable, disk full, damaged);
 * - store_busy: another writer held the lock too long; the same call may simply be retried;
 * - store_constraint: the database refused a write the router had checked (a bug or a hand edit);
 * - store_schema_too_new: the database was migrated by a newer router.
 */
import { RouterError } from '../errors.js';

export type StoreErrorKind = 'store_unavailable' | 'store_busy' | 'store_constraint' | 'store_schema_too_new';

export class StoreError extends RouterError {
  constructor(readonly kind: StoreErrorKind, message: string, context: Record<string, unknown>, cause?: unknown) {
    super(kind, message, context, cause === undefined ? undefined : { cause });
  }
}
