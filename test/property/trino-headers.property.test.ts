/**
 * parseTrinoHeaders as a whole: a client model (user, source, tags, session, roles,
 * credentials, prepared statements, transaction...) encoded the way Trino clients encode it,
 * in any header order, over several lines, with either protocol prefix and unrelated headers
 * mixed in, must parse back to the model. Hostile lists give a typed error that names the
 * header but never echoes a value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isTrinoHeaderError,
  parseTrinoHeaders,
  TrinoHeaderError,
  type HeaderList,
  type TrinoRequestHeaders,
} from '../../src/trino/headers.js';
import { encodePropertyList } from '../../src/trino/property-list.js';
import { anyText, anyUtf16, hostileString, RUNS, SPECIAL_CHARS } from './arbitraries.js';

const SINGLE_TRIMMED = ['user', 'original-user', 'catalog', 'schema', 'path', 'trace-token', 'query-data-encoding', 'routing-group'] as const;
const SINGLE_AS_SENT = ['source', 'time-zone', 'language', 'client-info'] as const;
const LIST_HEADERS = ['session', 'role', 'extra-credential', 'resource-estimate'] as const;

/** A header value as a client could send it over HTTP/1.1 (no CR, LF or NUL). */
const headerText = (maxLength = 30): fc.Arbitrary<string> => anyText(maxLength).map((s) => s.replace(/[\r\n\0]/g, ''));
const tag = fc.string({ unit: fc.constantFrom('a', 'b', 'etl', ' ', '\t', '-', 'é', '😀', '\u00a0'), maxLength: 4 });
const plainName = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '_', '.', '0', '9', '$', 'é'), minLength: 1, maxLength: 10 });
const entries = fc.uniqueArray(fc.tuple(plainName, headerText()), { selector: ([n]) => n, maxLength: 6 });

interface ClientModel {
  readonly protocol: 'trino' | 'presto';
  readonly single: Partial<Record<(typeof SINGLE_TRIMMED)[number] | (typeof SINGLE_AS_SENT)[number], string>>;
  readonly tags: readonly string[] | undefined;
  readonly capabilities: readonly string[] | undefined;
  readonly lists: Partial<Record<(typeof LIST_HEADERS)[number], readonly (readonly [string, string])[]>>;
  readonly prepared: readonly (readonly [string, string])[];
  readonly transaction: string | undefined;
  readonly linesPerList: number;
  /** Picks the order in which the header groups are interleaved. */
  readonly order: readonly number[];
  readonly noise: readonly (readonly [string, string])[];
}

const noiseName = fc.oneof(
  fc.constantFrom('accept', 'user-agent', 'content-type', 'x-forwarded-proto', 'x-request-id', ':path', ':method', ':authority', 'x-', 'x-trinox', 'x-trino', 'x-tr'),
  fc.stringMatching(/^[a-wyz][a-z0-9-]{0,15}$/),
);

const clientModel: fc.Arbitrary<ClientModel> = fc.record({
  protocol: fc.constantFrom('trino' as const, 'presto' as const),
  single: fc.record(
    Object.fromEntries([...SINGLE_TRIMMED, ...SINGLE_AS_SENT].map((k) => [k, headerText()])) as Record<string, fc.Arbitrary<string>>,
    { requiredKeys: [] },
  ),
  tags: fc.option(fc.array(tag, { maxLength: 8 }), { nil: undefined }),
  capabilities: fc.option(fc.array(tag, { maxLength: 4 }), { nil: undefined }),
  lists: fc.record(Object.fromEntries(LIST_HEADERS.map((k) => [k, entries])) as Record<string, typeof entries>, { requiredKeys: [] }),
  prepared: fc.uniqueArray(fc.tuple(headerText(8).filter((n) => n.length > 0), headerText(40)), { selector: ([n]) => n, maxLength: 3 }),
  transaction: fc.option(fc.oneof(fc.constantFrom('NONE', 'none', 'NoNe', ' NONE ', ''), fc.uuid(), headerText(20)), { nil: undefined }),
  linesPerList: fc.integer({ min: 1, max: 3 }),
  order: fc.array(fc.nat(), { maxLength: 40 }),
  noise: fc.array(fc.tuple(noiseName, hostileString(20)), { maxLength: 6 }),
}) as fc.Arbitrary<ClientModel>;

function splitInto<T>(items: readonly T[], parts: number): T[][] {
  const per = Math.max(1, Math.ceil(items.length / parts));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per));
  return out;
}

