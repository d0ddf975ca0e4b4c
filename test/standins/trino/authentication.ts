/**
 * Authentication as a secured coordinator does it, before a resource that needs a user runs.
 * Follows core/trino-main/src/main/java/io/trino/server/security/AuthenticationFilter.java:
 * over https every configured authenticator is tried in order and the first that accepts
 * wins; when all refuse, 401 with their messages joined by " | " and one WWW-Authenticate per
 * authenticator that has a challenge. Over plain http only the insecure authenticator runs,
 * and only with http-server.authentication.allow-insecure-over-http; otherwise 403.
 * The open endpoints (/v1/info, /v1/info/state, /v1/status) never come here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { OAuth2Exchange, OAuth2Settings } from './oauth2.js';
import { basicCredentials } from './protocol-headers.js';

export type AuthenticatorType = 'PASSWORD' | 'JWT' | 'CERTIFICATE' | 'OAUTH2';

export interface AuthenticationSettings {
  /** http-server.authentication.type, in order. */
  readonly types: readonly AuthenticatorType[];
  /** PASSWORD with the file authenticator (password-authenticator.properties, file.password-file): user -> password. */
  readonly passwords?: Readonly<Record<string, string>>;
  /** JWT with an HMAC key (http-server.authentication.jwt.key-file holding a secret); the principal is `sub`. */
  readonly jwtKey?: string;
  /** OAUTH2 (http-server.authentication.oauth2.*) against an IdP (fake-idp.ts); see oauth2.ts. */
  readonly oauth2?: OAuth2Settings;
  /** http-server.authentication.allow-insecure-over-http; Trino's default is true. */
  readonly allowInsecureOverHttp?: boolean;
}

export type SecureAuthentication = { ok: true; principal: string } | { ok: false; message: string; challenges: string[] };

/** BasicAuthCredentials.AUTHENTICATE_HEADER, which PasswordAuthenticator.java answers with. */
const BASIC_CHALLENGE = 'Basic realm="Trino"';
/** jwt/JwtAuthenticator.java needAuthentication. */
const JWT_CHALLENGE = 'Bearer realm="Trino", token_type="JWT"';

/** Whether the request came over TLS (Jetty's isSecure; X-Forwarded-Proto counts when forwarding is processed). */
export function isSecure(req: IncomingMessage, processForwarded: boolean): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  const proto = req.headers['x-forwarded-proto'];
  return processForwarded && typeof proto === 'string' && proto.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** `oauth2`: this coordinator's token exchange and the request's external origin (no prefix), for OAUTH2. */
export function authenticateSecure(
  req: IncomingMessage, settings: AuthenticationSettings, oauth2?: { readonly exchange: OAuth2Exchange; readonly origin: string },
): SecureAuthentication {
  const messages = new Set<string>();
  const challenges = new Set<string>();
  for (const type of settings.types) {
    const outcome: Outcome = type === 'PASSWORD' ? password(req, settings) : type === 'JWT' ? jwt(req, settings)
      : type === 'OAUTH2' ? (oauth2 === undefined ? {} : oauth2.exchange.authenticate(req, oauth2.origin)) : certificate(req);
    if ('principal' in outcome) return { ok: true, principal: outcome.principal };
    if (outcome.message !== undefined) messages.add(outcome.message);
    if (outcome.challenge !== undefined) challenges.add(outcome.challenge);
  }
  return { ok: false, message: messages.size === 0 ? 'Unauthorized' : [...messages].join(' | '), challenges: [...challenges] };
}

type Outcome = { principal: string } | { message?: string; challenge?: string };

/**
 * Follows PasswordAuthenticator.java: no Basic header -> challenge without a message; a Basic
 * header without a password -> "Malformed credentials: password is empty"; the file
 * authenticator (plugin/trino-password-authenticators FileAuthenticator.java) refuses a wrong
 * pair with AccessDeniedException "Access Denied: Invalid credentials".
 */
function password(req: IncomingMessage, settings: AuthenticationSettings): Outcome {
  const basic = basicCredentials(req.headers);
  if (basic === undefined) return { challenge: BASIC_CHALLENGE };
  if (basic.password === '') return { message: 'Malformed credentials: password is empty' };
  const expected = settings.passwords?.[basic.user];
  if (expected === undefined || !same(expected, basic.password)) return { message: 'Access Denied: Invalid credentials', challenge: BASIC_CHALLENGE };
  return { principal: basic.user };
}

/**
 * Follows AbstractBearerAuthenticator.java (the token after "Bearer ") and jwt/JwtAuthenticator.java
 * (HS256 with the key, the principal from `sub`, an expired token refused).
 */
function jwt(req: IncomingMessage, settings: AuthenticationSettings): Outcome {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) return { challenge: JWT_CHALLENGE };
  const [head, payload, signature] = match[1].split('.');
  if (head === undefined || payload === undefined || signature === undefined || settings.jwtKey === undefined) {
    return { message: 'Invalid compact JWT string', challenge: JWT_CHALLENGE };
  }
  const expected = createHmac('sha256', settings.jwtKey).update(`${head}.${payload}`).digest('base64url');
  if (!same(expected, signature)) {
    return { message: 'JWT signature does not match locally computed signature. JWT validity cannot be asserted and should not be trusted.', challenge: JWT_CHALLENGE };
  }
  let claims: { sub?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return { message: 'Malformed JWT JSON', challenge: JWT_CHALLENGE };
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return { message: 'JWT expired', challenge: JWT_CHALLENGE };
  if (typeof claims.sub !== 'string') return { message: 'Invalid credentials', challenge: JWT_CHALLENGE };
  return { principal: claims.sub };
}

/**
 * Follows CertificateAuthenticator.java: the client certificate the TLS handshake verified
 * against the truststore; its subject's CN is the principal; without one, no challenge.
 */
function certificate(req: IncomingMessage): Outcome {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || socket.authorized !== true || socket.getPeerCertificate === undefined) return {};
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? { principal: cn } : {};
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A test JWT signed HS256 with `key`, as an IdP or a token service would issue it. */
export function signTestJwt(key: string, claims: Readonly<Record<string, unknown>>): string {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${head}.${payload}.${createHmac('sha256', key).update(`${head}.${payload}`).digest('base64url')}`;
}
