/**
 * Trino error codes a router's own failures can wear, copied from io.trino.spi.StandardErrorCode
 * (code, name and ErrorType as Trino defines them). Note that NO_NODES_AVAILABLE is an
 * INTERNAL_ERROR in Trino, not INSUFFICIENT_RESOURCES; the INSUFFICIENT_RESOURCES codes start
 * at 131072.
 */

export type TrinoErrorType = 'USER_ERROR' | 'INTERNAL_ERROR' | 'INSUFFICIENT_RESOURCES' | 'EXTERNAL';

export interface TrinoErrorCode {
  readonly code: number;
  readonly name: string;
  readonly type: TrinoErrorType;
}

function errorCode(code: number, name: string, type: TrinoErrorType): TrinoErrorCode {
  return Object.freeze({ code, name, type });
}

export const GENERIC_USER_ERROR = errorCode(0, 'GENERIC_USER_ERROR', 'USER_ERROR');
export const PERMISSION_DENIED = errorCode(4, 'PERMISSION_DENIED', 'USER_ERROR');
export const NOT_FOUND = errorCode(5, 'NOT_FOUND', 'USER_ERROR');
export const UNKNOWN_TRANSACTION = errorCode(20, 'UNKNOWN_TRANSACTION', 'USER_ERROR');
export const QUERY_REJECTED = errorCode(31, 'QUERY_REJECTED', 'USER_ERROR');
export const GENERIC_INTERNAL_ERROR = errorCode(65536, 'GENERIC_INTERNAL_ERROR', 'INTERNAL_ERROR');
export const NO_NODES_AVAILABLE = errorCode(65541, 'NO_NODES_AVAILABLE', 'INTERNAL_ERROR');
export const SERVER_SHUTTING_DOWN = errorCode(65545, 'SERVER_SHUTTING_DOWN', 'INTERNAL_ERROR');
export const SERVER_STARTING_UP = errorCode(65548, 'SERVER_STARTING_UP', 'INTERNAL_ERROR');
export const GENERIC_INSUFFICIENT_RESOURCES = errorCode(131072, 'GENERIC_INSUFFICIENT_RESOURCES', 'INSUFFICIENT_RESOURCES');
export const QUERY_QUEUE_FULL = errorCode(131074, 'QUERY_QUEUE_FULL', 'INSUFFICIENT_RESOURCES');
export const ABANDONED_QUERY = errorCode(2, 'ABANDONED_QUERY', 'USER_ERROR');
export const USER_CANCELED = errorCode(3, 'USER_CANCELED', 'USER_ERROR');
