import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/index.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { findRule } from '../../../src/routing/engine.js';
import { NO_STATEMENT, type RequestFacts } from '../../../src/routing/model.js';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const EXAMPLE = join(REPO_ROOT, 'config/example.yaml');

function facts(extra: Partial<RequestFacts>): RequestFacts {
  return {
    method: 'POST', path: '/v1/statement', host: 'trino', listenerPort: 8080, user: 'alice',
    source: 'trino-cli', catalog: undefined, schema: undefined, clientInfo: undefined,
    clientTags: [], sessionProperties: new Map(), routingGroup: undefined, headers: new Map(), statement: NO_STATEMENT, ...extra,
  };
}

describe('config/example.yaml', () => {
  const config = loadConfigFile(EXAMPLE);

  it('loads with the documented shape', () => {
    expect(config.routing.backends.map((b) => [b.name, b.url])).toEqual([
      ['trino-a', 'http://127.0.0.1:8081'],
      ['trino-b', 'http://127.0.0.1:8082'],
    ]);
    expect(config.routing.groups).toEqual([
      { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'trino-a', weight: 1 }, { backend: 'trino-b', weight: 1 }] },
      { name: 'etl', strategy: 'round_robin', members: [{ backend: 'trino-b', weight: 1 }] },
    ]);
    expect(config.routing.defaultGroup).toBe('adhoc');
    expect(config.listen.extProc).toEqual({ host: '0.0.0.0', port: 9001 });
    expect(config.prefix?.keys[0]?.id).toBe('dev1');
  });

  it('resolves dataDir against the file folder and puts the store in it', () => {
    expect(config.dataDir).toBe(join(REPO_ROOT, 'data'));
    expect(config.store.path).toBe(join(REPO_ROOT, 'data', 'router.db'));
  });

  it('sends tag etl or source airflow to etl and everything else to adhoc', () => {
    const snapshot = compileSnapshot(config.routing, 1);
    expect(findRule(snapshot, facts({ clientTags: ['etl'] }))?.rule.group).toBe('etl');
    expect(findRule(snapshot, facts({ source: 'airflow' }))?.rule.group).toBe('etl');
    expect(findRule(snapshot, facts({}))).toBeUndefined();
  });
});
