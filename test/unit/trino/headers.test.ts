import { describe, expect, it } from 'vitest';
import {
  isTrinoHeaderError,
  MAX_HEADER_VALUE_LENGTH,
  parseTrinoHeaders,
  TrinoHeaderError,
  type HeaderList,
  type TrinoHeaderOptions,
  type TrinoRequestHeaders,
} from '../../../src/trino/headers.js';
import { RouterError } from '../../../src/errors.js';

function parsed(headers: HeaderList, options?: TrinoHeaderOptions): TrinoRequestHeaders {
  const result = parseTrinoHeaders(headers, options);
  if (isTrinoHeaderError(result)) throw new Error(`unexpected error: ${result.message}`);
  return result;
}

function refused(headers: HeaderList, options?: TrinoHeaderOptions): TrinoHeaderError {
  const result = parseTrinoHeaders(headers, options);
  if (!isTrinoHeaderError(result)) throw new Error('expected a TrinoHeaderError');
  return result;
}

const base64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
const base64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const jwt = (payload: object) => `${base64url('{"alg":"RS256","typ":"JWT"}')}.${base64url(JSON.stringify(payload))}.c2lnbmF0dXJl`;

describe('single-valued headers', () => {
  it('reads every field of a typical CLI request', () => {
    const h = parsed([
      [':method', 'POST'],
      ['x-trino-user', 'alice'],
      ['x-trino-original-user', 'bob'],
      ['x-trino-source', 'trino-cli'],
      ['x-trino-catalog', 'hive'],
      ['x-trino-schema', 'web'],
      ['x-trino-path', 'hive.web'],
      ['x-trino-time-zone', 'Europe/Paris'],
      ['x-trino-language', 'fr-FR'],
      ['x-trino-trace-token', 'abc123'],
      ['x-trino-client-info', '{"app":"x"}'],
      ['x-trino-transaction-id', 'NONE'],
      ['x-trino-query-data-encoding', 'json+zstd,json'],
    ]);
    expect(h).toMatchObject({
      protocol: 'trino',
      user: 'alice',
      userSource: 'header',
      originalUser: 'bob',
      source: 'trino-cli',
      catalog: 'hive',
      schema: 'web',
      path: 'hive.web',
      timeZone: 'Europe/Paris',
      language: 'fr-FR',
      traceToken: 'abc123',
      clientInfo: '{"app":"x"}',
      transactionId: undefined,
      transactionSupport: true,
      queryDataEncoding: 'json+zstd,json',
    });
  });

  it('leaves absent headers undefined and collections empty', () => {
    const h = parsed([]);
    expect(h).toMatchObject({ protocol: 'trino', user: undefined, userSource: undefined, transactionSupport: false });
    expect(h.clientTags).toEqual([]);
    expect(h.sessionProperties.size).toBe(0);
    expect(h.preparedStatements.size).toBe(0);
  });

  it('the first header line wins', () => {
    const h = parsed([
      ['x-trino-user', 'first'],
      ['x-trino-user', 'second'],
      ['x-trino-catalog', 'a'],
      ['x-trino-catalog', 'b'],
    ]);
    expect(h.user).toBe('first');
    expect(h.catalog).toBe('a');
  });

  it('trims user, catalog, schema, path, trace token and transaction id; blank means absent', () => {
    const h = parsed([
      ['x-trino-user', '  alice '],
      ['x-trino-catalog', ' '],
      ['x-trino-schema', ' web '],
      ['x-trino-transaction-id', ' 5e3f3a7a-1111-2222-3333-444455556666 '],
    ]);
    expect(h.user).toBe('alice');
    expect(h.catalog).toBeUndefined();
    expect(h.schema).toBe('web');
    expect(h.transactionId).toBe('5e3f3a7a-1111-2222-3333-444455556666');
    expect(h.transactionSupport).toBe(true);
  });

  it('keeps source, time zone, language and client info as sent (Trino does not trim them)', () => {
    const h = parsed([
      ['x-trino-source', ' spaced '],
      ['x-trino-client-info', ' info '],
    ]);
    expect(h.source).toBe(' spaced ');
    expect(h.clientInfo).toBe(' info ');
  });

  it('treats Transaction-Id NONE case-insensitively', () => {
    expect(parsed([['x-trino-transaction-id', 'none']]).transactionId).toBeUndefined();
    expect(parsed([['x-trino-transaction-id', '']]).transactionSupport).toBe(true);
  });

  it('ignores unknown x-trino- headers and other headers', () => {
    const h = parsed([
      ['x-trino-something-new', 'x'],
      ['x-forwarded-proto', 'https'],
      ['accept', '*/*'],
    ]);
    expect(h.protocol).toBe('trino');
  });
});

