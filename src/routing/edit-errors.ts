/**
 * Why a routing change is refused. The admin API maps them to gRPC codes (NOT_FOUND,
 * ALREADY_EXISTS, FAILED_PRECONDITION, INVALID_ARGUMENT); nothing was changed when one is thrown.
 */
import { didYouMean } from '../did-you-mean.js';
import { RouterError } from '../errors.js';
import type { ValidationIssue } from './validate.js';

export type RoutingEntityKind = 'backend' | 'group' | 'rule';

export class NotFoundError extends RouterError {
  /** `known`: the names of that kind that do exist, for a "did you mean". */
  constructor(readonly kind: RoutingEntityKind, readonly entityName: string, known: Iterable<string> = []) {
    super('not_found', `${kind} ${JSON.stringify(entityName)} does not exist${didYouMean(entityName, known)}`, { kind, name: entityName });
  }
}

export class AlreadyExistsError extends RouterError {
  constructor(readonly kind: RoutingEntityKind, readonly entityName: string) {
    super('already_exists', `${kind} ${JSON.stringify(entityName)} already exists; update it instead`, { kind, name: entityName });
  }
}

/** The change is well-formed but the current state forbids it (e.g. deleting a group a rule targets). */
export class FailedPreconditionError extends RouterError {
  constructor(message: string, context: Record<string, unknown>) {
    super('failed_precondition', message, context);
  }
}

/** The routing configuration the change would produce is invalid. */
export class InvalidRoutingError extends RouterError {
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(
      'invalid_argument',
      `invalid routing configuration:\n${issues.map((i) => `  - ${i.path || '(config)'}: ${i.message}`).join('\n')}`,
      { issues },
    );
  }
}
