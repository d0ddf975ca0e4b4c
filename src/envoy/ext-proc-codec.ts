/**
 * The ext_proc request decoder the router's gRPC server uses instead of the generated
 * `ProcessingRequest.decode`.
 *
 * Why: header messages are the whole request path, and the generated decoder spends most of
 * its time on them building what the router throws away at once: per header a HeaderValue
 * object with three Buffers (an empty default, a subarray view and a copy of raw_value), which
 * readHeaderMap then turns into strings. Profiles put that decode at about a fifth of the
 * router's CPU per request, plus much of its garbage. Here request and response headers are read
 * straight from the wire bytes into the router's header list; every other part of the message
 * (bodies, trailers, metadata, attributes) still goes through the generated decoders.
 *
 * The result is exactly what `readHeaderMap(ProcessingRequest.decode(bytes))` gives, and the
 * same bytes are refused: the loops below mirror the generated ones field for field (unknown
 * fields skipped, a repeated singular field replaces the earlier one, an end-group tag or a
 * zero tag ends the message, reads past the end throw "premature EOF", the recursion depth
 * the generated decoders count is kept). test/unit/envoy/ext-proc-codec.test.ts checks it
 * against the generated decoder on arbitrary and hostile bytes.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
import {
  ExternalProcessorService,
  HttpBody,
  HttpHeaders_AttributesEntry,
  HttpTrailers,
  ProcessingRequest_AttributesEntry,
  ProcessingResponse,
  type ProcessingRequest,
} from '../gen/envoy/service/ext_proc/v3/external_processor.js';
import { Metadata } from '../gen/envoy/config/core/v3/base.js';
import type { HeaderList } from '../trino/header-list.js';

/** An ext_proc headers phase as the router reads it: the header list, lower-case names. */
export interface ExtProcHeaders {
  readonly headers: HeaderList;
  readonly endOfStream: boolean;
}

type OtherPhase = Exclude<ProcessingRequest['request'], { $case: 'requestHeaders' | 'responseHeaders' } | undefined>;

export type ExtProcPhase =
  | { readonly $case: 'requestHeaders'; readonly value: ExtProcHeaders }
  | { readonly $case: 'responseHeaders'; readonly value: ExtProcHeaders }
  | OtherPhase;

/** A ProcessingRequest with its header phases already read into header lists. */
export interface ExtProcRequest {
  request: ExtProcPhase | undefined;
  metadataContext: ProcessingRequest['metadataContext'];
  attributes: ProcessingRequest['attributes'];
  observabilityMode: boolean;
}

/** The generated decoders keep their nesting depth on the reader; a message nested this deep is refused. */
const RECURSION_LIMIT = 100;
const DEPTH = '__tsProtoDecodeDepth';
type DepthReader = BinaryReader & { [DEPTH]?: number };

function enter(reader: DepthReader): number {
  const depth = reader[DEPTH] ?? 0;
  if (depth >= RECURSION_LIMIT) throw new Error('protobuf decode recursion limit exceeded');
  reader[DEPTH] = depth + 1;
  return depth;
}

/** BinaryReader.string()'s own decoder settings (a leading U+FEFF is text, not a byte-order mark). */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A header name, lower-cased as readHeaderMap does. Names are short and nearly always ASCII:
 * those are sliced from the wire bytes as they are and lower-cased only when they hold an
 * upper-case letter (BinaryReader.string() builds an array of char codes per string, and
 * toLowerCase() copies even when there is nothing to change). Anything else is decoded as
 * BinaryReader.string() decodes it.
 */
function readHeaderName(reader: BinaryReader, bytes: Buffer): string {
  const start = skipDelimited(reader);
  const end = reader.pos;
  let upper = false;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte > 0x7f) return utf8.decode(bytes.subarray(start, end)).toLowerCase();
    if (byte >= 0x41 && byte <= 0x5a) upper = true;
  }
  const name = bytes.toString('latin1', start, end);
  return upper ? name.toLowerCase() : name;
}

/** Skips a length-delimited field's bytes, as BinaryReader.bytes() would read them. */
function skipDelimited(reader: BinaryReader): number {
  const length = reader.uint32();
  const start = reader.pos;
  reader.pos += length;
  if (reader.pos > reader.len) throw new RangeError('premature EOF');
  return start;
}

/**
 * One envoy.config.core.v3.HeaderValue as readHeaderMap reads it: the key lower-cased, the
 * value from raw_value (UTF-8, invalid bytes become U+FFFD) unless raw_value is empty, else
 * from `value` (older Envoys).
 */
function readHeaderValue(reader: DepthReader, bytes: Buffer, length: number): [string, string] {
  const previous = enter(reader);
  try {
    const end = reader.pos + length;
    let name = '';
    let value = '';
    let rawStart = 0;
    let rawEnd = 0;
    while (reader.pos < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1:
          if (tag !== 10) break;
          name = readHeaderName(reader, bytes);
          continue;
        case 2:
          if (tag !== 18) break;
          value = reader.string();
          continue;
        case 3:
          if (tag !== 26) break;
          rawStart = skipDelimited(reader);
          rawEnd = reader.pos;
          continue;
      }
      if ((tag & 7) === 4 || tag === 0) break;
      reader.skip(tag & 7);
    }
    // Straight from the wire bytes: no Buffer view or copy per header.
    return [name, rawEnd > rawStart ? bytes.toString('utf8', rawStart, rawEnd) : value];
  } finally {
    reader[DEPTH] = previous;
  }
}

