/**
 * Query ids and request paths: every id a coordinator can make parses back to its parts;
 * recognition agrees with a regex + calendar reference; classifyTrinoPath agrees with a
 * regex-based reference classifier on paths built from Trino's resources, garbage included,
 * round-trips every kind from its parts, and ignores the query string.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyTrinoPath, namesQuery, type TrinoPath } from '../../src/trino/paths.js';
import { coordinatorIdOf, isCoordinatorId, isQueryId, parseQueryId } from '../../src/trino/query-id.js';
import {
  anyUtf16,
  applyEdit,
  edit,
  formatQueryId,
  hostileString,
  MANY_RUNS,
  queryId,
  queryIdSpec,
  queryString,
  RUNS,
  slug,
  token,
} from './arbitraries.js';

/** Query id recognition written independently: a regex for the shape, Date for the calendar. */
function referenceIsQueryId(s: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_\d{5}_[a-km-np-z2-9]{5}$/.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return (
    d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day &&
    d.getUTCHours() === hour && d.getUTCMinutes() === minute && d.getUTCSeconds() === second
  );
}

const idChars = fc.constantFrom('0', '1', '2', '3', '5', '9', '_', 'a', 'l', 'o', 'z', 'A', '8', ' ', '٣', '\u0000');
const almostIds = fc.oneof(
  fc.tuple(queryId, fc.array(edit(idChars), { minLength: 1, maxLength: 3 })).map(([id, edits]) => edits.reduce(applyEdit, id)),
  fc.string({ unit: idChars, minLength: 27, maxLength: 27 }),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
    .map(([y, mo, d, h, mi, s]) => `${String(y).padStart(4, '0')}${String(mo).padStart(2, '0')}${String(d).padStart(2, '0')}_${String(h).padStart(2, '0')}${String(mi).padStart(2, '0')}${String(s).padStart(2, '0')}_00001_abcde`),
  hostileString(30),
);

describe('query ids', () => {
  it('round trip: every id a coordinator can make parses back to its second, counter and coordinator', () => {
    fc.assert(
      fc.property(queryIdSpec, (spec) => {
        const id = formatQueryId(spec);
        expect(parseQueryId(id)).toEqual({ queryId: id, ...spec });
        expect(coordinatorIdOf(id)).toBe(spec.coordinatorId);
        expect(isCoordinatorId(spec.coordinatorId)).toBe(true);
      }),
      MANY_RUNS,
    );
  });

  it('recognition agrees with the regex + calendar reference, near-misses and garbage included', () => {
    fc.assert(
      fc.property(almostIds, (s) => {
        const valid = referenceIsQueryId(s);
        expect(isQueryId(s)).toBe(valid);
        expect(parseQueryId(s) !== undefined).toBe(valid);
        expect(coordinatorIdOf(s)).toBe(valid ? s.slice(22) : undefined);
        // A parsed id formats back to itself: no two spellings of one id.
        const parsed = parseQueryId(s);
        if (parsed !== undefined) expect(formatQueryId(parsed)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('isCoordinatorId accepts exactly 5 characters of the base-32 alphabet', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: fc.constantFrom('a', 'l', 'o', '0', '1', '2', '9', 'z', 'A', 'é'), maxLength: 7 }), anyUtf16(6)), (s) => {
        expect(isCoordinatorId(s)).toBe(/^[a-km-np-z2-9]{5}$/.test(s));
      }),
      MANY_RUNS,
    );
  });
});

const SLUG = /^[A-Za-z0-9_-]{1,128}$/;
const SEGMENT_ID = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@]{1,4096}$/;

