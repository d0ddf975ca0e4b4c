/**
 * A small OAuth2 authorization server for tests (the IdP a Trino coordinator's OAuth2 settings
 * name): GET /authorize approves at once as its one user and redirects (303) to redirect_uri
 * with `state` and a one-time `code`; POST /token (authorization_code grant, client
 * credentials in the form) answers the access token, a JWT signed HS256 with the shared key
 * (iss = the IdP's URL, aud = the client id, sub = the user). Every request is recorded.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeIdp {
  readonly url: string;
  readonly tokenKey: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startFakeIdp(options: { user: string; clientId?: string; clientSecret?: string }): Promise<FakeIdp> {
  const clientId = options.clientId ?? 'trino';
  const clientSecret = options.clientSecret ?? 'trino-client-secret';
  const tokenKey = randomBytes(32).toString('hex');
  const codes = new Map<string, { redirectUri: string }>();
  const requests: { method: string; path: string }[] = [];
  let url = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
      const target = new URL(req.url ?? '/', url);
      if (req.method === 'GET' && target.pathname === '/authorize') {
        const redirectUri = target.searchParams.get('redirect_uri');
        const state = target.searchParams.get('state');
        if (redirectUri === null || state === null || target.searchParams.get('client_id') !== clientId) {
          res.writeHead(400).end('invalid_request');
          return;
        }
        const code = randomBytes(12).toString('hex');
        codes.set(code, { redirectUri });
        const location = new URL(redirectUri);
        location.searchParams.set('state', state);
        location.searchParams.set('code', code);
        res.writeHead(303, { Location: location.toString(), 'Content-Length': 0 }).end();
        return;
      }
      if (req.method === 'POST' && target.pathname === '/token') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (grant === undefined || form.get('redirect_uri') !== grant.redirectUri || form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
        const body = Buffer.from(JSON.stringify({ iss: url, aud: clientId, sub: options.user, exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
        const token = `${head}.${body}.${createHmac('sha256', tokenKey).update(`${head}.${body}`).digest('base64url')}`;
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, tokenKey, clientId, clientSecret, requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
