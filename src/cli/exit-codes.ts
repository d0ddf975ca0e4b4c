/**
 * The CLI's exit codes: distinct per cause, so scripts can act on them. Listed in --help.
 */
import * as grpc from '@grpc/grpc-js';

export const EXIT = {
  ok: 0,
  /** Anything unexpected (INTERNAL, UNKNOWN, a bug). */
  failure: 1,
  /** Bad command line: unknown command or option, malformed value, unreadable local file. */
  usage: 2,
  /** The admin API cannot be reached or did not answer in time. */
  unreachable: 3,
  /** Missing or wrong token, or a read-only token used for a change. */
  unauthenticated: 4,
  notFound: 5,
  alreadyExists: 6,
  /** The current state forbids the change (e.g. deleting a group a rule targets). */
  failedPrecondition: 7,
  /** The router rejected the request as invalid (the message names the field). */
  invalidArgument: 8,
  /** The router does not offer this (e.g. no query history, no health monitor). */
  notAvailable: 9,
  /** `--wait` gave up before the backend drained. */
  timedOut: 10,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeOf(code: grpc.status): ExitCode {
  switch (code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return EXIT.unreachable;
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return EXIT.unauthenticated;
    case grpc.status.NOT_FOUND:
      return EXIT.notFound;
    case grpc.status.ALREADY_EXISTS:
      return EXIT.alreadyExists;
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.ABORTED:
      return EXIT.failedPrecondition;
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.OUT_OF_RANGE:
      return EXIT.invalidArgument;
    case grpc.status.UNIMPLEMENTED:
      return EXIT.notAvailable;
    default:
      return EXIT.failure;
  }
}

export const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   unexpected error
  2   usage error (unknown command or option, malformed value, unreadable file)
  3   admin API unreachable or too slow (UNAVAILABLE, DEADLINE_EXCEEDED)
  4   authentication refused (UNAUTHENTICATED), or a change with the read-only token
      (PERMISSION_DENIED): check --token / TRINO_ROUTER_ADMIN_TOKEN
  5   not found (NOT_FOUND)
  6   already exists (ALREADY_EXISTS)
  7   refused by the current state (FAILED_PRECONDITION)
  8   invalid request (INVALID_ARGUMENT; the message names the field)
  9   not available on this router (UNIMPLEMENTED)
  10  --wait timed out`;