describe('protocol prefixes', () => {
  it('reads X-Presto- headers from older clients', () => {
    const h = parsed([
      ['x-presto-user', 'legacy'],
      ['x-presto-session', 'query_max_run_time=1h'],
      ['x-presto-client-tags', 'old'],
    ]);
    expect(h.protocol).toBe('presto');
    expect(h.user).toBe('legacy');
    expect(h.sessionProperties.get('query_max_run_time')).toBe('1h');
    expect(h.clientTags).toEqual(['old']);
  });

  it('refuses both prefixes in one request, as Trino does', () => {
    const e = refused([
      ['x-trino-user', 'a'],
      ['x-presto-source', 'b'],
    ]);
    expect(e.problem).toBe('conflicting_protocols');
    expect(e.header).toBe('x-presto-source');
    expect(e.message).toMatch(/Both X-Trino- and X-Presto- headers/);
  });

  it('reports the protocol conflict before any other problem', () => {
    const e = refused([
      ['x-trino-session', 'broken'],
      ['x-presto-user', 'b'],
    ]);
    expect(e.problem).toBe('conflicting_protocols');
  });

  it('counts any name starting with x-presto as Presto, as Trino does', () => {
    expect(refused([['x-trino-user', 'a'], ['x-prestoish', 'b']]).problem).toBe('conflicting_protocols');
  });
});

describe('list headers', () => {
  it('reads a real session header', () => {
    const h = parsed([['x-trino-session', 'query_max_run_time=1h,optimize_hash_generation=true']]);
    expect([...h.sessionProperties]).toEqual([
      ['query_max_run_time', '1h'],
      ['optimize_hash_generation', 'true'],
    ]);
  });

  it('URL-decodes values: %2C and %3D carry commas and equals signs', () => {
    const h = parsed([['x-trino-session', 'hive.partition_filter=a%3D1%2Cb%3D2,label=x%20y']]);
    expect(h.sessionProperties.get('hive.partition_filter')).toBe('a=1,b=2');
    expect(h.sessionProperties.get('label')).toBe('x y');
  });

  it('decodes + as a space, as Java URLDecoder does, and %2B as a plus', () => {
    const h = parsed([['x-trino-session', 'a=1+1,b=1%2B1']]);
    expect(h.sessionProperties.get('a')).toBe('1 1');
    expect(h.sessionProperties.get('b')).toBe('1+1');
  });

  it('decodes multi-byte UTF-8 escapes', () => {
    expect(parsed([['x-trino-session', 'who=%C3%A9t%C3%A9%20%E2%82%AC']]).sessionProperties.get('who')).toBe('été €');
  });

  it('does not decode names (Trino does not)', () => {
    expect([...parsed([['x-trino-session', 'a%2Eb=1']]).sessionProperties.keys()]).toEqual(['a%2Eb']);
  });

  it('merges several Session header lines; a later entry replaces an earlier one', () => {
    const h = parsed([
      ['x-trino-session', 'a=1,b=2'],
      ['x-trino-user', 'u'],
      ['x-trino-session', 'c=3, b=20'],
    ]);
    expect(Object.fromEntries(h.sessionProperties)).toEqual({ a: '1', b: '20', c: '3' });
  });

  it('trims entries, names and values, and skips empty entries', () => {
    const h = parsed([['x-trino-session', ' a = 1 ,, ,b=2,']]);
    expect(Object.fromEntries(h.sessionProperties)).toEqual({ a: '1', b: '2' });
  });

  it('allows an empty value', () => {
    expect(parsed([['x-trino-session', 'a=']]).sessionProperties.get('a')).toBe('');
  });

  it('reads roles, extra credentials and resource estimates the same way', () => {
    const h = parsed([
      ['x-trino-role', 'system=ROLE%7Badmin%7D,hive=ALL'],
      ['x-trino-extra-credential', 'token=s3cr%3Dt'],
      ['x-trino-resource-estimate', 'EXECUTION_TIME=10m,PEAK_MEMORY=1GB'],
    ]);
    expect(Object.fromEntries(h.roles)).toEqual({ system: 'ROLE{admin}', hive: 'ALL' });
    expect(Object.fromEntries(h.extraCredentials)).toEqual({ token: 's3cr=t' });
    expect(Object.fromEntries(h.resourceEstimates)).toEqual({ EXECUTION_TIME: '10m', PEAK_MEMORY: '1GB' });
  });

  it('URL-decodes prepared statement names and values', () => {
    const h = parsed([['x-trino-prepared-statement', 'my+stmt=SELECT+*+FROM+t+WHERE+x+%3D+%3F']]);
    expect([...h.preparedStatements]).toEqual([['my stmt', 'SELECT * FROM t WHERE x = ?']]);
  });

  const malformed: [header: string, value: string, problem: string, entry: number][] = [
    ['x-trino-session', 'a=1,novalue', 'malformed_entry', 2],
    ['x-trino-session', 'a=1=2', 'malformed_entry', 1],
    ['x-trino-session', '=1', 'empty_name', 1],
    ['x-trino-session', ' =1', 'empty_name', 1],
    ['x-trino-session', 'a=%', 'bad_percent_encoding', 1],
    ['x-trino-session', 'a=%4', 'bad_percent_encoding', 1],
    ['x-trino-session', 'a=%zz', 'bad_percent_encoding', 1],
    ['x-trino-role', 'system', 'malformed_entry', 1],
    ['x-trino-extra-credential', 'k=v,=x', 'empty_name', 2],
    ['x-trino-prepared-statement', 'q%=SELECT+1', 'bad_percent_encoding', 1],
    ['x-trino-resource-estimate', 'PEAK_MEMORY', 'malformed_entry', 1],
  ];
  for (const [header, value, problem, entry] of malformed) {
    it(`refuses ${header}: ${value} (${problem})`, () => {
      const e = refused([[header, value]]);
      expect(e).toBeInstanceOf(RouterError);
      expect(e.code).toBe('invalid_trino_header');
      expect(e.header).toBe(header);
      expect(e.problem).toBe(problem);
      expect(e.entry).toBe(entry);
      expect(e.message).toContain(header);
    });
  }

  it('numbers entries across header lines', () => {
    expect(refused([['x-trino-session', 'a=1,b=2'], ['x-trino-session', 'c']]).entry).toBe(3);
  });

  it('never puts a value in the error (credentials may be secret)', () => {
    const e = refused([['x-trino-extra-credential', 'password=hunter2%zz']]);
    expect(e.message).not.toContain('hunter2');
    expect(JSON.stringify(e.context)).not.toContain('hunter2');
  });
});

