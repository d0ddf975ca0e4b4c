/**
 * The HTTP side of one round of checks against one coordinator: every request shares one
 * deadline (an AbortController the clock fires after timeoutMs), so a hanging coordinator
 * costs the round exactly its timeout, and close() of the monitor aborts it at once.
 */
import type { Clock, TimerHandle } from './clock.js';
import { describeFailure, HealthCheckError, type CheckName } from './check-error.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Longest body a status document or a result page may have; a coordinator sends far less. */
const MAX_BODY_CHARS = 8 * 1024 * 1024;

export class HttpSession {
  private readonly controller = new AbortController();
  private readonly timer: TimerHandle;
  private timedOut = false;

  constructor(
    private readonly fetch: FetchLike,
    private readonly clock: Clock,
    readonly timeoutMs: number,
  ) {
    this.timer = clock.setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
    }, timeoutMs);
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  /** Stops the round: pending requests fail, the deadline timer is released. */
  abort(): void {
    this.controller.abort();
    this.clock.clearTimeout(this.timer);
  }

  /** Releases the deadline timer once the round is over. */
  finish(): void {
    this.clock.clearTimeout(this.timer);
  }

  /** Sends a request and parses a JSON answer; any failure is a HealthCheckError naming `check`. */
  async json(check: CheckName, url: string, init: RequestInit = {}): Promise<unknown> {
    const method = init.method ?? 'GET';
    const label = `${method} ${pathOf(url)}`;
    let response: Response;
    try {
      response = await this.fetch(url, { ...init, headers: fresh(init.headers), signal: this.controller.signal, redirect: 'manual' });
    } catch (error) {
      throw this.failure(check, label, error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.failure(check, label, error);
    }
    if (response.status !== 200) {
      throw new HealthCheckError(check, `${label}: HTTP ${response.status}${snippet(text)}`, { url, status: response.status });
    }
    if (text.length > MAX_BODY_CHARS) {
      throw new HealthCheckError(check, `${label}: answer of ${text.length} characters is too large`, { url });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HealthCheckError(check, `${label}: answer is not JSON${snippet(text)}`, { url });
    }
  }

  /**
   * POSTs a form without following a redirect (a login answers 303) and returns the status and
   * the Set-Cookie values; any transport failure is a HealthCheckError naming `check`.
   */
  async postForm(check: CheckName, url: string, form: URLSearchParams): Promise<{ status: number; cookies: string[] }> {
    const label = `POST ${pathOf(url)}`;
    try {
      const response = await this.fetch(url, {
        method: 'POST',
        headers: fresh({ 'Content-Type': 'application/x-www-form-urlencoded' }),
        body: form.toString(),
        signal: this.controller.signal,
        redirect: 'manual',
      });
      await response.body?.cancel();
      return { status: response.status, cookies: response.headers.getSetCookie() };
    } catch (error) {
      throw this.failure(check, label, error);
    }
  }

  /** Fire and forget (cancelling an abandoned health query); failures do not matter. */
  send(url: string, init: RequestInit, timeoutMs: number): void {
    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(), timeoutMs);
    this.fetch(url, { ...init, headers: fresh(init.headers), signal: controller.signal, redirect: 'manual' })
      .then((response) => response.body?.cancel())
      .catch(() => undefined)
      .finally(() => this.clock.clearTimeout(timer));
  }

  private failure(check: CheckName, label: string, error: unknown): HealthCheckError {
    if (this.timedOut) return new HealthCheckError(check, `${label}: no answer within ${this.timeoutMs} ms`, { timeoutMs: this.timeoutMs }, { cause: error });
    if (this.controller.signal.aborted) return new HealthCheckError(check, `${label}: check stopped`, {}, { cause: error });
    return new HealthCheckError(check, `${label}: ${describeFailure(error)}`, {}, { cause: error });
  }
}

/**
 * Every check opens its own connection: a coordinator that accepts no new connections is seen
 * at once, and a restarted one is never asked over a kept-alive socket of its old process.
 */
function fresh(headers: HeadersInit | undefined): Headers {
  const merged = new Headers(headers);
  merged.set('Connection', 'close');
  return merged;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** The start of an error body, on one line, for the status (never the whole page). */
function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return line === '' ? '' : ` (${line})`;
}
