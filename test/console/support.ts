/**
 * A chain (Envoy stand-in -> router -> two Trino stand-ins) with the admin API and the web
 * console on, the admin token and the read-only token set; and a small HTTP client of the
 * console's JSON API that keeps a session's cookie and CSRF token.
 */
import { startChain, type Chain, type ChainOptions } from '../e2e/harness.js';

export const ADMIN_TOKEN = 'console-test-admin-token-0123';
export const READ_TOKEN = 'console-test-read-token-4567';

/**
 * alice's queries go to trino-a, or to the default group when it cannot take them; those with
 * source "pinned" go to trino-a or are refused.
 */
export const CONSOLE_ROUTING = `groups:
  - { name: adhoc, strategy: round_robin, backends: [trino-a, trino-b] }
  - { name: etl, strategy: least_load, backends: [trino-b] }
rules:
  - { name: pinned, priority: 10, group: adhoc, backend: trino-a, fallback: false, match: { source: pinned } }
  - { name: alice-on-a, priority: 20, group: adhoc, backend: trino-a, match: { user: alice } }
  - { name: etl-tags, priority: 30, group: etl, match: { clientTags: { containsAny: [etl] } } }
`;

export interface ConsoleChain extends Chain {
  /** http://127.0.0.1:<console port> */
  readonly consoleUrl: string;
}

export async function startConsoleChain(options: ChainOptions = {}): Promise<ConsoleChain> {
  const chain = await startChain({ admin: { token: ADMIN_TOKEN, readToken: READ_TOKEN }, console: true, routing: CONSOLE_ROUTING, ...options });
  return { ...chain, consoleUrl: `http://127.0.0.1:${chain.router.consolePort}` };
}

export interface ConsoleSession {
  readonly access: string;
  readonly cookie: string;
  readonly csrfToken: string;
  /** POST /api/admin/<method> with the session's cookie and CSRF token. */
  admin(method: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export async function login(consoleUrl: string, token: string): Promise<ConsoleSession> {
  const response = await fetch(`${consoleUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const body = await response.json() as { access: string; csrfToken: string };
  if (response.status !== 200) throw new Error(`login answered ${response.status}: ${JSON.stringify(body)}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';', 1)[0] as string;
  return {
    access: body.access,
    cookie,
    csrfToken: body.csrfToken,
    async admin(method, request = {}) {
      const answer = await fetch(`${consoleUrl}/api/admin/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': body.csrfToken },
        body: JSON.stringify(request),
      });
      return { status: answer.status, body: await answer.json() };
    },
  };
}
