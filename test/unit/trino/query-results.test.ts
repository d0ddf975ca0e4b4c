import { describe, expect, it } from 'vitest';
import {
  failedQueryResults,
  failedQueryResultsJson,
  GENERIC_USER_ERROR,
  NO_INFO_URI,
  NO_NODES_AVAILABLE,
  NOT_FOUND,
  parseQueryResultsHead,
  QUERY_QUEUE_FULL,
  QUERY_REJECTED,
  ROUTER_FAILURE_TYPE,
} from '../../../src/trino/query-results.js';

describe('error codes (io.trino.spi.StandardErrorCode)', () => {
  it('have Trino’s numbers and types', () => {
    expect(NO_NODES_AVAILABLE).toEqual({ code: 65541, name: 'NO_NODES_AVAILABLE', type: 'INTERNAL_ERROR' });
    expect(QUERY_REJECTED).toEqual({ code: 31, name: 'QUERY_REJECTED', type: 'USER_ERROR' });
    expect(GENERIC_USER_ERROR).toEqual({ code: 0, name: 'GENERIC_USER_ERROR', type: 'USER_ERROR' });
    expect(NOT_FOUND).toEqual({ code: 5, name: 'NOT_FOUND', type: 'USER_ERROR' });
    expect(QUERY_QUEUE_FULL).toEqual({ code: 131074, name: 'QUERY_QUEUE_FULL', type: 'INSUFFICIENT_RESOURCES' });
  });
});

describe('failedQueryResults', () => {
  it('builds what a Trino client displays', () => {
    const body = JSON.parse(
      failedQueryResultsJson({
        queryId: 'router_no_backend',
        message: 'No Trino cluster can take the query: all backends of group adhoc are unhealthy',
        error: NO_NODES_AVAILABLE,
        infoUri: 'https://trino.example.com/ui/',
      }),
    );
    expect(body).toEqual({
      id: 'router_no_backend',
      infoUri: 'https://trino.example.com/ui/',
      stats: {
        state: 'FAILED',
        queued: false,
        scheduled: false,
        nodes: 0,
        totalSplits: 0,
        queuedSplits: 0,
        runningSplits: 0,
        completedSplits: 0,
        cpuTimeMillis: 0,
        wallTimeMillis: 0,
        queuedTimeMillis: 0,
        elapsedTimeMillis: 0,
        processedRows: 0,
        processedBytes: 0,
        physicalInputBytes: 0,
        peakMemoryBytes: 0,
        spilledBytes: 0,
        progressPercentage: 0,
      },
      error: {
        message: 'No Trino cluster can take the query: all backends of group adhoc are unhealthy',
        errorCode: 65541,
        errorName: 'NO_NODES_AVAILABLE',
        errorType: 'INTERNAL_ERROR',
        failureInfo: {
          type: ROUTER_FAILURE_TYPE,
          message: 'No Trino cluster can take the query: all backends of group adhoc are unhealthy',
          suppressed: [],
          stack: [],
        },
      },
      warnings: [],
    });
    expect(body.nextUri).toBeUndefined();
  });

  it('always has an infoUri (the Java client requires one)', () => {
    expect(failedQueryResults({ queryId: 'x', message: 'm', error: QUERY_REJECTED }).infoUri).toBe(NO_INFO_URI);
  });

  it('puts id first, so the head parser reads it at once', () => {
    const json = failedQueryResultsJson({ queryId: 'router_1', message: 'm', error: QUERY_REJECTED, elapsedTimeMillis: 12 });
    expect(json.startsWith('{"id":"router_1","infoUri":')).toBe(true);
    expect(parseQueryResultsHead(json)).toEqual({ id: 'router_1', infoUri: NO_INFO_URI });
  });
});

