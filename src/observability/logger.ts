/**
 * The one logger. JSON lines to stdout through pino; anything that could carry a secret is
 * redacted by path so a mistake elsewhere cannot leak a token into the log pipeline.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["x-trino-extra-credential"]',
  'headers["x-presto-extra-credential"]',
  'token',
  'secret',
  '*.token',
  '*.secret',
  '*.password',
];

export function createLogger(level: LevelWithSilent = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'trino-envoy-router' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