describe('client tags and capabilities', () => {
  it('splits, trims and drops empties', () => {
    expect(parsed([['x-trino-client-tags', ' etl , ,nightly,, batch ']]).clientTags).toEqual(['etl', 'nightly', 'batch']);
  });

  it('reads only the first header line', () => {
    expect(parsed([['x-trino-client-tags', 'a,b'], ['x-trino-client-tags', 'c']]).clientTags).toEqual(['a', 'b']);
  });

  it('drops duplicates, keeping the first-seen order (Trino keeps a set)', () => {
    expect(parsed([['x-trino-client-tags', 'b,a,b,c,a']]).clientTags).toEqual(['b', 'a', 'c']);
  });

  it('drops duplicates in long lists too', () => {
    const tags = Array.from({ length: 40 }, (_, i) => `t${i % 25}`).join(',');
    expect(parsed([['x-trino-client-tags', tags]]).clientTags).toEqual(Array.from({ length: 25 }, (_, i) => `t${i}`));
  });

  it('an empty or all-comma header gives no tags', () => {
    expect(parsed([['x-trino-client-tags', ' , ,']]).clientTags).toEqual([]);
  });

  it('does not URL-decode tags', () => {
    expect(parsed([['x-trino-client-tags', 'a%2Cb']]).clientTags).toEqual(['a%2Cb']);
  });

  it('reads client capabilities the same way', () => {
    expect(parsed([['x-trino-client-capabilities', 'PATH, PARAMETRIC_DATETIME,SESSION_AUTHORIZATION']]).clientCapabilities).toEqual([
      'PATH',
      'PARAMETRIC_DATETIME',
      'SESSION_AUTHORIZATION',
    ]);
  });
});

