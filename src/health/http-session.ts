/**
 * The HTTP side of one round of checks against one coordinator: every request shares one
 * deadline (an AbortController the clock fires after timeoutMs), so a hanging coordinator
 * costs the round exactly its timeout, and close() of the monitor aborts it at once.
 */
import type { Clock, TimerHandle } from './clock.js';
import { describeFailure, HealthCheckError, isTlsFailure, type CheckName } from './check-error.js';

/** Client certificate and trusted CAs of an https coordinator (PEM text), for the transport. */
export interface TlsMaterial {
  /** CAs that sign the coordinator's certificate; absent: the system's. */
  readonly ca?: string | undefined;
  /** Client certificate and key, for mutual TLS. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export type MonitorRequestInit = RequestInit & { readonly tls?: TlsMaterial | undefined };

export type FetchLike = (url: string, init: MonitorRequestInit) => Promise<Response>;

/** Who the round talks to and what it presents (credentials.ts builds it). */
export interface SessionIdentity {
  /** The backend's name, for messages ("401 from trino-a"). */
  readonly backend?: string | undefined;
  /** Sent on every request (Authorization). Never logged. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly tls?: TlsMaterial | undefined;
}

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
    private readonly identity: SessionIdentity = {},
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
      response = await this.fetch(url, this.init(init));
    } catch (error) {
      throw this.failure(check, label, url, error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.failure(check, label, url, error);
    }
    if (response.status === 401) throw this.refused(check, label, url, response);
    if (response.status !== 200) {
      const failure = response.status === 403 ? 'auth_refused' : response.status >= 500 ? 'down' : 'protocol';
      throw new HealthCheckError(check, `${label}: HTTP ${response.status}${snippet(text)}`, { url, status: response.status, failure });
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
      const response = await this.fetch(url, this.init({
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      }));
      await response.body?.cancel();
      return { status: response.status, cookies: response.headers.getSetCookie() };
    } catch (error) {
      throw this.failure(check, label, url, error);
    }
  }

  /** Fire and forget (cancelling an abandoned health query); failures do not matter. */
  send(url: string, init: RequestInit, timeoutMs: number): void {
    const controller = new AbortController();
    const timer = this.clock.setTimeout(() => controller.abort(), timeoutMs);
    this.fetch(url, { ...this.init(init), signal: controller.signal })
      .then((response) => response.body?.cancel())
      .catch(() => undefined)
      .finally(() => this.clock.clearTimeout(timer));
  }

  /** The request as sent: the identity's headers and TLS material, a fresh connection, this round's deadline. */
  private init(init: RequestInit): MonitorRequestInit {
    const headers = fresh(init.headers);
    for (const [name, value] of Object.entries(this.identity.headers ?? {})) headers.set(name, value);
    return { ...init, headers, signal: this.controller.signal, redirect: 'manual', ...(this.identity.tls === undefined ? {} : { tls: this.identity.tls }) };
  }

  private failure(check: CheckName, label: string, url: string, error: unknown): HealthCheckError {
    if (this.timedOut) return new HealthCheckError(check, `${label}: no answer within ${this.timeoutMs} ms`, { timeoutMs: this.timeoutMs, failure: 'timeout' }, { cause: error });
    if (this.controller.signal.aborted) return new HealthCheckError(check, `${label}: check stopped`, { failure: 'down' }, { cause: error });
    if (isTlsFailure(error)) {
      return new HealthCheckError(check, `${label}: TLS with ${this.backendName(url)} failed on the certificate: ${describeFailure(error)}`, { failure: 'tls' }, { cause: error });
    }
    return new HealthCheckError(check, `${label}: ${describeFailure(error)}`, { failure: 'down' }, { cause: error });
  }

  /**
   * A 401 (Trino's AuthenticationFilter: no authenticator accepted the request): the schemes the
   * coordinator asks for come from its WWW-Authenticate headers; the credentials never appear.
   */
  private refused(check: CheckName, label: string, url: string, response: Response): HealthCheckError {
    const schemes = challengeSchemes(response.headers.get('www-authenticate'));
    const asks = schemes.length === 0 ? '' : `; it asks for ${schemes.join(' or ')}`;
    const sent = this.identity.headers?.Authorization !== undefined || this.identity.tls?.cert !== undefined;
    const what = sent
      ? "the monitor's credentials were refused"
      : 'the coordinator requires authentication and the monitor sent no credentials (set monitor.auth)';
    return new HealthCheckError(check, `401 from ${this.backendName(url)}: ${what} (${label}${asks})`, { url, status: 401, failure: 'auth_refused' });
  }

  private backendName(url: string): string {
    if (this.identity.backend !== undefined) return this.identity.backend;
    try {
      return new URL(url).host;
    } catch {
      return 'the coordinator';
    }
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

/** The scheme names of one or more challenges (Trino sends one WWW-Authenticate per authenticator; fetch joins them with ", "). */
function challengeSchemes(header: string | null): string[] {
  if (header === null) return [];
  const schemes = new Set<string>();
  for (const match of header.matchAll(/(?:^|,)\s*([A-Za-z][\w-]*)(?=\s+[\w-]+=|\s*(?:,|$))/g)) {
    if (match[1] !== undefined) schemes.add(match[1]);
  }
  return [...schemes];
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
