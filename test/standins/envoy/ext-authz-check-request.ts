/**
 * The CheckRequest Envoy's HTTP ext_authz filter builds (CheckRequestUtils::createHttpCheck):
 * - source / destination peers: the downstream connection's remote and local socket addresses;
 * - request.time: when the request arrived; request.http: id (the stream id), method, path (query
 *   included), host (:authority), scheme, size (body bytes received so far: none, the filter
 *   runs on the headers), protocol;
 * - request.http.headers: EVERY header of the request as it stands when the filter runs, pseudo
 *   headers included, keys lower-case, repeated lines merged with ",", values sanitized to UTF-8
 *   (each invalid byte becomes "!"); a client's x-envoy-auth-partial-body is left out.
 */
import type { FilterCallbacks } from './filter-chain.js';
import type { CheckRequestOut, PbPeerOut } from './ext-authz-protos.js';

const PARTIAL_BODY_HEADER = 'x-envoy-auth-partial-body';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodes(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Expected length of the UTF-8 sequence a lead byte starts; 0 = not a lead byte. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Header values are byte strings (latin1 in the stand-in); Envoy sends valid UTF-8 only. */
export function sanitizeUtf8(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  if (decodes(bytes)) return bytes.toString('utf8');
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const length = sequenceLength(bytes[i] as number);
    const sequence = bytes.subarray(i, i + length);
    if (length > 0 && sequence.length === length && decodes(sequence)) {
      out += sequence.toString('utf8');
      i += length;
    } else {
      out += '!';
      i += 1;
    }
  }
  return out;
}

function peer(address: string, port: number): PbPeerOut {
  return { address: { socket_address: { address, port_value: port } } };
}

/** What with_request_body buffered: the body so far, and the limits it is cut to. */
export interface BufferedBody {
  readonly data: Buffer;
  readonly maxRequestBytes: number;
  readonly packAsBytes: boolean;
}

export function buildCheckRequest(cb: FilterCallbacks, receivedAt: number, buffered?: BufferedBody): CheckRequestOut {
  const h = cb.requestHeaders;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const entry of h.entries()) {
    if (entry.name === PARTIAL_BODY_HEADER) continue;
    const value = sanitizeUtf8(entry.value);
    headers[entry.name] = Object.hasOwn(headers, entry.name) ? `${headers[entry.name]},${value}` : value;
  }
  const pseudo = (name: string): string => sanitizeUtf8(h.getFirst(name) ?? '');
  // check_request_utils.cc setHttpRequest: at most max_request_bytes of what was buffered, and a
  // header telling whether that is all of it.
  const body: { body?: string; raw_body?: Buffer } = {};
  if (buffered !== undefined) {
    const cut = buffered.data.subarray(0, Math.min(buffered.data.length, buffered.maxRequestBytes));
    if (buffered.packAsBytes) body.raw_body = Buffer.from(cut);
    else body.body = sanitizeUtf8(cut.toString('latin1'));
    headers[PARTIAL_BODY_HEADER] = cut.length !== buffered.data.length ? 'true' : 'false';
  }
  return {
    attributes: {
      source: peer(cb.info.remoteAddress, cb.info.remotePort),
      destination: peer(cb.info.localAddress, cb.info.localPort),
      request: {
        time: { seconds: Math.floor(receivedAt / 1000), nanos: (receivedAt % 1000) * 1e6 },
        http: {
          id: String(cb.info.streamId),
          method: pseudo(':method'),
          headers: { ...headers },
          path: pseudo(':path'),
          host: pseudo(':authority'),
          scheme: pseudo(':scheme'),
          size: 0,
          protocol: cb.info.protocol,
          ...body,
        },
      },
      context_extensions: {},
      metadata_context: {},
    },
  };
}