/** classifyTrinoPath written with regexes over the path without its query string. */
function referenceClassify(method: string, path: string): TrinoPath['kind'] | Exclude<TrinoPath, { kind: 'invalid' }> {
  const q = path.indexOf('?');
  const p = q < 0 ? path : path.slice(0, q);
  const statementParts = (m: RegExpExecArray | null, phase: 'queued' | 'executing') => {
    if (m === null) return 'invalid' as const;
    const [, id, slugPart, tokenPart] = m as unknown as [string, string, string, string];
    if (!referenceIsQueryId(id) || !SLUG.test(slugPart) || !/^\d{1,15}$/.test(tokenPart)) return 'invalid' as const;
    return { kind: 'statement' as const, phase, queryId: id, slug: slugPart, token: Number(tokenPart) };
  };
  if (p === '/v1/statement') return method === 'POST' ? { kind: 'submit' } : { kind: 'other' };
  if (p.startsWith('/v1/statement/')) {
    if (p.startsWith('/v1/statement/queued/')) return statementParts(/^\/v1\/statement\/queued\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(p), 'queued');
    if (p.startsWith('/v1/statement/executing/partialCancel/')) {
      const m = /^\/v1\/statement\/executing\/partialCancel\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(p);
      if (m === null) return 'invalid';
      const [, id, stage, slugPart, tokenPart] = m as unknown as [string, string, string, string, string];
      if (!referenceIsQueryId(id) || !/^\d{1,9}$/.test(stage) || !SLUG.test(slugPart) || !/^\d{1,15}$/.test(tokenPart)) return 'invalid';
      return { kind: 'partialCancel', queryId: id, stage: Number(stage), slug: slugPart, token: Number(tokenPart) };
    }
    if (p.startsWith('/v1/statement/executing/')) return statementParts(/^\/v1\/statement\/executing\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(p), 'executing');
    return 'invalid';
  }
  if (p.startsWith('/v1/query/')) {
    const rest = p.slice('/v1/query/'.length);
    if (rest === '') return { kind: 'other' };
    const [id, ...action] = rest.split('/');
    if (!referenceIsQueryId(id!)) return 'invalid';
    if (action.length === 0) return { kind: 'query', queryId: id! };
    const a = action.join('/');
    return a === 'killed' || a === 'preempted' ? { kind: 'query', queryId: id!, action: a } : 'invalid';
  }
  if (p.startsWith('/v1/spooled/')) {
    const m = /^\/v1\/spooled\/(download|ack)\/(.*)$/s.exec(p);
    if (m === null || !SEGMENT_ID.test(m[2]!)) return 'invalid';
    return { kind: 'spooled', action: m[1] as 'download' | 'ack', segmentId: m[2]! };
  }
  if (p === '/v1/info' || p === '/v1/info/state' || p === '/v1/status') return { kind: 'status' };
  if (p === '/ui/query.html') {
    if (q < 0) return { kind: 'other' };
    const id = path.slice(q + 1);
    return referenceIsQueryId(id) ? { kind: 'uiQuery', queryId: id } : 'invalid';
  }
  if (p.startsWith('/ui/api/query/')) {
    const rest = p.slice('/ui/api/query/'.length);
    if (rest === '') return { kind: 'other' };
    const id = rest.split('/')[0]!;
    return referenceIsQueryId(id) ? { kind: 'uiQuery', queryId: id } : 'invalid';
  }
  return { kind: 'other' };
}

const PREFIXES = [
  '/v1/statement', '/v1/statement/', '/v1/statement/queued/', '/v1/statement/executing/', '/v1/statement/executing/partialCancel/',
  '/v1/statements', '/v1/query/', '/v1/query', '/ui/query.html', '/ui/api/query/', '/v1/spooled/download/', '/v1/spooled/ack/',
  '/v1/spooled/', '/v1/info', '/v1/info/state', '/v1/status', '/v1/', '/', '', '//', '/ui/', '/_tr/trino-a/', '/_router/refused/',
];
const segment = fc.oneof(
  queryId,
  slug,
  token.map(String),
  fc.integer({ min: 1, max: 17 }).chain((n) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n })),
  fc.constantFrom('', 'killed', 'preempted', 'state', '..', '.', '%2F', 'y', '-1', '1e3', '0x1', '٣', 'partialCancel', 'x'.repeat(130)),
  fc.string({ unit: fc.constantFrom('a', '_', '%', '~', '!', '@', ' ', '\\', '"', 'é'), maxLength: 8 }),
  almostIds,
);
/** A valid resource path as prefix + segments, then some segments swapped for random ones. */
const digits = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength });
const validShape = fc.oneof(
  fc.tuple(fc.constantFrom('queued', 'executing'), queryId, slug, digits(17)).map(([phase, id, s, t]) => ({ prefix: `/v1/statement/${phase}/`, parts: [id, s, t] })),
  fc.tuple(queryId, digits(11), slug, digits(17)).map(([id, stage, s, t]) => ({ prefix: '/v1/statement/executing/partialCancel/', parts: [id, stage, s, t] })),
  fc.tuple(queryId, fc.constantFrom([], ['killed'], ['preempted'])).map(([id, action]) => ({ prefix: '/v1/query/', parts: [id, ...action] })),
  queryId.map((id) => ({ prefix: '/ui/api/query/', parts: [id] })),
  queryId.map((id) => ({ prefix: '/ui/query.html?', parts: [id] })),
  fc.tuple(fc.constantFrom('download', 'ack'), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)).map(([action, id]) => ({ prefix: `/v1/spooled/${action}/`, parts: [id] })),
);
const nearlyValidPath = fc
  .tuple(validShape, fc.array(fc.tuple(fc.nat(), segment), { maxLength: 2 }), fc.constantFrom('keep', 'append', 'drop'), fc.option(queryString, { nil: undefined }))
  .map(([{ prefix, parts }, swaps, change, qs]) => {
    const out = [...parts];
    for (const [at, replacement] of swaps) out[at % out.length] = replacement;
    if (change === 'append') out.push('extra');
    if (change === 'drop') out.pop();
    return `${prefix}${out.join('/')}${qs === undefined ? '' : `?${qs}`}`;
  });

