/**
 * The login flows whose state lives in ONE coordinator, as Trino 482 runs them (read from
 * core/trino-main/src/main/java/io/trino/server/security/oauth2/ and server/ui/):
 *   401 of an OAuth2 authenticator  WWW-Authenticate: Bearer x_redirect_server="<base>/oauth2/token/initiate/<hash>",
 *                                   x_token_server="<base>/oauth2/token/<authId>"   (OAuth2Authenticator.needAuthentication)
 *   GET  /oauth2/token/initiate/{hash}   303 to the IdP, state JWS with claim handler_state = hash (OAuth2Service.startOAuth2Challenge)
 *   GET  /oauth2/callback?state&code     the IdP's redirect; handler_state names the pending token (OAuth2CallbackResource)
 *   GET|DELETE /oauth2/token/{authId}    token polls and their end (OAuth2TokenExchangeResource)
 *   POST /ui/login, /ui/auth/login (483+), /ui/legacy/login   sets Trino-UI-Token (server/ui/LoginResource)
 * hash = lower-case hex SHA-256 of the auth id's canonical text (OAuth2TokenExchange.hashAuthId),
 * so every step maps to one key. Pure: nothing here verifies a signature the router has no key for.
 */
import { createHash } from 'node:crypto';
import type { HeaderList } from './header-list.js';

export const OAUTH2_TOKEN_ROOT = '/oauth2/token/';
export const OAUTH2_INITIATE_ROOT = '/oauth2/token/initiate/';
export const OAUTH2_CALLBACK_PATH = '/oauth2/callback';
/** The web UI's session cookie (FormWebUiAuthenticationFilter.TRINO_UI_COOKIE). */
export const TRINO_UI_COOKIE = 'Trino-UI-Token';
/** OAuth2Service.HANDLER_STATE_CLAIM */
export const HANDLER_STATE_CLAIM = 'handler_state';

/** java.util.UUID#toString: 8-4-4-4-12 hex digits (Trino parses the path parameter as a UUID). */
const AUTH_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const AUTH_ID_HASH = /^[0-9a-f]{64}$/;
/** A state JWS longer than this is no state Trino wrote (header, a few claims, an HS256 signature). */
const MAX_STATE_CHARS = 4096;
const UI_LOGIN_PATHS = new Set(['/ui/login', '/ui/auth/login', '/ui/legacy/login']);

export type LoginPath =
  | { readonly kind: 'oauth2Initiate'; readonly authIdHash: string }
  | { readonly kind: 'oauth2Token'; readonly authIdHash: string }
  /** authIdHash undefined: a Web UI OAuth2 callback (its state carries no handler_state). */
  | { readonly kind: 'oauth2Callback'; readonly authIdHash: string | undefined }
  | { readonly kind: 'uiLogin' }
  /** A web UI page or `/ui/api/*` call that names no query. */
  | { readonly kind: 'uiSession' }
  | { readonly kind: 'invalidLogin'; readonly reason: string };

const UI_LOGIN: LoginPath = Object.freeze({ kind: 'uiLogin' });
const UI_SESSION: LoginPath = Object.freeze({ kind: 'uiSession' });

/** Lower-case hex SHA-256 of the auth id as Java's UUID prints it (lower case). */
export function hashAuthId(authId: string): string {
  return createHash('sha256').update(authId.toLowerCase(), 'utf8').digest('hex');
}

/**
 * What a path means to a login flow, or undefined when it is none of them. Only called for
 * paths the query classifier calls `other`, so queries' UI pages never come here.
 */
export function classifyLoginPath(method: string, path: string): LoginPath | undefined {
  const queryStart = path.indexOf('?');
  const end = queryStart < 0 ? path.length : queryStart;
  const pathOnly = queryStart < 0 ? path : path.slice(0, end);
  if (path.startsWith('/oauth2/')) {
    if (pathOnly.startsWith(OAUTH2_INITIATE_ROOT)) {
      const hash = pathOnly.slice(OAUTH2_INITIATE_ROOT.length);
      return AUTH_ID_HASH.test(hash) ? { kind: 'oauth2Initiate', authIdHash: hash } : invalid('malformed OAuth2 initiate path');
    }
    if (pathOnly.startsWith(OAUTH2_TOKEN_ROOT)) {
      const authId = pathOnly.slice(OAUTH2_TOKEN_ROOT.length);
      return AUTH_ID.test(authId) ? { kind: 'oauth2Token', authIdHash: hashAuthId(authId) } : invalid('malformed OAuth2 token path');
    }
    if (pathOnly === OAUTH2_CALLBACK_PATH) return callback(queryStart < 0 ? '' : path.slice(queryStart + 1));
    return undefined;
  }
  if (!path.startsWith('/ui/') && pathOnly !== '/ui') return undefined;
  if (UI_LOGIN_PATHS.has(pathOnly)) return method === 'POST' ? UI_LOGIN : UI_SESSION;
  return UI_SESSION;
}

