/**
 * Work run from a timer or a detached promise: an exception thrown there would end the process
 * (or be an unhandled rejection), so it is logged and the monitor goes on.
 */
export type MonitorLogger = Pick<import('pino').Logger, 'info' | 'warn' | 'error' | 'debug'>;

export function logFailure(logger: MonitorLogger, what: string, error: unknown, context: Record<string, unknown> = {}): void {
  try {
    logger.error({ ...context, err: error }, what);
  } catch {
    // Not even the log could take it; the monitor goes on.
  }
}

/** Runs the work of a timer, logging what it throws ("trying again at the next tick"). */
export function guarded(logger: MonitorLogger, what: string, work: () => void): void {
  try {
    work();
  } catch (error) {
    logFailure(logger, `${what}; trying again at the next tick`, error);
  }
}