const pathLike = fc.oneof(
  nearlyValidPath,
  fc
    .tuple(fc.constantFrom(...PREFIXES), fc.array(segment, { maxLength: 6 }), fc.option(queryString, { nil: undefined }))
    .map(([prefix, parts, qs]) => `${prefix}${parts.join('/')}${qs === undefined ? '' : `?${qs}`}`),
  hostileString(80),
);
const method = fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'HEAD', 'post', '');

describe('classifyTrinoPath', () => {
  it('agrees with the regex-based reference classifier on Trino-shaped and garbage paths', () => {
    fc.assert(
      fc.property(method, pathLike, (m, path) => {
        const actual = classifyTrinoPath(m, path);
        const expected = referenceClassify(m, path);
        if (expected === 'invalid') {
          expect(actual.kind).toBe('invalid');
          expect((actual as { reason: string }).reason.length).toBeGreaterThan(0);
        } else {
          expect(actual).toEqual(expected);
        }
        if (namesQuery(actual)) {
          expect(isQueryId(actual.queryId)).toBe(true);
          expect(path).toContain(actual.queryId);
        }
      }),
      { numRuns: 3000 },
    );
  });

  const kindAndPath = fc.oneof(
    fc.tuple(fc.constantFrom('queued' as const, 'executing' as const), queryId, slug, token).map(([phase, id, s, t]) => ({
      path: `/v1/statement/${phase}/${id}/${s}/${t}`,
      expected: { kind: 'statement', phase, queryId: id, slug: s, token: t },
    })),
    fc.tuple(queryId, fc.integer({ min: 0, max: 999_999_999 }), slug, token).map(([id, stage, s, t]) => ({
      path: `/v1/statement/executing/partialCancel/${id}/${stage}/${s}/${t}`,
      expected: { kind: 'partialCancel', queryId: id, stage, slug: s, token: t },
    })),
    fc.tuple(queryId, fc.constantFrom(undefined, 'killed' as const, 'preempted' as const)).map(([id, action]) => ({
      path: `/v1/query/${id}${action === undefined ? '' : `/${action}`}`,
      expected: action === undefined ? { kind: 'query', queryId: id } : { kind: 'query', queryId: id, action },
    })),
    queryId.map((id) => ({ path: `/ui/api/query/${id}`, expected: { kind: 'uiQuery', queryId: id } })),
    fc.tuple(fc.constantFrom('download' as const, 'ack' as const), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)).map(([action, id]) => ({
      path: `/v1/spooled/${action}/${id}`,
      expected: { kind: 'spooled', action, segmentId: id },
    })),
    fc.constantFrom('/v1/info', '/v1/info/state', '/v1/status').map((path) => ({ path, expected: { kind: 'status' } })),
  );

  it('round trip: each kind built from its parts classifies back to those parts, with any query string', () => {
    fc.assert(
      fc.property(kindAndPath, fc.option(queryString, { nil: undefined }), method, ({ path, expected }, qs, m) => {
        const full = qs === undefined ? path : `${path}?${qs}`;
        expect(classifyTrinoPath(m, full)).toEqual(expected);
      }),
      MANY_RUNS,
    );
    fc.assert(
      fc.property(queryId, (id) => {
        expect(classifyTrinoPath('GET', `/ui/query.html?${id}`)).toEqual({ kind: 'uiQuery', queryId: id });
        expect(classifyTrinoPath('POST', '/v1/statement')).toEqual({ kind: 'submit' });
      }),
      RUNS,
    );
  });

  it('the query string never changes the classification (except the UI page, which reads its id from it)', () => {
    fc.assert(
      fc.property(method, pathLike, queryString, (m, path, qs) => {
        const bare = path.split('?', 1)[0]!;
        if (bare === '/ui/query.html') return;
        expect(classifyTrinoPath(m, `${bare}?${qs}`)).toEqual(classifyTrinoPath(m, bare));
      }),
      MANY_RUNS,
    );
  });

  it('only POST to /v1/statement is a submission', () => {
    fc.assert(
      fc.property(method, queryString, (m, qs) => {
        expect(classifyTrinoPath(m, `/v1/statement?${qs}`).kind).toBe(m === 'POST' ? 'submit' : 'other');
      }),
      RUNS,
    );
  });
});
