/**
 * The console's JSON API over plain HTTP: login with each token, the session cookie, CSRF,
 * read-only refusals, the admin API's errors with their fields, security headers, bad input.
 */
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterOf } from '../e2e/harness.js';
import { MAX_BODY_BYTES, MAX_FAILED_LOGINS, SECURITY_HEADERS } from '../../src/console/server.js';
import { ADMIN_TOKEN, login, READ_TOKEN, startConsoleChain, type ConsoleChain } from './support.js';

let chain: ConsoleChain;
beforeAll(async () => {
  chain = await startConsoleChain();
});
afterAll(async () => {
  await chain?.close();
});

const post = (path: string, init: { body?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${chain.consoleUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...init.headers }, body: init.body ?? '{}' });

describe('login', () => {
  it('gives the admin token full access and a HttpOnly, SameSite=Strict session cookie', async () => {
    const response = await post('/api/login', { body: JSON.stringify({ token: ADMIN_TOKEN }) });
    expect(response.status).toBe(200);
    const body = await response.json() as { access: string; csrfToken: string };
    expect(body.access).toBe('full');
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ter_console=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const session = await fetch(`${chain.consoleUrl}/api/session`, { headers: { cookie: cookie.split(';', 1)[0] as string } });
    expect(await session.json()).toEqual({ access: 'full', csrfToken: body.csrfToken });
  });

  it('gives the read-only token read access', async () => {
    expect((await login(chain.consoleUrl, READ_TOKEN)).access).toBe('read');
  });

  it('refuses a wrong or missing token', async () => {
    for (const body of [JSON.stringify({ token: 'not-the-token-at-all' }), '{}']) {
      const response = await post('/api/login', { body });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/^wrong token/) } });
    }
  });

  it('refuses a body that is not JSON (a cross-site form cannot log a browser in)', async () => {
    const response = await fetch(`${chain.consoleUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN_TOKEN}` });
    expect(response.status).toBe(415);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('ends the session at logout', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    const out = await post('/api/logout', { headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^ter_console=; .*Max-Age=0/);
    expect((await session.admin('StatusService/GetStatus')).status).toBe(401);
  });
});

describe('admin calls', () => {
  it('answers the admin API reply as proto3 JSON', async () => {
    const session = await login(chain.consoleUrl, READ_TOKEN);
    const { status, body } = await session.admin('BackendService/ListBackends');
    expect(status).toBe(200);
    expect(body.backends.map((b: { name: string }) => b.name)).toEqual(['trino-a', 'trino-b']);
  });

  it('changes routing with the admin token: a disabled backend gets no new query', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    const disabled = await session.admin('BackendService/DisableBackend', { name: 'trino-a' });
    expect(disabled).toMatchObject({ status: 200, body: { backend: { name: 'trino-a', enabled: false }, changed: true } });
    try {
      // alice's rule sends her to trino-a; the group's other member takes what trino-a cannot.
      for (let i = 0; i < 3; i++) expect(await clusterOf(chain, 'SELECT 1 /* rows=1 */')).toBe('trino-b');
    } finally {
      expect((await session.admin('BackendService/EnableBackend', { name: 'trino-a' })).status).toBe(200);
    }
  });

  it('refuses every change to a read-only session, in the console and in the admin API', async () => {
    const session = await login(chain.consoleUrl, READ_TOKEN);
    for (const [method, request] of [
      ['BackendService/DisableBackend', { name: 'trino-a' }],
      ['RuleService/DeleteRule', { name: 'alice-on-a' }],
      ['ConfigService/ExportConfig', { includeSecrets: true }],
    ] as const) {
      const { status, body } = await session.admin(method, request);
      expect(status, method).toBe(403);
      expect(body.error.code).toBe('PERMISSION_DENIED');
      expect(body.error.message).toMatch(/read-only admin token may not call/);
    }
    const full = await login(chain.consoleUrl, ADMIN_TOKEN);
    const { body } = await full.admin('BackendService/GetBackend', { name: 'trino-a' });
    expect(body.backend.enabled).toBe(true);
    expect((await full.admin('RuleService/GetRule', { name: 'alice-on-a' })).status).toBe(200);
  });

  it('refuses a change without the CSRF token, or with a wrong one', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    for (const headers of [{ cookie: session.cookie }, { cookie: session.cookie, 'x-csrf-token': 'guessed' }] as Record<string, string>[]) {
      const response = await post('/api/admin/BackendService/DisableBackend', { headers, body: JSON.stringify({ name: 'trino-a' }) });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'csrf' } });
    }
    expect((await session.admin('BackendService/GetBackend', { name: 'trino-a' })).body.backend.enabled).toBe(true);
  });

  it('refuses a call without a session', async () => {
    const response = await post('/api/admin/StatusService/GetStatus', { headers: { cookie: 'ter_console=made-up' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('keeps the admin API validation message and names the field', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    const { status, body } = await session.admin('RuleService/CreateRule', { rule: { name: 'bad', group: 'adhoc', match: { user: { regex: '(' } } } });
    expect(status).toBe(400);
    expect(body.error.code).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toMatch(/^rule\.match\.user\.regex: invalid regular expression/);
    expect(body.error.fields).toEqual([{ field: 'rule.match.user.regex', message: expect.stringMatching(/^invalid regular expression/) }]);
  });

  it('maps NOT_FOUND and ALREADY_EXISTS to 404 and 409', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    expect((await session.admin('BackendService/GetBackend', { name: 'nope' })).status).toBe(404);
    expect((await session.admin('GroupService/CreateGroup', { group: { name: 'adhoc', members: [{ backend: 'trino-a' }] } })).status).toBe(409);
  });

  it('never shows a secret: the export is the admin API redacted one', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    const { body } = await session.admin('ConfigService/ExportConfig', {});
    expect(body.yaml).not.toContain(ADMIN_TOKEN);
    expect(body.yaml).not.toContain(READ_TOKEN);
  });
});

