/**
 * Failures the CLI reports: usage errors found locally, and gRPC errors from the router,
 * each turned into one readable line and an exit code.
 */
import * as grpc from '@grpc/grpc-js';
import { RouterError } from '../errors.js';
import { EXIT, exitCodeOf, type ExitCode } from './exit-codes.js';

/** A malformed command line or local input; exits with EXIT.usage. */
export class UsageError extends RouterError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** A failure with its own exit code and message (e.g. a --wait that timed out). */
export class CliFailure extends RouterError {
  constructor(readonly exitCode: ExitCode, message: string) {
    super('cli_failure', message, { exitCode });
  }
}

export interface Reported {
  readonly exitCode: ExitCode;
  readonly message: string;
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in error;
}

export function report(error: unknown, server: string): Reported {
  if (error instanceof UsageError) return { exitCode: EXIT.usage, message: error.message };
  if (error instanceof CliFailure) return { exitCode: error.exitCode, message: error.message };
  if (isServiceError(error)) return { exitCode: exitCodeOf(error.code), message: describeServiceError(error, server) };
  return { exitCode: EXIT.failure, message: error instanceof Error ? error.message : String(error) };
}

function describeServiceError(error: grpc.ServiceError, server: string): string {
  const code = grpc.status[error.code] ?? String(error.code);
  switch (error.code) {
    case grpc.status.UNAVAILABLE:
      return `cannot reach the admin API at ${server} (${error.details}); is the router running with listen.admin set? (--server picks another address)`;
    case grpc.status.DEADLINE_EXCEEDED:
      return `the admin API at ${server} did not answer in time (--timeout raises the limit)`;
    case grpc.status.UNAUTHENTICATED:
      return `${error.details} (${code}); pass --token or set TRINO_ROUTER_ADMIN_TOKEN`;
    case grpc.status.PERMISSION_DENIED:
      return `${error.details} (${code}); the token given (--token or TRINO_ROUTER_ADMIN_TOKEN) is the read-only one`;
    default:
      return `${error.details} (${code})`;
  }
}
