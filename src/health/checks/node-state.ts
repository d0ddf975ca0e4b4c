/**
 * GET /v1/info/state: ACTIVE. A coordinator never reports SHUTTING_DOWN (Trino refuses to shut
 * down or drain a coordinator, server/NodeStateManager.java); the drain on SHUTTING_DOWN only
 * matters for a backend URL that points at a worker-like node. A coordinator that goes away
 * stops answering (down after the failure threshold) or comes back with `starting: true`.
 */
import { HealthCheckError } from '../check-error.js';
import type { Check, CheckResult } from './check.js';

export const nodeStateCheck: Check = {
  name: 'state',
  role: 'health',
  async run(session): Promise<CheckResult> {
    const state = await session.http.json('state', session.url('v1/info/state'));
    if (typeof state !== 'string') throw new HealthCheckError('state', 'GET /v1/info/state: expected a JSON string such as "ACTIVE"');
    if (state === 'SHUTTING_DOWN') return { outcome: 'shutting_down', reason: 'the coordinator reports SHUTTING_DOWN' };
    if (state !== 'ACTIVE') return { outcome: 'fail', failure: 'not_ready', reason: `GET /v1/info/state: the coordinator reports ${state}` };
    return { outcome: 'pass' };
  },
};
