import { NO_STATEMENT, type Backend, type RequestFacts, type RoutingConfig } from '../../../src/routing/model.js';

export function backend(name: string, extra: Partial<Backend> = {}): Backend {
  return { name, url: `http://${name}:8080`, enabled: true, prefixRouting: true, schedules: [], ...extra };
}

export function facts(extra: Partial<RequestFacts> = {}): RequestFacts {
  return {
    method: 'POST',
    path: '/v1/statement',
    host: 'trino.example.com',
    listenerPort: 8080,
    user: 'alice',
    source: 'trino-cli',
    catalog: undefined,
    schema: undefined,
    clientInfo: undefined,
    clientTags: [],
    sessionProperties: new Map(),
    routingGroup: undefined,
    headers: new Map(),
    statement: NO_STATEMENT,
    ...extra,
  };
}

/** Two clusters, an adhoc group over both and an etl group on b, a few rules. */
export function sampleConfig(): RoutingConfig {
  return {
    backends: [backend('a'), backend('b')],
    groups: [
      { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }, { backend: 'b', weight: 1 }] },
      { name: 'etl', strategy: 'round_robin', members: [{ backend: 'b', weight: 1 }], fallback: 'adhoc' },
      { name: 'only-a', strategy: 'random', members: [{ backend: 'a', weight: 1 }] },
    ],
    rules: [
      { name: 'etl-tags', priority: 10, group: 'etl', match: { clientTags: { containsAny: ['etl', 'batch'] } } },
      { name: 'airflow', priority: 20, group: 'etl', match: { source: { exact: 'airflow' } } },
      { name: 'admins', priority: 5, group: 'only-a', match: { user: { regex: '^admin_' }, listenerPort: [8443] } },
      { name: 'priority-session', priority: 30, group: 'only-a', match: { sessionProperties: { query_priority: '1' } } },
    ],
    defaultGroup: 'adhoc',
  };
}