/** The request a Trino client would send for the model. */
function encode(model: ClientModel): HeaderList {
  const prefix = `x-${model.protocol}-`;
  const groups: [string, string][][] = [];
  for (const [suffix, value] of Object.entries(model.single)) {
    if (value === undefined) continue;
    // A repeated line of a single-valued header never counts: the first one wins.
    groups.push([[`${prefix}${suffix}`, value], [`${prefix}${suffix}`, `${value}-second-line`]]);
  }
  if (model.tags !== undefined) groups.push([[`${prefix}client-tags`, model.tags.join(',')], [`${prefix}client-tags`, 'ignored-second-line']]);
  if (model.capabilities !== undefined) groups.push([[`${prefix}client-capabilities`, model.capabilities.join(',')]]);
  for (const [suffix, list] of Object.entries(model.lists)) {
    if (list === undefined) continue;
    groups.push(splitInto(list, model.linesPerList).map((part) => [`${prefix}${suffix}`, encodePropertyList(part)]));
  }
  if (model.prepared.length > 0) {
    groups.push(splitInto(model.prepared, model.linesPerList).map((part) => [`${prefix}prepared-statement`, encodePropertyList(part, true)]));
  }
  if (model.transaction !== undefined) groups.push([[`${prefix}transaction-id`, model.transaction]]);
  for (const noise of model.noise) groups.push([[noise[0], noise[1]]]);
  // Interleave the groups, keeping each group's own line order.
  const out: [string, string][] = [];
  let pick = 0;
  while (groups.some((g) => g.length > 0)) {
    const open = groups.filter((g) => g.length > 0);
    const group = open[(model.order[pick++ % Math.max(1, model.order.length)] ?? 0) % open.length]!;
    out.push(group.shift()!);
  }
  return out;
}

function trimmedOrUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function tagSet(tags: readonly string[] | undefined): string[] {
  return [...new Set((tags ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== ''))];
}

function expected(model: ClientModel): TrinoRequestHeaders {
  const s = model.single;
  const user = trimmedOrUndefined(s.user);
  const tx = trimmedOrUndefined(model.transaction);
  return {
    protocol: model.protocol,
    user,
    userSource: user === undefined ? undefined : 'header',
    originalUser: trimmedOrUndefined(s['original-user']),
    source: s.source,
    catalog: trimmedOrUndefined(s.catalog),
    schema: trimmedOrUndefined(s.schema),
    path: trimmedOrUndefined(s.path),
    timeZone: s['time-zone'],
    language: s.language,
    traceToken: trimmedOrUndefined(s['trace-token']),
    clientInfo: s['client-info'],
    clientTags: tagSet(model.tags),
    clientCapabilities: tagSet(model.capabilities),
    sessionProperties: new Map(model.lists.session ?? []),
    roles: new Map(model.lists.role ?? []),
    extraCredentials: new Map(model.lists['extra-credential'] ?? []),
    preparedStatements: new Map(model.prepared),
    transactionId: tx === undefined || tx.toUpperCase() === 'NONE' ? undefined : tx,
    transactionSupport: model.transaction !== undefined,
    resourceEstimates: new Map(model.lists['resource-estimate'] ?? []),
    queryDataEncoding: trimmedOrUndefined(s['query-data-encoding']),
    routingGroup: trimmedOrUndefined(s['routing-group']),
  };
}

describe('parseTrinoHeaders round trip', () => {
  it('a request encoded as a client encodes it parses back to the model, in any header order', () => {
    fc.assert(
      fc.property(clientModel, (model) => {
        const parsed = parseTrinoHeaders(encode(model));
        if (isTrinoHeaderError(parsed)) throw new Error(`unexpected ${parsed.problem} on ${parsed.header}: ${parsed.message}`);
        expect(parsed).toEqual(expected(model));
      }),
      RUNS,
    );
  });

  it('the protocol prefix changes nothing but the protocol', () => {
    fc.assert(
      fc.property(clientModel, (model) => {
        const trino = parseTrinoHeaders(encode({ ...model, protocol: 'trino' }));
        const presto = parseTrinoHeaders(encode({ ...model, protocol: 'presto' }));
        expect({ ...presto, protocol: 'trino' }).toEqual(trino);
      }),
      RUNS,
    );
  });

  it('X-Trino-User wins over any Authorization header; without it the Basic or JWT user is used', () => {
    const userText = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '_', '.', '0'), minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(userText, userText, fc.constantFrom('basic', 'jwt'), fc.boolean(), (headerUser, authUser, scheme, withHeader) => {
        const authorization = scheme === 'basic'
          ? `Basic ${Buffer.from(`${authUser}:pw`, 'latin1').toString('base64')}`
          : `Bearer e30.${Buffer.from(JSON.stringify({ sub: authUser })).toString('base64url')}.c2ln`;
        const headers: [string, string][] = [['authorization', authorization]];
        if (withHeader) headers.push(['x-trino-user', headerUser]);
        const parsed = parseTrinoHeaders(headers);
        if (isTrinoHeaderError(parsed)) throw parsed;
        expect(parsed.user).toBe(withHeader ? headerUser : authUser);
        expect(parsed.userSource).toBe(withHeader ? 'header' : scheme);
      }),
      RUNS,
    );
  });
});

