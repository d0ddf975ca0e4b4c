/**
 * StatusService and QueryService over gRPC, with fake health and history sources (the
 * monitor and the history store implement the same interfaces), and the owner of a query
 * from memory, the store and the coordinator map.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendStateChange, BackendStatus, HealthStatusSource } from '../../src/health/status.js';
import type { QueryHistoryFilter, QueryHistorySource, QueryRecord } from '../../src/history/query-record.js';
import { failure, startStandaloneAdmin, type StandaloneAdmin } from './support.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

class FakeHealth implements HealthStatusSource {
  readonly historyCalls: [string, number][] = [];
  status(): readonly BackendStatus[] {
    return [
      {
        backend: 'trino-a', state: 'healthy', health: 'healthy', load: { running: 3, queued: 1, score: 3.5 },
        lastCheckAt: NOW - 5_000, lastError: null, inSchedule: true, drain: null,
      },
      {
        backend: 'trino-b', state: 'draining', health: 'draining', load: { running: 2, queued: 0, score: 2 },
        lastCheckAt: NOW - 1_000, lastError: 'HTTP 503 from /v1/info', inSchedule: false,
        drain: { remaining: 2, drained: false, since: NOW - 60_000 },
      },
    ];
  }
  async history(backend: string, limit: number): Promise<readonly BackendStateChange[]> {
    this.historyCalls.push([backend, limit]);
    const changes: BackendStateChange[] = [
      { backend, from: 'healthy', to: 'draining', at: NOW - 60_000, reason: 'operator drain' },
      { backend, from: 'pending', to: 'healthy', at: NOW - 600_000, reason: '2 checks passed' },
    ];
    return changes.slice(0, limit);
  }
}

class FakeHistory implements QueryHistorySource {
  readonly filters: QueryHistoryFilter[] = [];
  async list(filter: QueryHistoryFilter): Promise<readonly QueryRecord[]> {
    this.filters.push(filter);
    return [{
      queryId: '20261122_115959_00003_abcde', backend: 'trino-a', group: 'adhoc', rule: null, mechanism: 'rules',
      user: 'alice', source: 'trino-cli', clientTags: ['x'], submittedAt: NOW - 1_000, statement: null, outcome: 'forwarded', message: null, queuedMs: null,
    }];
  }
}

let withSources: StandaloneAdmin;
let bare: StandaloneAdmin;
const health = new FakeHealth();
const history = new FakeHistory();

beforeAll(async () => {
  withSources = await startStandaloneAdmin({ health, history });
  bare = await startStandaloneAdmin();
});
afterAll(async () => {
  await withSources?.close();
  await bare?.close();
});

describe('StatusService', () => {
  it('reports state, health, load, last check, drain progress and history per backend', async () => {
    const response = await withSources.client.status.getStatus({ backends: [], historyLimit: 1 });
    expect(response.monitored).toBe(true);
    expect(response.revision).toBe((await withSources.store.routing.revision()));
    expect(response.backends).toEqual([
      {
        backend: 'trino-a', state: 'healthy', health: 'healthy', load: { running: 3, queued: 1, score: 3.5 },
        lastCheckAt: new Date(NOW - 5_000), lastError: '', inSchedule: true, drain: undefined, enabled: true, draining: false,
        history: [{ from: 'healthy', to: 'draining', at: new Date(NOW - 60_000), reason: 'operator drain' }],
      },
      {
        backend: 'trino-b', state: 'draining', health: 'draining', load: { running: 2, queued: 0, score: 2 },
        lastCheckAt: new Date(NOW - 1_000), lastError: 'HTTP 503 from /v1/info', inSchedule: false,
        drain: { known: true, remaining: 2, drained: false, since: new Date(NOW - 60_000) }, enabled: true, draining: false,
        history: [{ from: 'healthy', to: 'draining', at: new Date(NOW - 60_000), reason: 'operator drain' }],
      },
    ]);
    expect(health.historyCalls).toContainEqual(['trino-a', 1]);
  });

  it('filters by backend, defaults to 10 history entries, refuses unknown backends and huge limits', async () => {
    const one = await withSources.client.status.getStatus({ backends: ['trino-b'] });
    expect(one.backends.map((b) => b.backend)).toEqual(['trino-b']);
    expect(health.historyCalls.at(-1)).toEqual(['trino-b', 10]);
    await failure(withSources.client.status.getStatus({ backends: ['trino-z'] }), grpc.status.NOT_FOUND, /backend "trino-z"/);
    await failure(withSources.client.status.getStatus({ backends: [], historyLimit: 5000 }), grpc.status.INVALID_ARGUMENT, /^history_limit: at most 1000/);
  });

  it('without a monitor every backend is unknown (a disabled one says so)', async () => {
    await bare.client.backends.disableBackend({ name: 'trino-b' });
    const response = await bare.client.status.getStatus({ backends: [] });
    expect(response.monitored).toBe(false);
    expect(response.backends.map((b) => [b.backend, b.state, b.health, b.load, b.lastCheckAt, b.history])).toEqual([
      ['trino-a', 'unknown', 'unknown', undefined, undefined, []],
      ['trino-b', 'disabled', 'unknown', undefined, undefined, []],
    ]);
    await bare.client.backends.enableBackend({ name: 'trino-b' });
  });
});

describe('QueryService.ListQueries', () => {
  it('passes every filter to the history and returns its records', async () => {
    const from = new Date(NOW - 3_600_000);
    const to = new Date(NOW);
    const response = await withSources.client.queries.listQueries({ user: 'alice', source: 'trino-cli', backend: 'trino-a', group: 'adhoc', outcome: 'forwarded', from, to, limit: 5 });
    expect(history.filters.at(-1)).toEqual({ user: 'alice', source: 'trino-cli', backend: 'trino-a', group: 'adhoc', outcome: 'forwarded', from: from.getTime(), to: to.getTime(), limit: 5 });
    expect(response.queries).toEqual([{
      queryId: '20261122_115959_00003_abcde', backend: 'trino-a', group: 'adhoc', rule: '', mechanism: 'rules',
      user: 'alice', source: 'trino-cli', clientTags: ['x'], submittedAt: new Date(NOW - 1_000), outcome: 'forwarded', message: '',
    }]);
    await withSources.client.queries.listQueries({ limit: 0 });
    expect(history.filters.at(-1)).toEqual({ limit: 100 });
  });

  it('refuses bad filters naming the field', async () => {
    await failure(withSources.client.queries.listQueries({ limit: 10_001 }), grpc.status.INVALID_ARGUMENT, /^limit: at most 10000/);
    await failure(withSources.client.queries.listQueries({ limit: 1, from: new Date(NOW), to: new Date(NOW - 1) }), grpc.status.INVALID_ARGUMENT, /^from: is after `to`/);
  });

  it('answers UNIMPLEMENTED when the router keeps no history', async () => {
    await failure(bare.client.queries.listQueries({ limit: 0 }), grpc.status.UNIMPLEMENTED, /keeps no query history/);
  });
});

describe('QueryService.GetQueryOwner', () => {
  it('a query id this replica learned from a response, persisted in the store', async () => {
    const id = '20261122_120000_00001_abcde';
    withSources.ownership.learnQuery(id, 'trino-a', 'response', NOW);
    await withSources.store.ownership.applyChanges([{ kind: 'query', queryId: id, backend: 'trino-a', learnedBy: 'response', at: NOW }]);
    const owner = await withSources.client.queries.getQueryOwner({ queryId: id });
    expect(owner).toEqual({
      queryId: id, backend: 'trino-a', knownBy: 'query_id', learnedBy: 'response', inMemory: true, inStore: true,
      learnedAt: new Date(NOW), coordinatorId: 'abcde', backendConfigured: true,
      summary: `trino-a owns ${id}: routed by query id, read from the submission's response`,
    });
  });

  it('a query id only the store knows (another replica learned it by probing)', async () => {
    const id = '20261122_120000_00002_bcdef';
    await withSources.store.ownership.applyChanges([{ kind: 'query', queryId: id, backend: 'trino-gone', learnedBy: 'probe', at: NOW }]);
    const owner = await withSources.client.queries.getQueryOwner({ queryId: id });
    expect(owner).toMatchObject({ backend: 'trino-gone', knownBy: 'query_id', learnedBy: 'probe', inMemory: false, inStore: true, backendConfigured: false });
    expect(owner.summary).toMatch(/according to the store/);
  });

  it('a query id just learned and not yet written behind', async () => {
    const id = '20261122_120000_00003_cdefg';
    withSources.ownership.learnQuery(id, 'trino-b', 'probe', NOW);
    expect(await withSources.client.queries.getQueryOwner({ queryId: id })).toMatchObject({ backend: 'trino-b', inMemory: true, inStore: false, learnedBy: '', learnedAt: undefined });
  });

  it('an unknown query of a known coordinator', async () => {
    withSources.ownership.learnCoordinator('hjkmn', 'trino-b', NOW);
    const owner = await withSources.client.queries.getQueryOwner({ queryId: '20261122_120000_00009_hjkmn' });
    expect(owner).toMatchObject({ backend: 'trino-b', knownBy: 'coordinator_id', coordinatorId: 'hjkmn', inMemory: true, inStore: false });
    await withSources.store.ownership.applyChanges([{ kind: 'coordinator', coordinatorId: 'pqrst', backend: 'trino-a', at: NOW }]);
    expect(await withSources.client.queries.getQueryOwner({ queryId: '20261122_120000_00009_pqrst' })).toMatchObject({ backend: 'trino-a', knownBy: 'coordinator_id', inMemory: false, inStore: true, learnedAt: new Date(NOW) });
  });

  it('NOT_FOUND for a query nobody knows; INVALID_ARGUMENT for a malformed id', async () => {
    await failure(withSources.client.queries.getQueryOwner({ queryId: '20261122_120000_00009_zzzzz' }), grpc.status.NOT_FOUND, /no backend is known to own query/);
    await failure(withSources.client.queries.getQueryOwner({ queryId: 'not-a-query' }), grpc.status.INVALID_ARGUMENT, /^query_id: expected a Trino query id/);
    await failure(withSources.client.queries.getQueryOwner({ queryId: '' }), grpc.status.INVALID_ARGUMENT, /^query_id: required/);
  });
});
