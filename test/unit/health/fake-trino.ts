/**
 * A fetch that answers like a set of Trino coordinators, in memory: /v1/info, /v1/info/state,
 * the statement protocol (one queued page, then the result); /ui/api/* answers 401 as Trino
 * does without a web UI login. Each
 * coordinator's behaviour is a plain object the test changes between rounds.
 */
import type { FetchLike } from '../../../src/health/http-session.js';

export interface FakeCoordinator {
  /** ok, refused (connection error), hang (until aborted) or an HTTP status for every request. */
  reachable: 'ok' | 'refused' | 'hang' | 500;
  coordinator: boolean;
  starting: boolean;
  nodeState: string;
  /** SELECT 1 fails with this Trino error name. */
  healthQueryError: string | undefined;
  /** The system.runtime.queries query fails with this HTTP status. */
  loadQueryStatus: number | undefined;
  /** What system.runtime.queries lists; the monitor's own queries are in it while they run. */
  queries: { id?: string; state: string; user: string }[];
  coordinatorId: string;
}

export function coordinator(extra: Partial<FakeCoordinator> = {}): FakeCoordinator {
  return {
    reachable: 'ok', coordinator: true, starting: false, nodeState: 'ACTIVE', healthQueryError: undefined,
    loadQueryStatus: undefined, queries: [], coordinatorId: 'abcde', ...extra,
  };
}

export interface FakeTrino {
  readonly fetch: FetchLike;
  /** `METHOD path` of every request, per base URL. */
  readonly requests: Map<string, string[]>;
}

export function fakeTrino(coordinators: Record<string, FakeCoordinator>): FakeTrino {
  const requests = new Map<string, string[]>();
  let counter = 0;
  const fetch: FetchLike = async (url, init) => {
    const parsed = new URL(url);
    const base = parsed.origin;
    const c = coordinators[base];
    const method = init.method ?? 'GET';
    (requests.get(base) ?? requests.set(base, []).get(base)!).push(`${method} ${parsed.pathname}`);
    if (c === undefined || c.reachable === 'refused') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    if (c.reachable === 'hang') {
      return new Promise<Response>((_, reject) => {
        const signal = init.signal;
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    if (typeof c.reachable === 'number') return new Response('broken', { status: c.reachable });
    const path = parsed.pathname;
    if (path === '/v1/info') return json({ coordinator: c.coordinator, starting: c.starting, nodeVersion: { version: '476' } });
    if (path === '/v1/info/state') return json(c.nodeState);
    // No Trino-UI-Token cookie: Trino's form login refuses every /ui/api/* path.
    if (path.startsWith('/ui/api/')) return new Response('Unauthorized', { status: 401, headers: { 'WWW-Authenticate': 'Trino-Form-Login' } });
    if (path === '/v1/statement' && method === 'POST') {
      const sql = String(init.body);
      const isLoad = sql.includes('system.runtime.queries');
      if (isLoad && c.loadQueryStatus !== undefined) return new Response('denied', { status: c.loadQueryStatus });
      const id = `20261122_120000_${String(++counter).padStart(5, '0')}_${c.coordinatorId}`;
      const user = new Headers(init.headers).get('X-Trino-User') ?? '';
      c.queries.push({ id, state: 'RUNNING', user });
      return json({ id, infoUri: `${base}/ui/query.html?${id}`, nextUri: `${base}/v1/statement/executing/${id}/${isLoad ? 'load' : 'health'}/1`, stats: { state: 'QUEUED' } });
    }
    const executing = /^\/v1\/statement\/executing\/([^/]+)\/(load|health)\/1$/.exec(path);
    if (executing !== null && method === 'GET') {
      const id = executing[1]!;
      // The monitor's own query is over once its result is fetched.
      const finishOwn = (): void => {
        const at = c.queries.findIndex((q) => q.id === id);
        if (at >= 0) c.queries.splice(at, 1);
      };
      if (executing[2] === 'health') {
        finishOwn();
        if (c.healthQueryError !== undefined) {
          return json({ id, infoUri: '', stats: { state: 'FAILED' }, error: { message: 'nope', errorName: c.healthQueryError } });
        }
        return json({ id, infoUri: '', columns: [{ name: '_col0' }], data: [[1]], stats: { state: 'FINISHED' } });
      }
      const rows = c.queries.filter((q) => q.state !== 'FINISHED').map((q) => [q.id ?? 'other', q.state, q.user]);
      finishOwn();
      return json({ id, infoUri: '', columns: [{ name: 'query_id' }, { name: 'state' }, { name: 'user' }], data: rows, stats: { state: 'FINISHED' } });
    }
    if (method === 'DELETE') return new Response(null, { status: 204 });
    return new Response('not found', { status: 404 });
  };
  return { fetch, requests };
}

function count(c: FakeCoordinator, state: string): number {
  return c.queries.filter((q) => q.state === state).length;
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}
