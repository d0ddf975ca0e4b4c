/**
 * The web UI's form login over plain HTTP, as Trino runs it with no password authenticator
 * (the "insecure" form: a user name, no password). Follows
 * core/trino-main/src/main/java/io/trino/server/ui/FormWebUiAuthenticationFilter.java and
 * LoginResource.java: `POST /ui/login` (form `username`, `password`, `redirectPath`) sets the
 * `Trino-UI-Token` cookie (Path=/ui, HttpOnly) and answers 303; every `/ui/api/*` path needs
 * the cookie (401 `WWW-Authenticate: Trino-Form-Login` otherwise) and other UI pages redirect
 * to the login form. X-Trino-User counts for nothing here. The token is signed with a key
 * drawn per coordinator process unless web-ui.shared-secret is set, so another coordinator, or this one
 * after a restart, reads it as "not logged in".
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const UI_TOKEN_COOKIE = 'Trino-UI-Token';
export const FORM_LOGIN_CHALLENGE = 'Trino-Form-Login';
export const LOGIN_FORM_PATH = '/ui/login.html';
export const UI_HOME_PATH = '/ui/';

export type LoginOutcome =
  | { readonly ok: true; readonly cookie: string; readonly location: string }
  | { readonly ok: false; readonly location: string };

export class UiSessions {
  private key: Buffer;

  /** `sharedSecret`: web-ui.shared-secret, the same key on every coordinator and across restarts. */
  constructor(private readonly sharedSecret?: string) {
    this.key = this.newKey();
  }

  private newKey(): Buffer {
    return this.sharedSecret === undefined ? randomBytes(32) : Buffer.from(this.sharedSecret, 'utf8');
  }

  /** A new coordinator process: tokens issued before no longer verify (unless the secret is shared). */
  rotate(): void {
    this.key = this.newKey();
  }

  /** Over HTTP only a user name is accepted; a password is refused (it would travel in clear). */
  login(form: URLSearchParams): LoginOutcome {
    const username = form.get('username')?.trim() ?? '';
    const password = form.get('password') ?? '';
    if (username === '' || password !== '') return { ok: false, location: LOGIN_FORM_PATH };
    const redirectPath = form.get('redirectPath') ?? '';
    return {
      ok: true,
      cookie: `${UI_TOKEN_COOKIE}=${this.sign(username)}; Path=/ui; HttpOnly`,
      location: redirectPath === '' ? UI_HOME_PATH : redirectPath,
    };
  }

  /** The logged-in user the request's cookie names, if its token verifies. */
  user(headers: IncomingHttpHeaders): string | undefined {
    const token = cookieValue(headers.cookie, UI_TOKEN_COOKIE);
    if (token === undefined) return undefined;
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const payload = token.slice(0, dot);
    const expected = Buffer.from(this.mac(payload));
    const actual = Buffer.from(token.slice(dot + 1));
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    return Buffer.from(payload, 'base64url').toString('utf8');
  }

  private sign(username: string): string {
    const payload = Buffer.from(username, 'utf8').toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