describe('parseQueryResultsHead', () => {
  const id = '20240501_101112_00042_ab2cd';
  const trinoFirstResponse =
    `{"id":"${id}","infoUri":"http://coord:8080/ui/query.html?${id}",` +
    `"nextUri":"http://coord:8080/v1/statement/queued/${id}/y0123/1","stats":{"state":"QUEUED","queued":true,` +
    `"scheduled":false,"nodes":0,"totalSplits":0,"rootStage":null},"warnings":[]}`;

  it('reads a real first response', () => {
    expect(parseQueryResultsHead(trinoFirstResponse)).toEqual({
      id,
      infoUri: `http://coord:8080/ui/query.html?${id}`,
      nextUri: `http://coord:8080/v1/statement/queued/${id}/y0123/1`,
    });
  });

  it('reads bytes as well as text', () => {
    expect(parseQueryResultsHead(new TextEncoder().encode(trinoFirstResponse))).toEqual(parseQueryResultsHead(trinoFirstResponse));
  });

  it('reads the fields in any order, after nested values', () => {
    const body = JSON.stringify({
      columns: [{ name: 'a', type: 'varchar', typeSignature: { rawType: 'varchar', arguments: [] } }],
      data: [['}', ']', '"', '\\'], [1, 2.5e3, true, null]],
      stats: { state: 'FINISHED', rootStage: { subStages: [] } },
      nextUri: 'http://n',
      id: 'q',
    });
    expect(parseQueryResultsHead(body)).toEqual({ id: 'q', nextUri: 'http://n' });
  });

  it('decodes escaped strings and escaped keys', () => {
    expect(parseQueryResultsHead('{"\\u0069d":"a\\/b\\u00e9","nextUri":"http:\\/\\/x"}')).toEqual({ id: 'a/bé', nextUri: 'http://x' });
  });

  it('the first occurrence of a duplicate key decides (so the scan can stop early)', () => {
    expect(parseQueryResultsHead('{"id":"a","id":"b"}')?.id).toBe('a');
    expect(parseQueryResultsHead('{"id":"a","id":null}')?.id).toBe('a');
    expect(parseQueryResultsHead('{"id":null,"id":"a"}')?.id).toBeUndefined();
  });

  it('stops once all three fields are read: what follows is not looked at', () => {
    expect(parseQueryResultsHead('{"id":"q","infoUri":"i","nextUri":"n", garbage')).toEqual({ id: 'q', infoUri: 'i', nextUri: 'n' });
  });

  it('ignores non-string values for the fields', () => {
    expect(parseQueryResultsHead('{"id":5,"nextUri":{"x":"y"}}')).toEqual({});
  });

  it('reads the fields seen before a body cut short', () => {
    const cut = trinoFirstResponse.slice(0, trinoFirstResponse.indexOf('"stats"') + 12);
    expect(parseQueryResultsHead(cut)?.nextUri).toBe(`http://coord:8080/v1/statement/queued/${id}/y0123/1`);
    expect(parseQueryResultsHead(`{"id":"${id}`)).toEqual({});
    expect(parseQueryResultsHead(`{"id":"${id}"`)).toEqual({ id });
  });

  it('reads a cut in the middle of a multi-byte character', () => {
    const bytes = new TextEncoder().encode(`{"id":"q","data":["€€€"]}`);
    expect(parseQueryResultsHead(bytes.subarray(0, 20))).toEqual({ id: 'q' });
  });

  const garbage: [string, string][] = [
    ['empty', ''],
    ['whitespace', '   '],
    ['an array', '["id","x"]'],
    ['HTML', '<html><body>502 Bad Gateway</body></html>'],
    ['plain text', 'Internal Server Error'],
    ['a key without quotes', '{id:"x"}'],
    ['a missing colon', '{"id" "x"}'],
    ['a broken escape', '{"id":"\\x"}'],
    ['a stray quote in a scalar', '{"a":tr"ue,"id":"x"}'],
  ];
  for (const [why, body] of garbage) {
    it(`gives undefined for ${why}`, () => {
      expect(parseQueryResultsHead(body)).toBeUndefined();
    });
  }
});