function readHeaderMap(reader: DepthReader, bytes: Buffer, length: number): HeaderList {
  const previous = enter(reader);
  try {
    const end = reader.pos + length;
    const list: [string, string][] = [];
    while (reader.pos < end) {
      const tag = reader.uint32();
      if (tag === 10) {
        list.push(readHeaderValue(reader, bytes, reader.uint32()));
        continue;
      }
      if ((tag & 7) === 4 || tag === 0) break;
      reader.skip(tag & 7);
    }
    return list;
  } finally {
    reader[DEPTH] = previous;
  }
}

/** envoy.service.ext_proc.v3.HttpHeaders; its deprecated per-phase attributes are checked, not kept. */
function readHttpHeaders(reader: DepthReader, bytes: Buffer, length: number): ExtProcHeaders {
  const previous = enter(reader);
  try {
    const end = reader.pos + length;
    let headers: HeaderList = [];
    let endOfStream = false;
    while (reader.pos < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1:
          if (tag !== 10) break;
          headers = readHeaderMap(reader, bytes, reader.uint32());
          continue;
        case 2:
          if (tag !== 18) break;
          HttpHeaders_AttributesEntry.decode(reader, reader.uint32());
          continue;
        case 3:
          if (tag !== 24) break;
          endOfStream = reader.bool();
          continue;
      }
      if ((tag & 7) === 4 || tag === 0) break;
      reader.skip(tag & 7);
    }
    return { headers, endOfStream };
  } finally {
    reader[DEPTH] = previous;
  }
}

/** Decodes one ProcessingRequest (gRPC message bytes); throws on bytes the generated decoder refuses. */
export function decodeExtProcRequest(input: Uint8Array): ExtProcRequest {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const reader: DepthReader = new BinaryReader(bytes);
  enter(reader);
  const message: ExtProcRequest = { request: undefined, metadataContext: undefined, attributes: {}, observabilityMode: false };
  const end = reader.len;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 2:
        if (tag !== 18) break;
        message.request = { $case: 'requestHeaders', value: readHttpHeaders(reader, bytes, reader.uint32()) };
        continue;
      case 3:
        if (tag !== 26) break;
        message.request = { $case: 'responseHeaders', value: readHttpHeaders(reader, bytes, reader.uint32()) };
        continue;
      case 4:
        if (tag !== 34) break;
        message.request = { $case: 'requestBody', value: HttpBody.decode(reader, reader.uint32()) };
        continue;
      case 5:
        if (tag !== 42) break;
        message.request = { $case: 'responseBody', value: HttpBody.decode(reader, reader.uint32()) };
        continue;
      case 6:
        if (tag !== 50) break;
        message.request = { $case: 'requestTrailers', value: HttpTrailers.decode(reader, reader.uint32()) };
        continue;
      case 7:
        if (tag !== 58) break;
        message.request = { $case: 'responseTrailers', value: HttpTrailers.decode(reader, reader.uint32()) };
        continue;
      case 8:
        if (tag !== 66) break;
        message.metadataContext = Metadata.decode(reader, reader.uint32());
        continue;
      case 9: {
        if (tag !== 74) break;
        const entry = ProcessingRequest_AttributesEntry.decode(reader, reader.uint32());
        if (entry.value !== undefined) message.attributes[entry.key] = entry.value;
        continue;
      }
      case 10:
        if (tag !== 80) break;
        message.observabilityMode = reader.bool();
        continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return message;
}

/**
 * Encodings of answers the edge sends again and again (CONTINUE, and a backend's routing answer
 * for the current second: every submission to it gets the same one). Encoded once; grpc-js
 * copies the bytes into its own frame, so sharing them is safe.
 */
const encodings = new WeakMap<ProcessingResponse, Buffer>();

/** Marks `response` as sent unchanged many times: it is encoded now, once. It must never be changed. */
export function reusedResponse(response: ProcessingResponse): ProcessingResponse {
  encodings.set(response, Buffer.from(ProcessingResponse.encode(response).finish()));
  return response;
}

/** The generated encoding; a reused response's bytes come from its one encoding. */
export function encodeExtProcResponse(response: ProcessingResponse): Buffer {
  return encodings.get(response) ?? Buffer.from(ProcessingResponse.encode(response).finish());
}

/**
 * The ExternalProcessor service as the router serves it: the generated definition (path) with
 * requests read by decodeExtProcRequest and answers encoded by encodeExtProcResponse.
 */
export const extProcService = {
  process: { ...ExternalProcessorService.process, requestDeserialize: decodeExtProcRequest, responseSerialize: encodeExtProcResponse },
} as const;
