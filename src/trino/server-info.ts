/** Reading Trino's `GET /v1/info` answer (server/ServerInfo.java). */
import { isCoordinatorId } from './query-id.js';

/** `coordinatorId` of a /v1/info answer (reported from Trino 477 on), when well formed. */
export function readCoordinatorId(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const id = (body as Record<string, unknown>).coordinatorId;
  return typeof id === 'string' && isCoordinatorId(id) ? id : undefined;
}
