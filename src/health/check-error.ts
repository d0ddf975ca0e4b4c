/**
 * Why one health check failed. `check` names the probe (info, state, query, load) so
 * the status and the logs say which part of a coordinator is not answering.
 */
import { RouterError } from '../errors.js';

export type CheckName = 'info' | 'state' | 'query' | 'load';

export class HealthCheckError extends RouterError {
  constructor(
    readonly check: CheckName,
    message: string,
    context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super('health_check_failed', message, { check, ...context }, options);
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
