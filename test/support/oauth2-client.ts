/**
 * A client that does what Trino's Java client does for OAuth2 (client/trino-client
 * ExternalAuthenticator and HttpTokenPoller): the 401's Bearer challenge, the browser sent to
 * x_redirect_server (following redirects through the IdP), GET x_token_server until `token`
 * (nextUri while pending, 503 retried), DELETE it, then the query with the bearer token.
 * Coordinators speak OAuth2 only over https: these clients stand behind a TLS terminator
 * (they send X-Forwarded-Proto: https and reach the https URLs Trino hands out over http).
 */
import { expect } from 'vitest';

/** The TLS terminator in front of Envoy: https URLs of Envoy's address are reached over http, marked https. */
export function throughTls(url: string, envoyUrl: string): { url: string; headers: Record<string, string> } {
  const envoyHost = new URL(envoyUrl).host;
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' && parsed.host === envoyHost) {
    parsed.protocol = 'http:';
    return { url: parsed.toString(), headers: { 'x-forwarded-proto': 'https' } };
  }
  return { url, headers: {} };
}

/** The gateway's https address the clients use (the TLS terminator's). */
export function httpsOf(envoyUrl: string): string {
  return envoyUrl.replace(/^http:/, 'https:');
}

export async function call(envoyUrl: string, url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const target = throughTls(url, envoyUrl);
  return fetch(target.url, { method: init.method ?? 'GET', body: init.body, headers: { ...target.headers, ...init.headers }, redirect: 'manual' });
}

/** A browser: follows redirects (303 to the IdP and back), keeping cookies per host; the final status. */
export async function browse(envoyUrl: string, start: string): Promise<number> {
  const cookies = new Map<string, string[]>();
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const host = new URL(url).host;
    const jar = cookies.get(host) ?? [];
    const response = await call(envoyUrl, url, jar.length === 0 ? {} : { headers: { cookie: jar.join('; ') } });
    for (const line of response.headers.getSetCookie()) cookies.set(host, [...jar, line.split(';')[0] ?? '']);
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) return response.status;
    url = new URL(location, url).toString();
  }
  throw new Error('too many redirects');
}

export interface Challenge {
  readonly redirectServer: string;
  readonly tokenServer: string;
}

/** ExternalAuthenticator: the x_redirect_server and x_token_server of a Bearer challenge. */
export function bearerChallenge(response: Response): Challenge | undefined {
  for (const value of (response.headers.get('www-authenticate') ?? '').split(/,\s*(?=Bearer\s)/i)) {
    const redirect = /x_redirect_server="([^"]+)"/.exec(value)?.[1];
    const token = /x_token_server="([^"]+)"/.exec(value)?.[1];
    if (redirect !== undefined && token !== undefined) return { redirectServer: redirect, tokenServer: token };
  }
  return undefined;
}

/** HttpTokenPoller: GET the token URI, follow nextUri while pending, then DELETE it. */
export async function pollForToken(envoyUrl: string, tokenUri: string): Promise<string> {
  let uri = tokenUri;
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await call(envoyUrl, uri);
    if (response.status === 503) continue;
    if (response.status !== 200) throw new Error(`token poll answered ${response.status}: ${await response.text()}`);
    const body = await response.json() as { token?: string; nextUri?: string; error?: string };
    if (body.error !== undefined) throw new Error(`token poll failed: ${body.error}`);
    if (body.token !== undefined) {
      const deleted = await call(envoyUrl, tokenUri, { method: 'DELETE' });
      await deleted.body?.cancel();
      return body.token;
    }
    if (body.nextUri !== undefined) uri = body.nextUri;
  }
  throw new Error('no token');
}

/** Runs a query to its end with the bearer token; the cluster that served its rows. */
export async function runQuery(envoyUrl: string, token: string): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  let response = await call(envoyUrl, `${httpsOf(envoyUrl)}/v1/statement`, { method: 'POST', body: 'SELECT * FROM t /* rows=2 */', headers });
  const clusters = new Set<string>();
  for (let page = 0; page < 100; page++) {
    if (response.status !== 200) throw new Error(`query answered ${response.status}: ${await response.text()}`);
    const body = await response.json() as { nextUri?: string; data?: unknown[][]; error?: { message: string } };
    if (body.error !== undefined) throw new Error(body.error.message);
    for (const row of body.data ?? []) clusters.add(String(row[1]));
    if (body.nextUri === undefined) return [...clusters].join(',');
    response = await call(envoyUrl, body.nextUri, { headers });
  }
  throw new Error('query did not finish');
}

/** The Java client's whole OAuth2 login: the cluster that challenged and the token. */
export async function oauth2Login(envoyUrl: string): Promise<{ challenge: Challenge; token: string }> {
  const refused = await call(envoyUrl, `${httpsOf(envoyUrl)}/v1/statement`, { method: 'POST', body: 'SELECT 1' });
  await refused.body?.cancel();
  expect(refused.status).toBe(401);
  const challenge = bearerChallenge(refused);
  if (challenge === undefined) throw new Error('no OAuth2 challenge');
  // The browser and the poller run at once, as in the Java client.
  const [browserStatus, token] = await Promise.all([browse(envoyUrl, challenge.redirectServer), pollForToken(envoyUrl, challenge.tokenServer)]);
  expect(browserStatus).toBe(200);
  return { challenge, token };
}

