/**
 * Which backends' queries ext_authz can route before their first poll. ext_authz never sees
 * a response, so the owner of a query comes from its signed route prefix or from its
 * coordinator id, which a coordinator reports in `GET /v1/info` from Trino 477 on. A backend
 * with neither cannot be told apart before the query's first poll (Trino's POST only
 * registers a query: `/v1/query/{id}` is 410 until then), so its queries fail on their first
 * poll unless the rules alone send it there. Checked once at start, off the request path.
 */
import { readCoordinatorId } from '../trino/server-info.js';

export interface BackendOwnerSource {
  readonly name: string;
  readonly url: string;
  readonly prefixRouting: boolean;
}

export interface BlindBackend {
  readonly name: string;
  /** What /v1/info said, for the log line. */
  readonly why: string;
}

/** Backends without prefix routing whose /v1/info names no coordinator id. */
export async function backendsWithoutOwnerSource(
  backends: readonly BackendOwnerSource[],
  timeoutMs: number,
  fetchFn: typeof fetch = fetch,
): Promise<BlindBackend[]> {
  const checks = backends.filter((b) => !b.prefixRouting).map(async (backend): Promise<BlindBackend | undefined> => {
    try {
      const response = await fetchFn(`${backend.url}/v1/info`, { signal: AbortSignal.timeout(timeoutMs) });
      if (response.status !== 200) {
        await response.body?.cancel();
        return { name: backend.name, why: `GET /v1/info answered ${response.status}` };
      }
      if (readCoordinatorId(await response.json()) !== undefined) return undefined;
      return { name: backend.name, why: 'GET /v1/info reports no coordinatorId (Trino before 477)' };
    } catch (error) {
      return { name: backend.name, why: `GET /v1/info failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  });
  return (await Promise.all(checks)).filter((b): b is BlindBackend => b !== undefined);
}
