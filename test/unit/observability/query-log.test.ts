import { describe, expect, it } from 'vitest';
import { edgeLogObserver } from '../../../src/observability/edge-log.js';
import { QUERY_SUBMITTED_MESSAGE, queryLogListener, REFUSAL_LINES_PER_SECOND, refusalLogListener, SUBMISSION_REFUSED_MESSAGE } from '../../../src/observability/query-log.js';
import { NO_STATEMENT, type RequestFacts } from '../../../src/routing/model.js';
import type { QuerySubmitted, RequestContext, SubmissionRefused } from '../../../src/routing/request-router.js';
import { captureLogs } from './log-capture.js';

const facts: RequestFacts = {
  method: 'POST', path: '/v1/statement', host: 'envoy:8080', listenerPort: 8080, user: 'etl_loader', source: 'airflow',
  catalog: 'hive', schema: 'web', clientInfo: undefined, clientTags: ['nightly', 'etl'], sessionProperties: new Map([['query_max_run_time', '1h']]), routingGroup: undefined, headers: new Map(), statement: NO_STATEMENT,
};

const query: QuerySubmitted = {
  queryId: '20260110_101010_00042_abcde',
  backend: 'trino-b',
  mechanism: 'rules',
  facts,
  decision: { outcome: 'routed', backend: 'trino-b', group: 'etl', rule: 'etl-tags', fellBackFrom: [] }, statement: undefined,
  at: 1,
};

describe('query submission log', () => {
  it('writes one info line per query with who sent it and how it was routed', () => {
    const logs = captureLogs('info');
    queryLogListener(logs.logger)(query);
    const records = logs.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'info',
      msg: QUERY_SUBMITTED_MESSAGE,
      queryId: '20260110_101010_00042_abcde',
      user: 'etl_loader',
      source: 'airflow',
      clientTags: ['nightly', 'etl'],
      rule: 'etl-tags',
      group: 'etl',
      backend: 'trino-b',
      mechanism: 'rules',
    });
  });

  it('keeps every field, null where the router does not know it (a statement in a transaction)', () => {
    const logs = captureLogs('info');
    queryLogListener(logs.logger)({ ...query, mechanism: 'transaction', decision: undefined, facts: undefined });
    expect(logs.records()[0]).toMatchObject({ user: null, source: null, clientTags: [], rule: null, group: null, mechanism: 'transaction' });
  });

  it('is silent when the level is above info', () => {
    const logs = captureLogs('warn');
    queryLogListener(logs.logger)(query);
    expect(logs.lines).toEqual([]);
  });
});

describe('refused submission log', () => {
  const refusal: SubmissionRefused = {
    reason: 'no_backend_configured',
    message: 'No Trino cluster can take this query (group etl: trino-b disabled)',
    facts,
    decision: { outcome: 'rejected', rule: 'etl-tags', attempts: [{ group: 'etl', backends: [{ backend: 'trino-b', reason: 'disabled' }] }], transient: false },
    statement: undefined,
    at: 1,
  };

  it('writes an info line with the query line\'s fields, the reason and what the client was told', () => {
    const logs = captureLogs('info');
    refusalLogListener(logs.logger)(refusal);
    expect(logs.records()).toEqual([expect.objectContaining({
      level: 'info', msg: SUBMISSION_REFUSED_MESSAGE, reason: 'no_backend_configured', user: 'etl_loader', source: 'airflow',
      clientTags: ['nightly', 'etl'], rule: 'etl-tags', group: 'etl', message: refusal.message,
    })]);
  });

  it('keeps every field, null where unknown (headers that could not be read)', () => {
    const logs = captureLogs('info');
    refusalLogListener(logs.logger)({ ...refusal, reason: 'bad_headers', facts: undefined, decision: undefined });
    expect(logs.records()[0]).toMatchObject({ reason: 'bad_headers', user: null, source: null, clientTags: [], rule: null, group: null });
  });

  it('in a flood writes a bounded number of lines a second and says how many it left out', () => {
    const logs = captureLogs('info');
    let now = 5_000;
    const listener = refusalLogListener(logs.logger, () => now);
    for (let i = 0; i < REFUSAL_LINES_PER_SECOND + 7; i++) listener(refusal);
    expect(logs.records()).toHaveLength(REFUSAL_LINES_PER_SECOND);
    now += 1_000;
    listener(refusal);
    expect(logs.records().at(-1)).toMatchObject({ refusalsNotLogged: 7 });
    listener(refusal);
    expect(logs.records().at(-1)).not.toHaveProperty('refusalsNotLogged');
  });
});

describe('per-request log lines', () => {
  const context: RequestContext = {
    instruction: { kind: 'forward', backend: 'trino-b', mechanism: 'rules', path: undefined, forwardedPrefix: undefined, watch: 'none', decision: query.decision },
    transactionId: undefined,
    transactionAware: false, watchTransactions: false, statement: undefined,
    facts,
    receivedAt: 0,
  };

  it('are debug only: nothing at info', () => {
    const logs = captureLogs('info');
    edgeLogObserver(logs.logger).routed('ext_proc', context, 0.00002);
    expect(logs.lines).toEqual([]);
  });

  it('at debug name the edge, backend, mechanism, group and rule', () => {
    const logs = captureLogs('debug');
    edgeLogObserver(logs.logger).routed('ext_proc', context, 0.00002);
    expect(logs.records()[0]).toMatchObject({ level: 'debug', edge: 'ext_proc', backend: 'trino-b', mechanism: 'rules', group: 'etl', rule: 'etl-tags', decisionMs: 0.02 });
  });

  it('a follow-up names its query id and path; an answer of the router its path', () => {
    const logs = captureLogs('debug');
    const path = '/v1/statement/executing/20260110_101010_00042_abcde/y0123/1';
    edgeLogObserver(logs.logger).routed('ext_authz', {
      ...context,
      instruction: { kind: 'forward', backend: 'trino-b', mechanism: 'query_id', path: undefined, forwardedPrefix: undefined, watch: 'none', decision: undefined },
      facts: undefined,
      target: { method: 'GET', path },
    }, 0.00001);
    edgeLogObserver(logs.logger).routed('ext_proc', {
      ...context,
      instruction: { kind: 'reply', status: 410, contentType: 'text/plain', body: '', reason: 'unknown_query' },
      facts: undefined,
      target: { method: 'DELETE', path: '/v1/query/20260110_101010_00043_abcde' },
    }, 0.00001);
    const [followUp, answered] = logs.records();
    expect(followUp).toMatchObject({ msg: 'request routed', backend: 'trino-b', mechanism: 'query_id', method: 'GET', path, queryId: '20260110_101010_00042_abcde' });
    expect(answered).toMatchObject({ msg: 'request answered by the router', status: 410, reason: 'unknown_query', method: 'DELETE', queryId: '20260110_101010_00043_abcde' });
  });
});
