/**
 * Base of every error the router raises on purpose. `code` is stable and machine-readable;
 * `context` carries the values that explain the failure (never secrets).
 */
export class RouterError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
