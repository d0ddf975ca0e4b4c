/**
 * The bytes of a response body as the coordinator wrote them, before its Content-Encoding.
 * Trino compresses responses (http-server.compression.enabled) for clients that accept gzip;
 * Envoy hands ext_proc the body as it came from upstream. Pure CPU work, bounded: a
 * submission's first answer is a few hundred bytes, so anything larger than maxBytes once
 * decoded is not read.
 */
import { brotliDecompressSync, constants, gunzipSync, inflateSync } from 'node:zlib';

/** Why a body could not be read: an encoding the router does not decode, or bytes that do not decode. */
export type UnreadBodyReason = 'unsupported_encoding' | 'decode_failed';

export type DecodedBody = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: UnreadBodyReason };

const DEFAULT_MAX_BYTES = 1024 * 1024;

/** `encoding` is the Content-Encoding header value; identity (or none) returns the body as is. */
export function decodeBody(body: Uint8Array, encoding: string | undefined, maxBytes = DEFAULT_MAX_BYTES): DecodedBody {
  const name = encoding?.trim().toLowerCase() ?? '';
  if (name === '' || name === 'identity') return { ok: true, bytes: body };
  // A truncated stream still yields what it holds (SYNC_FLUSH instead of an error at the end).
  const options = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: maxBytes };
  try {
    if (name === 'gzip' || name === 'x-gzip') return { ok: true, bytes: gunzipSync(body, options) };
    if (name === 'deflate') return { ok: true, bytes: inflateSync(body, options) };
    if (name === 'br') return { ok: true, bytes: brotliDecompressSync(body, { finishFlush: constants.BROTLI_OPERATION_FLUSH, maxOutputLength: maxBytes }) };
  } catch {
    return { ok: false, reason: 'decode_failed' };
  }
  return { ok: false, reason: 'unsupported_encoding' };
}