const SECRET = 'S3CR3T';
const knownNames = [
  ...[...SINGLE_TRIMMED, ...SINGLE_AS_SENT, ...LIST_HEADERS, 'client-tags', 'client-capabilities', 'transaction-id', 'prepared-statement']
    .flatMap((s) => [`x-trino-${s}`, `x-presto-${s}`]),
];
/** Header lists built to hit every error path, each value carrying a secret marker. */
const hostileHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...knownNames) },
      { weight: 1, arbitrary: fc.constantFrom('authorization', 'x-presto', 'x-prestoish', 'x-trino-', 'x-trino-unknown', 'accept') },
    ),
    fc.oneof(
      fc.string({ unit: fc.constantFrom(...SPECIAL_CHARS), maxLength: 30 }).map((v) => `${v}${SECRET}`),
      fc.string({ unit: fc.constantFrom(',', '=', '%', 'a', ' '), maxLength: 30 }).map((v) => `${SECRET}${v}`),
      anyUtf16(30).map((v) => `${v}=${SECRET}`),
    ),
  ),
  { maxLength: 10 },
);

describe('parseTrinoHeaders on hostile input', () => {
  it('returns a value or a typed error naming a header that was sent, and never echoes a value', () => {
    fc.assert(
      fc.property(hostileHeaders, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5 }), (headers, maxLength, maxEntries) => {
        const parsed = parseTrinoHeaders(headers, { maxHeaderValueLength: maxLength, maxListEntries: maxEntries });
        if (!isTrinoHeaderError(parsed)) {
          expect(parsed.clientTags.length).toBeLessThanOrEqual(maxEntries);
          expect(parsed.sessionProperties.size).toBeLessThanOrEqual(maxEntries);
          return;
        }
        expect(parsed).toBeInstanceOf(TrinoHeaderError);
        expect(parsed.code).toBe('invalid_trino_header');
        expect(headers.some(([name]) => name === parsed.header) || /^x-(trino|presto)-client-(tags|capabilities)$/.test(parsed.header)).toBe(true);
        expect(parsed.message).not.toContain(SECRET);
        expect(JSON.stringify(parsed.context)).not.toContain(SECRET);
      }),
      { numRuns: 1000 },
    );
  });

  it('a value over the length cap is refused for every header the parser reads, and ignored for the others', () => {
    fc.assert(
      fc.property(fc.constantFrom(...knownNames, 'authorization'), fc.integer({ min: 1, max: 64 }), (name, cap) => {
        const sameProtocol = name.startsWith('x-presto') ? 'x-presto-user' : 'x-trino-user';
        const parsed = parseTrinoHeaders([[sameProtocol, 'u'], [name, 'v'.repeat(cap + 1)]], { maxHeaderValueLength: cap });
        if (name === sameProtocol) {
          // The first line of X-Trino-User was within the cap and won; the second is still read and refused.
          expect(isTrinoHeaderError(parsed) && parsed.problem).toBe('value_too_large');
          return;
        }
        expect(isTrinoHeaderError(parsed) && parsed.problem).toBe('value_too_large');
        expect(isTrinoHeaderError(parsed) && parsed.header).toBe(name);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.constantFrom('x-trino-unknown', 'accept', 'cookie', 'x-request-id'), fc.integer({ min: 1, max: 64 }), (name, cap) => {
        const parsed = parseTrinoHeaders([['x-trino-user', 'u'], [name, 'v'.repeat(cap + 1)]], { maxHeaderValueLength: cap });
        expect(isTrinoHeaderError(parsed)).toBe(false);
      }),
      RUNS,
    );
  });

  it('X-Trino- and X-Presto- headers in one request are always refused, whatever else is wrong', () => {
    fc.assert(
      fc.property(hostileHeaders, fc.constantFrom(...knownNames.filter((n) => n.startsWith('x-trino-'))), fc.constantFrom('x-presto', 'x-presto-user', 'x-prestoX'), fc.nat(), (headers, trino, presto, at) => {
        const list: [string, string][] = [...headers, [trino, 'a']];
        list.splice(at % (list.length + 1), 0, [presto, 'b']);
        const parsed = parseTrinoHeaders(list);
        expect(isTrinoHeaderError(parsed) && parsed.problem).toBe('conflicting_protocols');
      }),
      RUNS,
    );
  });

  it('more distinct client tags than the cap are refused; duplicates do not count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), (distinct, cap, copies) => {
        const tags = Array.from({ length: distinct * copies }, (_, i) => `t${i % distinct}`);
        const parsed = parseTrinoHeaders([['x-trino-client-tags', tags.join(', ')]], { maxListEntries: cap });
        if (distinct <= cap) {
          if (isTrinoHeaderError(parsed)) throw parsed;
          expect(parsed.clientTags).toHaveLength(distinct);
        } else {
          expect(isTrinoHeaderError(parsed) && parsed.problem).toBe('too_many_entries');
        }
      }),
      RUNS,
    );
  });
});
