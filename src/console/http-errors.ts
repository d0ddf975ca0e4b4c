/**
 * How an admin API failure reaches the browser: the gRPC code as an HTTP status, the admin
 * API's message unchanged, and for INVALID_ARGUMENT each field it names (`rule.match.user.regex:
 * invalid regular expression`), so the page can show the error next to the field.
 */
import * as grpc from '@grpc/grpc-js';

export interface FieldError {
  /** The admin API's field path, e.g. rule.match.user.regex. */
  readonly field: string;
  readonly message: string;
}

export interface ConsoleErrorBody {
  readonly error: {
    /** The gRPC code's name (UNAUTHENTICATED ...) or the console's own (payload_too_large ...). */
    readonly code: string;
    readonly message: string;
    readonly fields: readonly FieldError[];
  };
}

const HTTP_STATUS_OF: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.OUT_OF_RANGE]: 400,
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.FAILED_PRECONDITION]: 409,
  [grpc.status.ABORTED]: 409,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

/** A failed admin call as (HTTP status, body); anything that is not a gRPC error is the console's fault (500). */
export function fromAdminFailure(error: unknown): { status: number; body: ConsoleErrorBody } {
  const failure = error as Partial<grpc.ServiceError>;
  if (typeof failure.code !== 'number' || !(failure.code in grpc.status)) {
    return { status: 500, body: errorBody('internal', 'the console failed to call the admin API (details are in the router log)') };
  }
  const code = failure.code as grpc.status;
  const message = failure.details ?? '';
  const fields = code === grpc.status.INVALID_ARGUMENT ? fieldErrors(message) : [];
  return { status: HTTP_STATUS_OF[code] ?? 502, body: { error: { code: grpc.status[code], message, fields } } };
}

export function errorBody(code: string, message: string): ConsoleErrorBody {
  return { error: { code, message, fields: [] } };
}

/** `field: problem` lines, alone or as the admin API's "N problems:" list (src/admin/errors.ts). */
const FIELD_LINE = /^(?:\s*-\s*)?([a-z_][a-z0-9_]*(?:\[\d+\]|\.[A-Za-z0-9_-]+)*): (.+)$/;

export function fieldErrors(message: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const line of message.split('\n')) {
    const match = FIELD_LINE.exec(line);
    if (match !== null) errors.push({ field: match[1] as string, message: match[2] as string });
  }
  return errors;
}
