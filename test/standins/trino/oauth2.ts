/**
 * OAuth2 as a coordinator runs it for CLI/JDBC clients, state kept in this coordinator only.
 * Follows core/trino-main/src/main/java/io/trino/server/security/oauth2/ of Trino 482:
 * - OAuth2Authenticator.needAuthentication: a request without a valid token gets
 *   `Bearer x_redirect_server="<origin>/oauth2/token/initiate/<hash>", x_token_server="<origin>/oauth2/token/<authId>"`
 *   (authId a random UUID, hash = OAuth2TokenExchange.hashAuthId: hex SHA-256; no X-Forwarded-Prefix in either);
 * - OAuth2TokenExchangeResource initiate -> OAuth2Service.startOAuth2Challenge: 303 to the IdP's
 *   authorization endpoint with a state JWS (HS256 with SHA-256 of oauth2.state-key, else 32
 *   random bytes per process; audience trino_oauth_ui; claim handler_state = the hash; exp =
 *   the challenge timeout) and redirect_uri = <origin><X-Forwarded-Prefix>/oauth2/callback.
 *   No nonce cookie: the stand-in's scopes have no `openid` (OAuth2Service adds one only then);
 * - OAuth2CallbackResource -> finishOAuth2Challenge: a state that does not verify is 400
 *   "Authentication response could not be verified"; else the code is exchanged at the IdP's
 *   token endpoint and the token handed to the pending poll of handler_state (200 success page);
 * - OAuth2TokenExchange: a poll of an unknown id creates its pending entry (a LoadingCache),
 *   so a poll on another coordinator waits until the challenge timeout, then
 *   {"error":"Authentication has timed out"}; the resource answers {"nextUri": the request
 *   URL} after MAX_POLL_TIME (10 s) pending, {"token"} or {"error"}; DELETE sets "Authentication
 *   has been finished by the client" and answers 200 "Authentication deleted";
 * - the access token (the IdP's JWT, no refresh tokens) is accepted where its signature, issuer
 *   and audience verify: any coordinator configured with the same IdP.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface OAuth2Settings {
  /** http-server.authentication.oauth2.issuer: the IdP's base URL (its /authorize and /token). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The key the IdP signs access tokens with (HS256, standing in for its JWKS). */
  readonly tokenKey: string;
  /** http-server.authentication.oauth2.state-key; absent: a random key per coordinator process. */
  readonly stateKey?: string;
  /** http-server.authentication.oauth2.challenge-timeout; default 15 minutes. */
  readonly challengeTimeoutMs?: number;
  /** OAuth2TokenExchange.MAX_POLL_TIME; default 10 s (tests lower it). */
  readonly pollHoldMs?: number;
}

export const OAUTH2_CALLBACK = '/oauth2/callback';
const STATE_AUDIENCE = 'trino_oauth_ui';
const TIMED_OUT = 'Authentication has timed out';
const DROPPED = 'Authentication has been finished by the client';
const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

type Poll = { readonly token: string } | { readonly error: string };

interface Pending {
  poll: Poll | undefined;
  readonly waiters: ((poll: Poll) => void)[];
  readonly timer: NodeJS.Timeout;
}

