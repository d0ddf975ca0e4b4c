/**
 * Trino error codes the stand-in can produce, with the numbers and types of Trino's
 * StandardErrorCode, and the `error` object of a failed QueryResults.
 */

export type ErrorType = 'USER_ERROR' | 'INTERNAL_ERROR' | 'INSUFFICIENT_RESOURCES' | 'EXTERNAL';

const ERROR_CODES: Readonly<Record<string, readonly [number, ErrorType]>> = {
  GENERIC_USER_ERROR: [0, 'USER_ERROR'],
  SYNTAX_ERROR: [1, 'USER_ERROR'],
  ABANDONED_QUERY: [2, 'USER_ERROR'],
  USER_CANCELED: [3, 'USER_ERROR'],
  PERMISSION_DENIED: [4, 'USER_ERROR'],
  NOT_FOUND: [5, 'USER_ERROR'],
  NOT_SUPPORTED: [13, 'USER_ERROR'],
  INVALID_SESSION_PROPERTY: [14, 'USER_ERROR'],
  UNKNOWN_TRANSACTION: [20, 'USER_ERROR'],
  NOT_IN_TRANSACTION: [21, 'USER_ERROR'],
  TRANSACTION_ALREADY_ABORTED: [22, 'USER_ERROR'],
  INCOMPATIBLE_CLIENT: [27, 'USER_ERROR'],
  QUERY_REJECTED: [31, 'USER_ERROR'],
  ADMINISTRATIVELY_KILLED: [38, 'USER_ERROR'],
  TABLE_NOT_FOUND: [46, 'USER_ERROR'],
  GENERIC_INTERNAL_ERROR: [65536, 'INTERNAL_ERROR'],
  NO_NODES_AVAILABLE: [65541, 'INTERNAL_ERROR'],
  SERVER_SHUTTING_DOWN: [65545, 'INTERNAL_ERROR'],
  SERVER_STARTING_UP: [65548, 'INTERNAL_ERROR'],
  GENERIC_INSUFFICIENT_RESOURCES: [131072, 'INSUFFICIENT_RESOURCES'],
  EXCEEDED_GLOBAL_MEMORY_LIMIT: [131073, 'INSUFFICIENT_RESOURCES'],
  QUERY_QUEUE_FULL: [131074, 'INSUFFICIENT_RESOURCES'],
  EXCEEDED_TIME_LIMIT: [131075, 'INSUFFICIENT_RESOURCES'],
  ADMINISTRATIVELY_PREEMPTED: [131080, 'INSUFFICIENT_RESOURCES'],
};

export function isKnownErrorName(name: string): boolean {
  return Object.hasOwn(ERROR_CODES, name);
}

/** What went wrong, before it is dressed as Trino's JSON. */
export interface TrinoFailure {
  readonly errorName: string;
  readonly message: string;
}

export interface QueryErrorJson {
  message: string;
  errorCode: number;
  errorName: string;
  errorType: ErrorType;
  failureInfo: { type: string; message: string; suppressed: string[]; stack: string[] };
}

export function toQueryError(failure: TrinoFailure): QueryErrorJson {
  const [errorCode, errorType] = ERROR_CODES[failure.errorName] ?? ERROR_CODES.GENERIC_USER_ERROR ?? [0, 'USER_ERROR'];
  return {
    message: failure.message,
    errorCode,
    errorName: failure.errorName,
    errorType,
    failureInfo: { type: 'io.trino.spi.TrinoException', message: failure.message, suppressed: [], stack: [] },
  };
}

export const CANCELED: TrinoFailure = { errorName: 'USER_CANCELED', message: 'Query was canceled' };

/** The message Trino's QueryResource and kill_query give an administratively killed query. */
export function killedFailure(message: string | undefined): TrinoFailure {
  const detail = message === undefined || message === '' ? 'No message provided.' : `Message: ${message}`;
  return { errorName: 'ADMINISTRATIVELY_KILLED', message: `Query killed. ${detail}` };
}

export function preemptedFailure(message: string | undefined): TrinoFailure {
  const detail = message === undefined || message === '' ? 'No message provided.' : `Message: ${message}`;
  return { errorName: 'ADMINISTRATIVELY_PREEMPTED', message: `Query preempted. ${detail}` };
}