function invalid(reason: string): LoginPath {
  return { kind: 'invalidLogin', reason };
}

function callback(query: string): LoginPath {
  let state: string | null;
  try {
    state = new URLSearchParams(query).get('state');
  } catch {
    return invalid('malformed OAuth2 callback query');
  }
  // Without a state Trino refuses the callback itself (400): nothing to keep together.
  if (state === null) return { kind: 'oauth2Callback', authIdHash: undefined };
  const claim = handlerStateOf(state);
  if (claim === 'malformed') return invalid('the OAuth2 state is not a JWS Trino wrote');
  return { kind: 'oauth2Callback', authIdHash: claim };
}

/**
 * The `handler_state` claim of a compact JWS, read without its key (Trino signs it with
 * oauth2.state-key or a random key per process). undefined: a well-formed state without the
 * claim (the Web UI flow); 'malformed': not a JWS, or a claim that is not a hash.
 */
export function handlerStateOf(state: string): string | undefined | 'malformed' {
  if (state.length === 0 || state.length > MAX_STATE_CHARS) return 'malformed';
  const parts = state.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return 'malformed';
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return 'malformed';
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return 'malformed';
  const value: unknown = (claims as Record<string, unknown>)[HANDLER_STATE_CLAIM];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' && AUTH_ID_HASH.test(value) ? value : 'malformed';
}

/**
 * The auth id hashes an OAuth2 challenge names: from x_redirect_server (its initiate path)
 * and from x_token_server (the hash of its auth id; a refresh challenge has only this one).
 * Every WWW-Authenticate line is read; anything that is not Trino's Bearer challenge is skipped.
 */
export function oauth2ChallengeHashes(headers: HeaderList): string[] {
  const hashes: string[] = [];
  for (const [name, value] of headers) {
    if (name !== 'www-authenticate' || !/^\s*bearer\s/i.test(value)) continue;
    const redirect = challengeParameter(value, 'x_redirect_server');
    const redirectPath = redirect === undefined ? undefined : pathOf(redirect);
    if (redirectPath !== undefined) {
      const login = classifyLoginPath('GET', redirectPath);
      if (login?.kind === 'oauth2Initiate' && !hashes.includes(login.authIdHash)) hashes.push(login.authIdHash);
    }
    const token = challengeParameter(value, 'x_token_server');
    const tokenPath = token === undefined ? undefined : pathOf(token);
    if (tokenPath !== undefined) {
      const login = classifyLoginPath('GET', tokenPath);
      if (login?.kind === 'oauth2Token' && !hashes.includes(login.authIdHash)) hashes.push(login.authIdHash);
    }
  }
  return hashes;
}

function challengeParameter(challenge: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|[\\s,])${name}="([^"]{1,4096})"`, 'i').exec(challenge);
  return match?.[1];
}

/** The path of an absolute URI (a gateway's own prefix in front of it is kept: the caller strips it). */
function pathOf(uri: string): string | undefined {
  try {
    return new URL(uri).pathname;
  } catch {
    return undefined;
  }
}

/** The value of a request cookie (every Cookie line, `; `-separated pairs); the first wins. */
export function requestCookie(headers: HeaderList, cookieName: string): string | undefined {
  for (const [name, value] of headers) {
    if (name !== 'cookie') continue;
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === cookieName) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** Whether a response sets a non-empty Trino-UI-Token (a login that succeeded, not a logout). */
export function setsUiToken(headers: HeaderList): boolean {
  for (const [name, value] of headers) {
    if (name !== 'set-cookie') continue;
    const eq = value.indexOf('=');
    if (eq <= 0 || value.slice(0, eq).trim() !== TRINO_UI_COOKIE) continue;
    const end = value.indexOf(';', eq);
    const token = value.slice(eq + 1, end < 0 ? value.length : end).trim();
    if (token !== '' && token !== '""' && token !== 'delete') return true;
  }
  return false;
}
