/** A real router logger (redaction and all) writing JSON lines into memory. */
import { createLogger, type Logger } from '../../../src/observability/logger.js';

export interface CapturedLogs {
  readonly logger: Logger;
  /** Every line written, as written. */
  readonly lines: string[];
  /** The lines parsed. */
  records(): Record<string, unknown>[];
  /** One text holding all output, for "never appears" checks. */
  text(): string;
}

export function captureLogs(level: 'debug' | 'info' | 'warn' = 'debug'): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}