export function hashAuthId(authId: string): string {
  return createHash('sha256').update(authId.toLowerCase()).digest('hex');
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signHs256(key: Buffer | string, claims: Record<string, unknown>): string {
  const head = b64({ alg: 'HS256' });
  const body = b64(claims);
  return `${head}.${body}.${createHmac('sha256', key).update(`${head}.${body}`).digest('base64url')}`;
}

/** The claims of an HS256 JWS that verifies under `key`, or undefined. */
export function verifyHs256(key: Buffer | string, token: string): Record<string, unknown> | undefined {
  const [head, body, signature, extra] = token.split('.');
  if (head === undefined || body === undefined || signature === undefined || extra !== undefined) return undefined;
  const expected = Buffer.from(createHmac('sha256', key).update(`${head}.${body}`).digest('base64url'));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    const record = claims as Record<string, unknown>;
    if (typeof record.exp === 'number' && record.exp * 1000 <= Date.now()) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

export class OAuth2Exchange {
  private stateKey: Buffer;
  private readonly pending = new Map<string, Pending>();
  readonly challengeTimeoutMs: number;
  readonly pollHoldMs: number;

  constructor(readonly settings: OAuth2Settings) {
    this.stateKey = OAuth2Exchange.stateKeyOf(settings);
    this.challengeTimeoutMs = settings.challengeTimeoutMs ?? 15 * 60_000;
    this.pollHoldMs = settings.pollHoldMs ?? 10_000;
  }

  private static stateKeyOf(settings: OAuth2Settings): Buffer {
    return settings.stateKey === undefined ? randomBytes(32) : createHash('sha256').update(settings.stateKey).digest();
  }

  /** A new coordinator process: pending logins and a random state key are gone. */
  restart(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    this.stateKey = OAuth2Exchange.stateKeyOf(this.settings);
  }

  /** OAuth2Authenticator: the user of a valid access token, else the challenge to send. */
  authenticate(req: IncomingMessage, origin: string): { principal: string } | { message: string; challenge: string } {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header);
    const claims = match?.[1] === undefined ? undefined : verifyHs256(this.settings.tokenKey, match[1]);
    if (claims !== undefined && claims.iss === this.settings.issuer && claims.aud === this.settings.clientId && typeof claims.sub === 'string') {
      return { principal: claims.sub };
    }
    const authId = randomUUID();
    return {
      message: match === null ? 'Unauthorized' : 'Invalid credentials',
      challenge: `Bearer x_redirect_server="${origin}/oauth2/token/initiate/${hashAuthId(authId)}", x_token_server="${origin}/oauth2/token/${authId}"`,
    };
  }

  /** GET /oauth2/token/initiate/{hash}: where the browser goes next (Location of the 303). */
  initiate(authIdHash: string, callbackUri: string): string {
    const state = signHs256(this.stateKey, {
      aud: STATE_AUDIENCE,
      handler_state: authIdHash,
      exp: Math.floor((Date.now() + this.challengeTimeoutMs) / 1000),
    });
    const query = new URLSearchParams({ response_type: 'code', client_id: this.settings.clientId, redirect_uri: callbackUri, state, scope: 'trino' });
    return `${this.settings.issuer}/authorize?${query.toString()}`;
  }

  /** GET /oauth2/callback: 200 when the login is handed to its poll, 400 when the state does not verify here. */
  async callback(params: URLSearchParams, callbackUri: string): Promise<{ status: number; body: string }> {
    const failure = { status: 400, body: '<html><body>Authentication response could not be verified</body></html>' };
    const claims = verifyHs256(this.stateKey, params.get('state') ?? '');
    if (claims === undefined || claims.aud !== STATE_AUDIENCE) return failure;
    const handlerState = typeof claims.handler_state === 'string' ? claims.handler_state : undefined;
    const error = params.get('error');
    if (error !== null) {
      if (handlerState !== undefined) this.settle(handlerState, { error: `Authentication response could not be verified: error=${error}` });
      return { status: 200, body: `<html><body>OAuth2 error: ${error}</body></html>` };
    }
    const code = params.get('code');
    if (code === null || handlerState === undefined) return failure;
    const response = await fetch(`${this.settings.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callbackUri, client_id: this.settings.clientId, client_secret: this.settings.clientSecret }).toString(),
    }).catch(() => undefined);
    const json = response?.ok === true ? (await response.json()) as { access_token?: unknown } : undefined;
    if (typeof json?.access_token !== 'string') {
      this.settle(handlerState, { error: `Authentication response could not be verified: state=${handlerState}` });
      return failure;
    }
    this.settle(handlerState, { token: json.access_token });
    return { status: 200, body: '<html><body>Authentication successful: you may close this window</body></html>' };
  }

  /** GET /oauth2/token/{authId}: the token, an error, or (after the hold) pending. undefined: not a UUID (404). */
  async poll(authId: string): Promise<Poll | 'pending' | undefined> {
    if (!UUID_TEXT.test(authId)) return undefined;
    const entry = this.entry(hashAuthId(authId));
    if (entry.poll !== undefined) return entry.poll;
    return new Promise((resolve) => {
      const hold = setTimeout(() => {
        const i = entry.waiters.indexOf(done);
        if (i >= 0) entry.waiters.splice(i, 1);
        resolve('pending');
      }, this.pollHoldMs);
      const done = (poll: Poll): void => {
        clearTimeout(hold);
        resolve(poll);
      };
      entry.waiters.push(done);
    });
  }

  /** DELETE /oauth2/token/{authId}; false: not a UUID (404). */
  drop(authId: string): boolean {
    if (!UUID_TEXT.test(authId)) return false;
    this.settle(hashAuthId(authId), { error: DROPPED }, true);
    return true;
  }

  /** Pending entries, as the LoadingCache creates them: on first use, timing out. */
  private entry(authIdHash: string): Pending {
    let entry = this.pending.get(authIdHash);
    if (entry === undefined) {
      const timer = setTimeout(() => this.settle(authIdHash, { error: TIMED_OUT }, true), this.challengeTimeoutMs);
      timer.unref();
      entry = { poll: undefined, waiters: [], timer };
      this.pending.set(authIdHash, entry);
    }
    return entry;
  }

  private settle(authIdHash: string, poll: Poll, overwrite = false): void {
    const entry = this.entry(authIdHash);
    if (entry.poll !== undefined && !overwrite) return;
    entry.poll = poll;
    for (const waiter of entry.waiters.splice(0)) waiter(poll);
  }
}
