/**
 * Last resort for a follow-up whose query id nothing else explains (a router that never saw
 * the submission, a backend without prefix routing, a coordinator restarted since its id was
 * learned): ask every backend at once, bounded in time so Envoy's message timeout is never
 * reached. A backend owns the query when
 *   - its `GET /v1/info` names the query id's coordinator id (Trino 477+). This is the only
 *     answer that exists BEFORE the query's first poll: Trino's POST only registers a query,
 *     and `/v1/query/{id}` is 410 until the first queued poll creates it. The ids seen are
 *     learned, so the next query of a restarted coordinator needs no probe at all; or
 *   - its `GET /v1/query/{id}` answers 200 (a dispatched query, any version).
 * Neither request dispatches or disturbs the client's query (a GET of the queued nextUri
 * would dispatch it). /v1/info answers are shared between concurrent probes and reused for
 * a short while, so a burst of unknown ids costs one round of /v1/info per backend.
 */
import type { HeaderList } from '../envoy/header-codec.js';
import type { QueryProbe } from '../routing/request-router.js';
import { authorizationUser } from '../trino/authorization-user.js';
import { coordinatorIdOf } from '../trino/query-id.js';
import { readCoordinatorId } from '../trino/server-info.js';

export interface QueryProbeOptions {
  /** Backend name -> coordinator base URL, read at probe time (backends change). */
  readonly backendUrl: (name: string) => string | undefined;
  readonly timeoutMs: number;
  /** Used when the request names no user, so the coordinator does not answer 401. */
  readonly fallbackUser: string;
  /** JWT claim that names the user (requests.jwtUserClaim). */
  readonly jwtUserClaim: string;
  /** A coordinator id a backend's /v1/info reported (Trino 477+). */
  readonly onCoordinator?: (coordinatorId: string, backend: string) => void;
  /** How long one backend's /v1/info answer is reused; default 1000 ms. */
  readonly infoReuseMs?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/** Headers forwarded as they are to an https coordinator, which authenticates them itself. */
const IDENTITY_HEADERS = new Set(['authorization', 'x-trino-user', 'x-presto-user', 'x-trino-original-user', 'cookie']);

/**
 * The identity headers of a probe. Over plain http Trino runs only its insecure authenticator,
 * which refuses a Basic header with a password (401) and cannot use a bearer token: send the
 * user name alone, as X-Trino-User. Over https the client's own credentials go as they came.
 */
export function probeIdentity(headers: HeaderList, secure: boolean, fallbackUser: string, jwtUserClaim: string): Record<string, string> {
  const received: Record<string, string> = {};
  for (const [name, value] of headers) if (IDENTITY_HEADERS.has(name) && received[name] === undefined) received[name] = value;
  if (secure) {
    if (received['x-trino-user'] === undefined && received['x-presto-user'] === undefined && received.authorization === undefined) {
      received['x-trino-user'] = fallbackUser;
    }
    return received;
  }
  const fromAuthorization = received.authorization === undefined ? undefined : authorizationUser(received.authorization, jwtUserClaim)?.user;
  const user = received['x-trino-user'] ?? received['x-presto-user'] ?? fromAuthorization ?? fallbackUser;
  return { 'x-trino-user': user };
}

interface InfoAnswer {
  readonly at: number;
  readonly coordinatorId: Promise<string | undefined>;
}

export function createQueryProbe(options: QueryProbeOptions): QueryProbe {
  const now = options.now ?? Date.now;
  const fetchFn = options.fetch ?? fetch;
  const infoReuseMs = options.infoReuseMs ?? 1_000;
  const infos = new Map<string, InfoAnswer>();

  /** The coordinator id a backend's /v1/info reports, shared while fresh. */
  // Not tied to one probe's signal: the answer is shared with the probes that follow.
  const coordinatorIdAt = (backend: string, url: string): Promise<string | undefined> => {
    const cached = infos.get(backend);
    if (cached !== undefined && now() - cached.at < infoReuseMs) return cached.coordinatorId;
    const coordinatorId = fetchFn(`${url}/v1/info`, { signal: AbortSignal.timeout(options.timeoutMs) })
      .then(async (response) => (response.status === 200 ? readCoordinatorId(await response.json()) : undefined))
      .then((id) => {
        if (id !== undefined) options.onCoordinator?.(id, backend);
        return id;
      }, () => undefined);
    infos.set(backend, { at: now(), coordinatorId });
    return coordinatorId;
  };

  return async (queryId: string, headers: HeaderList, backends: readonly string[]) => {
    const wanted = coordinatorIdOf(queryId);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      const asks = backends.flatMap((backend) => {
        const url = options.backendUrl(backend);
        if (url === undefined) return [];
        const byInfo = coordinatorIdAt(backend, url).then((id) => {
          if (wanted === undefined || id !== wanted) throw new Error(`${backend} has coordinator id ${id ?? 'unknown'}`);
          return backend;
        });
        const byQuery = fetchFn(`${url}/v1/query/${encodeURIComponent(queryId)}`, {
          headers: probeIdentity(headers, url.startsWith('https:'), options.fallbackUser, options.jwtUserClaim),
          signal: controller.signal,
        }).then(async (response) => {
          await response.body?.cancel();
          if (response.status !== 200) throw new Error(`${backend} answered ${response.status}`);
          return backend;
        });
        return [byInfo, byQuery];
      });
      if (asks.length === 0) return undefined;
      return await Promise.any(asks);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  };
}
