/**
 * The router's ext_proc request decoder against the generated one: for any bytes, it gives
 * exactly what readHeaderMap(ProcessingRequest.decode(bytes)) gives, and refuses exactly the
 * bytes the generated decoder refuses (same error).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeExtProcRequest, encodeExtProcResponse, extProcService, reusedResponse, type ExtProcRequest } from '../../../src/envoy/ext-proc-codec.js';
import { readHeaderMap } from '../../../src/envoy/header-codec.js';
import { ExternalProcessorService, ProcessingRequest, ProcessingResponse } from '../../../src/gen/envoy/service/ext_proc/v3/external_processor.js';
import { RUNS } from '../../property/arbitraries.js';

type Outcome = { readonly ok: true; readonly message: ExtProcRequest } | { readonly ok: false; readonly error: string };

function reference(bytes: Uint8Array): Outcome {
  try {
    const decoded = ProcessingRequest.decode(bytes);
    const request = decoded.request;
    const phase = request?.$case === 'requestHeaders' || request?.$case === 'responseHeaders'
      ? { $case: request.$case, value: { headers: readHeaderMap(request.value.headers), endOfStream: request.value.endOfStream } }
      : request;
    return { ok: true, message: { request: phase, metadataContext: decoded.metadataContext, attributes: decoded.attributes, observabilityMode: decoded.observabilityMode } };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}

function lean(bytes: Uint8Array): Outcome {
  try {
    return { ok: true, message: decodeExtProcRequest(Buffer.from(bytes)) };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}

function expectSame(bytes: Uint8Array): void {
  expect(lean(bytes)).toEqual(reference(bytes));
}

const headerValue = fc.record({
  key: fc.oneof(fc.constantFrom(':path', ':method', 'X-Trino-User', 'authorization', 'x-trino-session'), fc.string({ unit: 'binary', maxLength: 20 })),
  value: fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 20 })),
  // Arbitrary bytes: invalid UTF-8 included.
  rawValue: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new TextEncoder().encode(s))),
}).map((h) => ({ key: h.key, value: h.value, rawValue: Buffer.from(h.rawValue) }));

const httpHeaders = fc.record({
  headers: fc.option(fc.record({ headers: fc.array(headerValue, { maxLength: 12 }) }), { nil: undefined }),
  attributes: fc.constantFrom({}, { 'envoy.filters.http.ext_proc': { 'request.host': 'h' } }),
  endOfStream: fc.boolean(),
});

const phase = fc.oneof(
  httpHeaders.map((value) => ({ $case: 'requestHeaders' as const, value })),
  httpHeaders.map((value) => ({ $case: 'responseHeaders' as const, value })),
  fc.uint8Array({ maxLength: 30 }).map((body) => ({ $case: 'responseBody' as const, value: { body: Buffer.from(body), endOfStream: true } })),
  fc.string({ maxLength: 5 }).map((value) => ({ $case: 'requestTrailers' as const, value: { trailers: { headers: [{ key: 'k', value, rawValue: Buffer.from(value) }] } } })),
  fc.constant(undefined),
);

const message = fc.record({
  request: phase,
  attributes: fc.constantFrom({}, { 'envoy.filters.http.ext_proc': { 'destination.port': 8443 } }, { 'envoy.filters.http.ext_proc': { 'destination.port': '8080', x: [1, 'a', null] } }),
  observabilityMode: fc.boolean(),
}).map((m) => Buffer.from(ProcessingRequest.encode(ProcessingRequest.fromPartial(m)).finish()));

describe('decodeExtProcRequest', () => {
  it('reads well-formed messages exactly as the generated decoder + readHeaderMap', () => {
    fc.assert(fc.property(message, (bytes) => expectSame(bytes)), RUNS);
  });

  it('refuses and accepts the same truncated and corrupted messages', () => {
    fc.assert(fc.property(message, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (bytes, cut, at, byte) => {
      expectSame(bytes.subarray(0, bytes.length === 0 ? 0 : cut % bytes.length));
      if (bytes.length === 0) return;
      const corrupted = Buffer.from(bytes);
      corrupted[at % corrupted.length] = byte;
      expectSame(corrupted);
    }), RUNS);
  });

  it('agrees on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => expectSame(bytes)), RUNS);
  });

  it('keeps the generated semantics for repeated fields, unknown fields and end-group tags', () => {
    const header = (raw: string) => ({ key: 'X-A', value: 'v', rawValue: Buffer.from(raw) });
    const one = Buffer.from(ProcessingRequest.encode(ProcessingRequest.fromPartial({
      request: { $case: 'requestHeaders', value: { headers: { headers: [header('first')] } } },
    })).finish());
    const two = Buffer.from(ProcessingRequest.encode(ProcessingRequest.fromPartial({
      request: { $case: 'requestHeaders', value: { headers: { headers: [header('second'), { key: 'only-value', value: 'old envoy', rawValue: Buffer.alloc(0) }] } } },
    })).finish());
    // A repeated oneof field: the last one wins, nothing merged.
    expectSame(Buffer.concat([one, two]));
    expect(decodeExtProcRequest(Buffer.concat([one, two])).request).toEqual({
      $case: 'requestHeaders',
      value: { headers: [['x-a', 'second'], ['only-value', 'old envoy']], endOfStream: false },
    });
    // Names lower-cased exactly as String.prototype.toLowerCase does, a leading U+FEFF kept.
    const names = Buffer.from(ProcessingRequest.encode(ProcessingRequest.fromPartial({
      request: { $case: 'requestHeaders', value: { headers: { headers: ['\uFEFFX-Ä', 'İSTANBUL', 'x-plain', 'X-MiXeD', 'ÉTÉ'].map((key) => ({ key, value: '', rawValue: Buffer.from('v') })) } } },
    })).finish());
    expectSame(names);
    const decoded = decodeExtProcRequest(names).request;
    expect(decoded?.$case === 'requestHeaders' ? decoded.value.headers.map(([name]) => name) : undefined)
      .toEqual(['\uFEFFx-ä', 'İSTANBUL'.toLowerCase(), 'x-plain', 'x-mixed', 'été']);
    // Unknown fields of every wire type, then an end-group tag that stops the message.
    const unknown = Buffer.from([0x58, 0x01, 0x61, 1, 2, 3, 4, 5, 6, 7, 8, 0x6a, 0x02, 0x41, 0x42, 0x75, 1, 2, 3, 4]);
    expectSame(Buffer.concat([unknown, one]));
    expectSame(Buffer.concat([one, Buffer.from([0x0c]), two]));
    expectSame(Buffer.concat([one, Buffer.from([0x00]), two]));
  });

  it('keeps the generated recursion limit for nested structs inside headers', () => {
    let refused = 0;
    for (let depth = 20; depth <= 45; depth++) {
      let nested: Record<string, unknown> = { leaf: 1 };
      for (let i = 0; i < depth; i++) nested = { n: nested };
      const bytes = Buffer.from(ProcessingRequest.encode(ProcessingRequest.fromPartial({
        request: { $case: 'requestHeaders', value: { headers: { headers: [] }, attributes: { a: nested } } },
      })).finish());
      expectSame(bytes);
      if (!lean(bytes).ok) refused++;
    }
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(26);
  });

  it('serves the generated service definition with only the codec replaced', () => {
    const { requestDeserialize, responseSerialize, ...rest } = extProcService.process;
    const { requestDeserialize: generated, responseSerialize: _generatedSerialize, ...generatedRest } = ExternalProcessorService.process;
    expect(rest).toEqual(generatedRest);
    expect(requestDeserialize).toBe(decodeExtProcRequest);
    expect(responseSerialize).toBe(encodeExtProcResponse);
    expect(generated).not.toBe(decodeExtProcRequest);
  });

  it('encodes answers, reused or not, exactly as the generated encoder', () => {
    const answer = (cluster: string): ProcessingResponse => ProcessingResponse.fromPartial({
      response: { $case: 'requestHeaders', value: { response: { headerMutation: { setHeaders: [{ header: { key: 'x-trino-cluster', rawValue: Buffer.from(cluster) } }] }, clearRouteCache: true } } },
    });
    const generated = (r: ProcessingResponse): Buffer => ExternalProcessorService.process.responseSerialize(r);
    const once = answer('trino-a');
    expect(encodeExtProcResponse(once)).toEqual(generated(once));
    const reused = reusedResponse(answer('trino-b'));
    expect(encodeExtProcResponse(reused)).toEqual(generated(answer('trino-b')));
    expect(encodeExtProcResponse(reused)).toBe(encodeExtProcResponse(reused));
  });
});