describe('bad input', () => {
  it('answers garbage, huge bodies, unknown routes and wrong methods with a JSON error', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    const headers = { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
    const cases: [Promise<Response>, number, string][] = [
      [post('/api/admin/StatusService/GetStatus', { headers, body: '{"backends": [' }), 400, 'bad_json'],
      [post('/api/admin/StatusService/GetStatus', { headers, body: '[1, 2]' }), 400, 'bad_json'],
      [post('/api/admin/StatusService/GetStatus', { headers, body: `{"x": "${'a'.repeat(MAX_BODY_BYTES)}"}` }), 413, 'payload_too_large'],
      [post('/api/admin/NoService/Nothing', { headers }), 404, 'not_found'],
      [post('/api/whatever', { headers }), 404, 'not_found'],
      [fetch(`${chain.consoleUrl}/api/admin/StatusService/GetStatus`, { headers }), 405, 'method_not_allowed'],
      [fetch(`${chain.consoleUrl}/api/session`, { method: 'DELETE', headers }), 405, 'method_not_allowed'],
      [fetch(`${chain.consoleUrl}/nothing-here.js`), 404, 'not_found'],
    ];
    for (const [answer, status, code] of cases) {
      const response = await answer;
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await response.json()).toMatchObject({ error: { code } });
    }
    // Still serving.
    expect((await session.admin('StatusService/GetStatus')).status).toBe(200);
  });

  it('answers malformed HTTP with 400 and keeps serving', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connectTcp(chain.router.consolePort as number, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => { text += chunk.toString('latin1'); });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.end('POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n\u0000\u0001garbage');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${chain.consoleUrl}/api/session`)).status).toBe(401);
  });

  it('sends the security headers with every answer', async () => {
    for (const response of [await fetch(`${chain.consoleUrl}/`), await fetch(`${chain.consoleUrl}/api/session`), await post('/api/nothing')]) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name), name).toBe(value);
    }
    expect(SECURITY_HEADERS['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self'; style-src 'self'; .*object-src 'none'; frame-ancestors 'none'; base-uri 'none'/);
  });
});

// Last: it locks this address out of logging in for a minute.
describe('guessing', () => {
  it('refuses logins from an address after too many failures in a minute, the right token too', async () => {
    const kept = await login(chain.consoleUrl, ADMIN_TOKEN);
    let refused = 0;
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
      if ((await post('/api/login', { body: JSON.stringify({ token: `guess-${i}-0123456789` }) })).status === 401) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    const locked = await post('/api/login', { body: JSON.stringify({ token: ADMIN_TOKEN }) });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('60');
    expect(await locked.json()).toMatchObject({ error: { code: 'too_many_failed_logins' } });
    // A session already open keeps working.
    expect((await kept.admin('StatusService/GetStatus')).status).toBe(200);
  });
});
