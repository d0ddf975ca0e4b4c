/**
 * The one logger. JSON lines to stdout through pino, written asynchronously (a buffered
 * destination: nothing on the request path waits for the disk or a pipe). Anything that could
 * carry a secret is redacted twice over, so a mistake elsewhere cannot leak a token into the
 * log pipeline: by path (credential-named fields, at the top and one level down), and by
 * value in `headers` (object or header list) and in errors (credentials quoted in a message
 * or stack).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const CENSOR = '[redacted]';

/** Field names whose value is a credential wherever they appear. */
const SECRET_FIELDS = ['authorization', 'password', 'token', 'secret', 'cookie', 'credential', 'credentials', 'apiKey'];

export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-trino-extra-credential"]',
  'headers["x-presto-extra-credential"]',
  'headers["x-trino-password"]',
];

/** Headers whose value is a credential (lower case). */
const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-trino-extra-credential',
  'x-presto-extra-credential',
  'x-trino-password',
]);

/**
 * Credentials as they show up inside text: an HTTP auth scheme and its token, and
 * `password=…`-style pairs (URLs, connection strings, extra credentials).
 */
const SECRET_TEXT: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic|Digest|Negotiate)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${CENSOR}`],
  [/\b(password|passwd|pwd|secret|token|access_token|refresh_token|api_key|apikey)(["']?\s*[=:]\s*["']?)[^\s&,;"'}]+/gi, `$1$2${CENSOR}`],
  [/(\/\/[^/:@\s]+:)[^@/\s]+@/g, `$1${CENSOR}@`],
];

export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of SECRET_TEXT) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** `headers` as an object or as the router's header list ([name, value] pairs). */
export function redactHeaders(headers: unknown): unknown {
  if (Array.isArray(headers)) {
    return headers.map((entry: unknown) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') return entry;
      return SECRET_HEADERS.has(entry[0].toLowerCase()) ? [entry[0], CENSOR] : entry;
    });
  }
  if (headers !== null && typeof headers === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(headers)) copy[name] = SECRET_HEADERS.has(name.toLowerCase()) ? CENSOR : value;
    return copy;
  }
  return headers;
}

function redactError(error: unknown): unknown {
  // The serializer builds a fresh object (messages and stacks of causes included): scrub it in place.
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  const fields = serialized as Record<string, unknown>;
  for (const key of ['message', 'stack', 'details']) {
    const value = fields[key];
    if (typeof value === 'string') fields[key] = scrubSecrets(value);
  }
  return fields;
}

export function createLogger(level: LevelWithSilent = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'trino-envoy-router' },
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      serializers: { err: redactError, error: redactError, headers: redactHeaders },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"warn" rather than pino's 40: readable without a lookup table.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
