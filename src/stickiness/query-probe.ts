/**
 * Last resort for a follow-up whose query id nothing else explains (a router that never saw
 * the submission, a backend without prefix routing, a coordinator id not learned yet): ask
 * every backend at once whether it knows the query, with the client's own credentials, and
 * take the one that says yes. Bounded in time so Envoy's message timeout is never reached.
 */
import type { HeaderList } from '../envoy/header-codec.js';
import type { QueryProbe } from '../routing/request-router.js';

/** Headers that carry the client's identity; the coordinator checks them as it would. */
const IDENTITY_HEADERS = new Set(['authorization', 'x-trino-user', 'x-presto-user', 'x-trino-original-user', 'cookie']);

export interface QueryProbeOptions {
  /** Backend name -> coordinator base URL, read at probe time (backends change). */
  readonly backendUrl: (name: string) => string | undefined;
  readonly timeoutMs: number;
  /** Used when the request names no user, so the coordinator does not answer 401. */
  readonly fallbackUser: string;
}

export function createQueryProbe(options: QueryProbeOptions): QueryProbe {
  return async (queryId: string, headers: HeaderList, backends: readonly string[]) => {
    const identity: Record<string, string> = {};
    for (const [name, value] of headers) if (IDENTITY_HEADERS.has(name) && identity[name] === undefined) identity[name] = value;
    if (identity['x-trino-user'] === undefined && identity['x-presto-user'] === undefined && identity.authorization === undefined) {
      identity['x-trino-user'] = options.fallbackUser;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      const asks = backends.map(async (backend) => {
        const url = options.backendUrl(backend);
        if (url === undefined) throw new Error(`no URL for ${backend}`);
        const response = await fetch(`${url}/v1/query/${encodeURIComponent(queryId)}`, {
          headers: identity,
          signal: controller.signal,
        });
        await response.body?.cancel();
        if (response.status !== 200) throw new Error(`${backend} answered ${response.status}`);
        return backend;
      });
      return await Promise.any(asks);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  };
}
