import { describe, expect, it } from 'vitest';
import { CENSOR, redactHeaders, scrubSecrets } from '../../../src/observability/logger.js';
import { captureLogs } from './log-capture.js';

const BEARER = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA';
const PASSWORD = 'hunter2-correct-horse';
const BASIC = Buffer.from(`alice:${PASSWORD}`).toString('base64');

describe('log lines', () => {
  it('name their level instead of pino\'s numbers', () => {
    const logs = captureLogs();
    logs.logger.debug('d');
    logs.logger.info('i');
    logs.logger.warn('w');
    logs.logger.error('e');
    expect(logs.records().map((r) => [r.level, r.msg])).toEqual([['debug', 'd'], ['info', 'i'], ['warn', 'w'], ['error', 'e']]);
  });
});

describe('logger redaction', () => {
  it('redacts credential-named fields at the top and one level down', () => {
    const logs = captureLogs();
    logs.logger.info({ authorization: `Bearer ${BEARER}`, password: PASSWORD, token: BEARER }, 'top');
    logs.logger.info({ request: { password: PASSWORD, token: BEARER, cookie: `session=${BEARER}` } }, 'nested');
    logs.logger.info({ admin: { secret: PASSWORD, credentials: PASSWORD } }, 'admin');
    const text = logs.text();
    expect(text).not.toContain(BEARER);
    expect(text).not.toContain(PASSWORD);
    const [top, nested] = logs.records();
    expect(top).toMatchObject({ authorization: CENSOR, password: CENSOR, token: CENSOR });
    expect(nested).toMatchObject({ request: { password: CENSOR, token: CENSOR, cookie: CENSOR } });
  });

  it('redacts auth headers given as an object or as a header list, keeping the others', () => {
    const logs = captureLogs();
    logs.logger.info({ headers: { Authorization: `Basic ${BASIC}`, 'x-trino-user': 'alice', 'X-Trino-Extra-Credential': `password=${PASSWORD}` } }, 'object');
    logs.logger.info({ headers: [['authorization', `Bearer ${BEARER}`], ['x-trino-user', 'alice'], ['cookie', BEARER]] }, 'list');
    const text = logs.text();
    expect(text).not.toContain(BASIC);
    expect(text).not.toContain(BEARER);
    expect(text).not.toContain(PASSWORD);
    const [object, list] = logs.records();
    expect(object?.headers).toEqual({ Authorization: CENSOR, 'x-trino-user': 'alice', 'X-Trino-Extra-Credential': CENSOR });
    expect(list?.headers).toEqual([['authorization', CENSOR], ['x-trino-user', 'alice'], ['cookie', CENSOR]]);
  });

  it('scrubs credentials quoted in error messages, stacks and causes', () => {
    const logs = captureLogs();
    const cause = new Error(`probe of http://alice:${PASSWORD}@trino-a:8080 failed`);
    const error = new Error(`upstream rejected Authorization: Bearer ${BEARER} (password=${PASSWORD})`, { cause });
    logs.logger.error({ err: error }, 'probe failed');
    const text = logs.text();
    expect(text).not.toContain(BEARER);
    expect(text).not.toContain(PASSWORD);
    const record = logs.records()[0] as { err: { message: string; stack: string; type: string } };
    expect(record.err.type).toBe('Error');
    expect(record.err.message).toContain('Bearer [redacted]');
    expect(record.err.message).toContain('password=[redacted]');
    expect(record.err.stack).toContain('alice:[redacted]@trino-a');
  });

  it('leaves ordinary text alone', () => {
    expect(scrubSecrets('query 20260101_000000_00001_abcde routed to trino-a by rule etl')).toBe('query 20260101_000000_00001_abcde routed to trino-a by rule etl');
    expect(scrubSecrets(`token: ${BEARER}`)).toBe(`token: ${CENSOR}`);
    expect(redactHeaders('not headers')).toBe('not headers');
  });

  it('writes nothing below its level', () => {
    const logs = captureLogs('info');
    logs.logger.debug({ a: 1 }, 'per-request line');
    expect(logs.lines).toEqual([]);
  });
});
