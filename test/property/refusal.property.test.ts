/**
 * The router's refusal URLs (`/_router/refused/<base64url JSON>`): a refused submission's
 * nextUri always decodes back to its kind and message (cut only when long), whatever the
 * message holds; and decodeRefusal on any crafted path yields undefined or one of the
 * router's own kinds, whose poll answer can always be built.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRefusal,
  failedStatementReply,
  REFUSAL_ROOT,
  routerErrorReply,
  type RouterErrorKind,
} from '../../src/routing/replies.js';
import { anyText, anyUtf16, hostileString, MANY_RUNS, RUNS } from './arbitraries.js';

/** Every kind, checked complete at compile time. */
const KIND_SET: Readonly<Record<RouterErrorKind, true>> = {
  prefix_disabled: true,
  forged_prefix: true,
  forged_login: true,
  unroutable_segment: true,
  malformed_query_id: true,
  unknown_query: true,
  unknown_transaction: true,
  queue_unavailable: true,
  bad_headers: true,
  no_backend: true,
  no_backend_configured: true,
};
const KINDS = Object.keys(KIND_SET) as RouterErrorKind[];
const kind = fc.constantFrom(...KINDS);
const ORIGIN = 'http://envoy.example:8080';

/** Messages as the router builds them: they quote client input (transaction ids, query ids, header names). */
const message = fc.oneof(
  anyText(200),
  anyUtf16(200),
  fc.string({ unit: fc.constantFrom('\ufffd', '€', '"', '\\', '\t', '\u0001', '😀', 'a'), minLength: 1400, maxLength: 2200 }),
  fc.integer({ min: 1, max: 5000 }).map((n) => 'x'.repeat(n)),
  // Worst cases for the encoded size: every character 3 bytes of UTF-8 (a non-UTF-8 header byte
  // becomes U+FFFD) or 6 bytes of JSON escape.
  fc.tuple(fc.constantFrom('\ufffd', '€', '\u0001', '\ud800', '"'), fc.integer({ min: 1, max: 3000 })).map(([c, n]) => c.repeat(n)),
);

function refusedSubmission(k: RouterErrorKind, msg: string, method = 'POST', path = '/v1/statement'): string | undefined {
  const reply = routerErrorReply(k, msg, { method, path, origin: ORIGIN, unavailable: 'failed-query' });
  if (reply.status !== 200) return undefined;
  const body = JSON.parse(reply.body) as { nextUri?: string; stats: { state: string } };
  return body.nextUri;
}

describe('refusal URLs round-trip', () => {
  it('the nextUri of every refused submission decodes to its kind and message, cut with … only when long', () => {
    fc.assert(
      fc.property(kind, message, (k, msg) => {
        const nextUri = refusedSubmission(k, msg);
        if (nextUri === undefined) {
          // Only a transient outage in retry mode answers 503 instead; here the mode is failed-query.
          throw new Error(`no nextUri for ${k}`);
        }
        expect(nextUri.startsWith(`${ORIGIN}${REFUSAL_ROOT}`)).toBe(true);
        const decoded = decodeRefusal(nextUri.slice(ORIGIN.length));
        expect(decoded).toBeDefined();
        expect(decoded!.kind).toBe(k);
        if (decoded!.message !== msg) {
          expect(decoded!.message.endsWith('…')).toBe(true);
          expect(msg.startsWith(decoded!.message.slice(0, -1))).toBe(true);
          expect(decoded!.message.length).toBeLessThan(msg.length + 1);
        }
        // Short messages are never cut.
        if (Buffer.byteLength(JSON.stringify(msg)) <= 1000) expect(decoded!.message).toBe(msg);
        // The URL stays a sane size.
        expect(nextUri.length).toBeLessThan(ORIGIN.length + REFUSAL_ROOT.length + 6100);
      }),
      RUNS,
    );
  });

  it('a query string or fragment after the encoded refusal changes nothing', () => {
    fc.assert(
      fc.property(kind, anyText(50), fc.constantFrom('?maxWait=1s', '#x', '/extra', '?a=/b'), (k, msg, tail) => {
        const path = refusedSubmission(k, msg)!.slice(ORIGIN.length);
        expect(decodeRefusal(`${path}${tail}`)).toEqual(decodeRefusal(path));
      }),
      RUNS,
    );
  });
});

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value) ?? '', 'utf8').toString('base64url');

describe('decodeRefusal is total and only yields the router’s own kinds', () => {
  const crafted = fc.oneof(
    hostileString(80).map((s) => `${REFUSAL_ROOT}${s}`),
    fc.jsonValue().map((v) => `${REFUSAL_ROOT}${encode(v)}`),
    fc
      .tuple(
        fc.oneof(kind, fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', ''), anyText(12)),
        fc.oneof(anyText(20), fc.jsonValue()),
        fc.array(fc.jsonValue(), { maxLength: 1 }),
      )
      .map(([k, m, extra]) => `${REFUSAL_ROOT}${encode([k, m, ...extra])}`),
    fc.base64String().map((s) => `${REFUSAL_ROOT}${s}`),
  );

  it('any path gives undefined, or a known kind and a string message whose poll answer can be built', () => {
    fc.assert(
      fc.property(crafted, (path) => {
        const decoded = decodeRefusal(path);
        if (decoded === undefined) return;
        expect(KINDS).toContain(decoded.kind);
        expect(typeof decoded.message).toBe('string');
        const reply = failedStatementReply(decoded.kind, decoded.message);
        const body = JSON.parse(reply.body) as { stats: { state: string }; error: { message: string; errorName: string } };
        expect(body.stats.state).toBe('FAILED');
        expect(body.error.message).toBe(decoded.message);
        expect(typeof body.error.errorName).toBe('string');
      }),
      MANY_RUNS,
    );
  });

  it('inherited property names are not kinds', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(decodeRefusal(`${REFUSAL_ROOT}${encode([name, 'x'])}`)).toBeUndefined();
    }
  });
});