describe('user from the Authorization header', () => {
  it('takes the Basic auth user when there is no X-Trino-User', () => {
    const h = parsed([['authorization', `Basic ${base64('alice:s3cret:with:colons')}`]]);
    expect(h.user).toBe('alice');
    expect(h.userSource).toBe('basic');
    expect(JSON.stringify(h)).not.toContain('s3cret');
  });

  it('X-Trino-User wins over Basic auth', () => {
    const h = parsed([
      ['authorization', `Basic ${base64('alice:pw')}`],
      ['x-trino-user', 'bob'],
    ]);
    expect(h.user).toBe('bob');
    expect(h.userSource).toBe('header');
  });

  it('falls back to Basic auth when X-Trino-User is blank', () => {
    expect(parsed([['x-trino-user', ' '], ['authorization', `Basic ${base64('alice:pw')}`]]).user).toBe('alice');
  });

  it('takes the JWT sub claim by default', () => {
    const h = parsed([['authorization', `Bearer ${jwt({ sub: 'carol', email: 'c@example.com' })}`]]);
    expect(h.user).toBe('carol');
    expect(h.userSource).toBe('jwt');
  });

  it('takes a configured JWT claim', () => {
    const token = jwt({ sub: '1234', preferred_username: 'dave' });
    expect(parsed([['authorization', `Bearer ${token}`]], { jwtUserClaim: 'preferred_username' }).user).toBe('dave');
  });

  const noUser: [string, string][] = [
    ['Basic with bad base64', 'Basic !!!notbase64'],
    ['Basic with an empty user', `Basic ${base64(':pw')}`],
    ['Basic with nothing', 'Basic '],
    ['Bearer that is not a JWT', 'Bearer opaque-token'],
    ['JWT whose payload is not JSON', `Bearer ${base64url('{}')}.${base64url('not json')}.sig`],
    ['JWT without the claim', `Bearer ${jwt({ name: 'x' })}`],
    ['JWT with a non-string claim', `Bearer ${jwt({ sub: 42 })}`],
    ['Negotiate', 'Negotiate YIIabc'],
    ['no scheme', 'justatoken'],
  ];
  for (const [why, value] of noUser) {
    it(`no user for ${why}, and no error`, () => {
      const h = parsed([['authorization', value]]);
      expect(h.user).toBeUndefined();
      expect(h.userSource).toBeUndefined();
    });
  }
});

describe('limits', () => {
  it('refuses a header value over the limit', () => {
    const e = refused([['x-trino-session', `a=${'x'.repeat(MAX_HEADER_VALUE_LENGTH)}`]]);
    expect(e.problem).toBe('value_too_large');
    expect(e.header).toBe('x-trino-session');
  });

  it('the limit is configurable and applies to the Authorization header', () => {
    expect(refused([['x-trino-user', 'x'.repeat(11)]], { maxHeaderValueLength: 10 }).problem).toBe('value_too_large');
    expect(refused([['authorization', `Basic ${'A'.repeat(20)}`]], { maxHeaderValueLength: 10 }).header).toBe('authorization');
    expect(parsed([['x-trino-user', 'x'.repeat(10)]], { maxHeaderValueLength: 10 }).user).toBe('x'.repeat(10));
  });

  it('does not look at headers it does not read, however long', () => {
    expect(parsed([['cookie', 'x'.repeat(MAX_HEADER_VALUE_LENGTH * 2)]]).user).toBeUndefined();
  });

  it('refuses more than 1,000 session entries, across lines', () => {
    const entries = (from: number, count: number) => Array.from({ length: count }, (_, i) => `p${from + i}=v`).join(',');
    expect(parsed([['x-trino-session', entries(0, 1000)]]).sessionProperties.size).toBe(1000);
    const e = refused([
      ['x-trino-session', entries(0, 600)],
      ['x-trino-session', entries(600, 401)],
    ]);
    expect(e.problem).toBe('too_many_entries');
    expect(e.message).toContain('1000');
  });

  it('refuses more distinct client tags than the entry limit (duplicates do not count)', () => {
    expect(parsed([['x-trino-client-tags', 'a,b,a,b,a']], { maxListEntries: 2 }).clientTags).toEqual(['a', 'b']);
    const e = refused([['x-presto-client-tags', 'a,b,c']], { maxListEntries: 2 });
    expect(e.problem).toBe('too_many_entries');
    expect(e.header).toBe('x-presto-client-tags');
  });

  it('the entry limit is configurable', () => {
    expect(refused([['x-trino-role', 'a=1,b=2,c=3']], { maxListEntries: 2 }).problem).toBe('too_many_entries');
  });
});

describe('isTrinoHeaderError', () => {
  it('tells errors from results', () => {
    expect(isTrinoHeaderError(parseTrinoHeaders([]))).toBe(false);
    expect(isTrinoHeaderError(parseTrinoHeaders([['x-trino-session', 'x']]))).toBe(true);
    expect(isTrinoHeaderError(new Error('x'))).toBe(false);
    expect(isTrinoHeaderError(undefined)).toBe(false);
  });
});
