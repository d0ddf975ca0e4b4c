/**
 * Why one health check failed. `check` names the check (info, state, query, load, ui_stats) so
 * the status and the logs say which part of a coordinator is not answering, and `failure`
 * classifies it: an operator fixes a refused credential or an untrusted certificate
 * differently from a coordinator that is down.
 */
import { RouterError } from '../errors.js';

export type CheckName = 'info' | 'state' | 'query' | 'load' | 'ui_stats';

/**
 * - `down`: no answer (connection refused, reset, a 5xx), or the node cannot serve.
 * - `timeout`: no answer within the round's deadline.
 * - `auth_refused`: the coordinator refused the monitor's credentials (401), or none were sent.
 * - `tls`: the TLS handshake failed (an untrusted or wrong certificate, a refused client certificate).
 * - `protocol`: an answer the monitor cannot use (not JSON, not a coordinator, a failed query).
 * - `not_ready`: the coordinator answers but is not serving (not ACTIVE).
 * - `credentials`: the monitor could not read its own credentials (a file gone, a variable unset).
 */
export const FAILURE_KINDS = ['down', 'timeout', 'auth_refused', 'tls', 'protocol', 'not_ready', 'credentials'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export class HealthCheckError extends RouterError {
  readonly failure: FailureKind;

  constructor(
    readonly check: CheckName,
    message: string,
    context: Readonly<Record<string, unknown>> & { readonly failure?: FailureKind } = {},
    options?: { cause?: unknown },
  ) {
    const failure = context.failure ?? 'protocol';
    super('health_check_failed', message, { check, ...context, failure }, options);
    this.failure = failure;
  }
}

/** A short, log-safe description of any failure (a fetch error's cause carries the socket error). */
export function describeFailure(error: unknown): string {
  if (error instanceof HealthCheckError) return error.message;
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return `${error.message}${detail}`;
  }
  return String(error);
}

/** The kind of a failure: a HealthCheckError's own, or `down` for anything else. */
export function failureKindOf(error: unknown): FailureKind {
  if (error instanceof RouterError && error.code === 'monitor_credentials_unreadable') return 'credentials';
  return error instanceof HealthCheckError ? error.failure : 'down';
}

/** Node's and OpenSSL's codes for a TLS handshake that failed on a certificate. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
]);

/** True when a transport error (or its cause) is a failed TLS handshake. */
export function isTlsFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) return true;
    if (/certificate|ssl alert|tlsv1 alert|handshake/i.test(e.message)) return true;
  }
  return false;
}
