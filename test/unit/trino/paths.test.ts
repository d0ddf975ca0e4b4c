import { describe, expect, it } from 'vitest';
import { classifyTrinoPath, namesQuery, type TrinoPath } from '../../../src/trino/paths.js';

const ID = '20240501_101112_00042_ab2cd';
const SLUG = 'y0123456789abcdef0123456789abcdef01234567';

describe('classifyTrinoPath', () => {
  const cases: [method: string, path: string, expected: TrinoPath][] = [
    ['POST', '/v1/statement', { kind: 'submit' }],
    ['POST', '/v1/statement?foo=bar', { kind: 'submit' }],
    ['GET', '/v1/statement', { kind: 'other' }],
    ['GET', `/v1/statement/queued/${ID}/${SLUG}/1`, { kind: 'statement', phase: 'queued', queryId: ID, slug: SLUG, token: 1 }],
    [
      'GET',
      `/v1/statement/queued/${ID}/${SLUG}/2?maxWait=200ms`,
      { kind: 'statement', phase: 'queued', queryId: ID, slug: SLUG, token: 2 },
    ],
    [
      'GET',
      `/v1/statement/executing/${ID}/${SLUG}/17?targetResultSize=16MB`,
      { kind: 'statement', phase: 'executing', queryId: ID, slug: SLUG, token: 17 },
    ],
    ['DELETE', `/v1/statement/executing/${ID}/${SLUG}/0`, { kind: 'statement', phase: 'executing', queryId: ID, slug: SLUG, token: 0 }],
    [
      'DELETE',
      `/v1/statement/executing/partialCancel/${ID}/3/${SLUG}/5`,
      { kind: 'partialCancel', queryId: ID, stage: 3, slug: SLUG, token: 5 },
    ],
    ['GET', `/v1/query/${ID}`, { kind: 'query', queryId: ID }],
    ['DELETE', `/v1/query/${ID}?pretty`, { kind: 'query', queryId: ID }],
    ['PUT', `/v1/query/${ID}/killed`, { kind: 'query', queryId: ID, action: 'killed' }],
    ['PUT', `/v1/query/${ID}/preempted`, { kind: 'query', queryId: ID, action: 'preempted' }],
    ['GET', '/v1/query', { kind: 'other' }],
    ['GET', '/v1/query/', { kind: 'other' }],
    ['GET', `/ui/query.html?${ID}`, { kind: 'uiQuery', queryId: ID }],
    ['GET', '/ui/query.html', { kind: 'other' }],
    ['GET', `/ui/api/query/${ID}`, { kind: 'uiQuery', queryId: ID }],
    ['PUT', `/ui/api/query/${ID}/killed`, { kind: 'uiQuery', queryId: ID }],
    ['GET', `/ui/api/query/${ID}/stage/1`, { kind: 'uiQuery', queryId: ID }],
    ['GET', '/ui/api/query/', { kind: 'other' }],
    ['GET', '/ui/api/query?state=running', { kind: 'other' }],
    ['GET', '/v1/spooled/download/c2VnbWVudC0x', { kind: 'spooled', action: 'download', segmentId: 'c2VnbWVudC0x' }],
    ['GET', '/v1/spooled/ack/abc-_.~%2F', { kind: 'spooled', action: 'ack', segmentId: 'abc-_.~%2F' }],
    ['GET', '/v1/info', { kind: 'status' }],
    ['GET', '/v1/info?x=1', { kind: 'status' }],
    ['GET', '/v1/info/state', { kind: 'status' }],
    ['GET', '/v1/status', { kind: 'status' }],
    ['GET', '/v1/info/', { kind: 'other' }],
    ['GET', '/v1/statements', { kind: 'other' }],
    ['GET', '/ui/', { kind: 'other' }],
    ['GET', '/ui/api/stats', { kind: 'other' }],
    ['GET', '/', { kind: 'other' }],
    ['GET', '', { kind: 'other' }],
    ['GET', '/metrics', { kind: 'other' }],
  ];
  for (const [method, path, expected] of cases) {
    it(`${method} ${path} -> ${expected.kind}`, () => {
      expect(classifyTrinoPath(method, path)).toEqual(expected);
    });
  }

  const invalid: [method: string, path: string, reason: string][] = [
    ['GET', `/v1/statement/queued/20240501_101112_00042_ab2c1/${SLUG}/1`, 'malformed query id'],
    ['GET', `/v1/statement/queued/${ID}/${SLUG}`, 'expected /v1/statement/queued/{queryId}/{slug}/{token}'],
    ['GET', `/v1/statement/queued/${ID}/${SLUG}/1/extra`, 'expected /v1/statement/queued/{queryId}/{slug}/{token}'],
    ['GET', `/v1/statement/queued/${ID}//1`, 'expected /v1/statement/queued/{queryId}/{slug}/{token}'],
    ['GET', `/v1/statement/queued/${ID}/${SLUG}/`, 'expected /v1/statement/queued/{queryId}/{slug}/{token}'],
    ['GET', `/v1/statement/executing/${ID}/${SLUG}/-1`, 'malformed token'],
    ['GET', `/v1/statement/executing/${ID}/${SLUG}/1e3`, 'malformed token'],
    ['GET', `/v1/statement/executing/${ID}/${SLUG}/1234567890123456`, 'malformed token'],
    ['GET', `/v1/statement/executing/${ID}/sl%75g/1`, 'malformed slug'],
    ['DELETE', `/v1/statement/executing/partialCancel/${ID}/x/${SLUG}/5`, 'malformed stage'],
    ['DELETE', `/v1/statement/executing/partialCancel/${ID}/3/${SLUG}`, 'expected /v1/statement/executing/partialCancel/{queryId}/{stage}/{slug}/{token}'],
    ['GET', '/v1/statement/', 'unknown /v1/statement path'],
    ['GET', '/v1/statement/running/x', 'unknown /v1/statement path'],
    ['GET', '/v1/query/not-a-query-id', 'malformed query id'],
    ['PUT', `/v1/query/${ID}/paused`, 'expected /v1/query/{queryId}[/killed|/preempted]'],
    ['PUT', `/v1/query/${ID}/`, 'expected /v1/query/{queryId}[/killed|/preempted]'],
    ['GET', '/ui/query.html?20240501_101112_00042_AB2CD', 'malformed query id'],
    ['GET', `/ui/query.html?${ID}&x=1`, 'malformed query id'],
    ['GET', '/ui/api/query/nope', 'malformed query id'],
    ['GET', '/v1/spooled/download/', 'malformed spooled segment id'],
    ['GET', '/v1/spooled/download/a/b', 'malformed spooled segment id'],
    ['GET', '/v1/spooled/other/abc', 'expected /v1/spooled/download/{id} or /v1/spooled/ack/{id}'],
  ];
  for (const [method, path, reason] of invalid) {
    it(`${method} ${path} -> invalid (${reason})`, () => {
      expect(classifyTrinoPath(method, path)).toEqual({ kind: 'invalid', reason });
    });
  }

  it('names the query of follow-ups only', () => {
    expect(namesQuery(classifyTrinoPath('GET', `/v1/query/${ID}`))).toBe(true);
    expect(namesQuery(classifyTrinoPath('GET', `/ui/query.html?${ID}`))).toBe(true);
    expect(namesQuery(classifyTrinoPath('POST', '/v1/statement'))).toBe(false);
    expect(namesQuery(classifyTrinoPath('GET', '/v1/spooled/ack/abc'))).toBe(false);
  });
});

describe('originFormPath', () => {
  it('turns an absolute-form target into its origin form, and leaves others alone', async () => {
    const { originFormPath } = await import('../../../src/trino/paths.js');
    expect(originFormPath('http://h:8080/v1/statement/executing/x/y/1?a=b')).toBe('/v1/statement/executing/x/y/1?a=b');
    expect(originFormPath('https://h')).toBe('/');
    expect(originFormPath('http://h?x')).toBe('/?x');
    expect(originFormPath('/v1/info')).toBe('/v1/info');
    expect(originFormPath('ftp://h/v1/info')).toBe('ftp://h/v1/info');
    expect(originFormPath('http:///v1/info')).toBe('http:///v1/info');
    expect(originFormPath('*')).toBe('*');
  });
});
