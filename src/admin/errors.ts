/**
 * Admin failures and their gRPC codes. The store's typed errors map one to one (NOT_FOUND,
 * ALREADY_EXISTS, FAILED_PRECONDITION, INVALID_ARGUMENT); field paths in messages are
 * written as the API spells them (`backend.max_load`), so a client can find the field.
 */
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../config/index.js';
import { RouterError } from '../errors.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidRoutingError, NotFoundError } from '../routing/edit-errors.js';
import { StoreError } from '../store/errors.js';
import type { PathSegment } from '../routing/validate.js';

/** A request field is missing or malformed. `field` is the API's path, e.g. `rule.match.user`. */
export class InvalidArgumentError extends RouterError {
  constructor(readonly field: string, problem: string) {
    super('invalid_argument', `${field}: ${problem}`, { field });
  }
}

/**
 * A change the admin API may not make because the config file is the source of truth
 * (store.seed: watch). Maps to FAILED_PRECONDITION.
 */
export class FileRulesError extends RouterError {
  constructor(readonly path: string, readonly method: string, why?: string) {
    super('failed_precondition',
      `${method} refused: store.seed is watch, so the config file ${path} rules the routing` +
        (why === undefined ? ' (backends, groups, rules, the default group)' : ` (${why})`) +
        '; edit the file instead (it is applied when it changes). backend enable, disable and drain stay allowed where the file does not set them',
      { path, method });
  }
}

/** A config revision that is not (or no longer) in the config history. */
export class UnknownRevisionError extends RouterError {
  constructor(readonly revision: number, message: string) {
    super('not_found', message, { revision });
  }
}

/** No backend is known to own the query (neither its id nor its coordinator id). */
export class UnknownQueryError extends RouterError {
  constructor(readonly queryId: string, message: string) {
    super('not_found', message, { queryId });
  }
}

/** The call needs a part this router does not run (e.g. query history). */
export class NotAvailableError extends RouterError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('unimplemented', message, context);
  }
}

export interface GrpcFailure {
  readonly code: grpc.status;
  readonly details: string;
  /** True for failures the router did not mean to raise (logged with their stack). */
  readonly unexpected: boolean;
}

export function toGrpcFailure(error: unknown): GrpcFailure {
  const expected = (code: grpc.status, details: string): GrpcFailure => ({ code, details, unexpected: false });
  if (error instanceof InvalidArgumentError) return expected(grpc.status.INVALID_ARGUMENT, error.message);
  if (error instanceof InvalidRoutingError) return expected(grpc.status.INVALID_ARGUMENT, describeIssues(error));
  if (error instanceof ConfigError) return expected(grpc.status.INVALID_ARGUMENT, error.message);
  if (error instanceof NotFoundError || error instanceof UnknownQueryError || error instanceof UnknownRevisionError) return expected(grpc.status.NOT_FOUND, error.message);
  if (error instanceof AlreadyExistsError) return expected(grpc.status.ALREADY_EXISTS, error.message);
  if (error instanceof FailedPreconditionError || error instanceof FileRulesError) return expected(grpc.status.FAILED_PRECONDITION, error.message);
  if (error instanceof NotAvailableError) return expected(grpc.status.UNIMPLEMENTED, error.message);
  if (error instanceof StoreError) {
    // A refused write the router had checked is a fault of ours, not a reason to retry.
    if (error.kind === 'store_constraint') return { code: grpc.status.INTERNAL, details: error.message, unexpected: true };
    return expected(grpc.status.UNAVAILABLE, `the store is unavailable, try again: ${error.message}`);
  }
  return { code: grpc.status.INTERNAL, details: 'internal error in the admin API (details are in the router log)', unexpected: true };
}

function describeIssues(error: InvalidRoutingError): string {
  const lines = error.issues.map((issue) => `${apiFieldPath(issue.segments) || '(config)'}: ${issue.message}`);
  return lines.length === 1 ? (lines[0] as string) : `${lines.length} problems:\n${lines.map((l) => `  - ${l}`).join('\n')}`;
}

/**
 * A routing model path in the API's spelling: camelCase names become snake_case, except the
 * user's own keys (session property names).
 */
export function apiFieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  let previous: PathSegment | undefined;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const name = previous === 'sessionProperties' ? segment : snakeCase(segment);
      out += out === '' ? name : `.${name}`;
    }
    previous = segment;
  }
  return out;
}

export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
