/**
 * GET /v1/info: must answer and be a coordinator; `starting: true` means it is booting (Trino's
 * server/ServerInfoResource.java, ServerInfo.java). /v1/info needs no authentication whatever
 * is configured.
 */
import { readCoordinatorId } from '../../trino/server-info.js';
import { HealthCheckError } from '../check-error.js';
import type { Check, CheckResult } from './check.js';

export const serverInfoCheck: Check = {
  name: 'info',
  role: 'health',
  async run(session): Promise<CheckResult> {
    const body = await session.http.json('info', session.url('v1/info'));
    if (body === null || typeof body !== 'object') throw new HealthCheckError('info', 'GET /v1/info: expected a JSON object');
    const record = body as Record<string, unknown>;
    const nodeVersion = record.nodeVersion as Record<string, unknown> | null | undefined;
    const version = nodeVersion !== null && typeof nodeVersion === 'object' && typeof nodeVersion.version === 'string' ? nodeVersion.version : undefined;
    const facts = { version, coordinatorId: readCoordinatorId(body) };
    if (record.coordinator !== true) return { outcome: 'fail', failure: 'protocol', reason: 'GET /v1/info: the node is not a coordinator', facts };
    if (record.starting === true) return { outcome: 'starting', reason: 'the coordinator reports it is starting', facts };
    return { outcome: 'pass', facts };
  },
};
