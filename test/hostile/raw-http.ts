/**
 * HTTP/1.1 spoken byte by byte over node:net, for requests fetch() and node:http refuse to
 * send: header values with non-UTF-8 bytes, megabytes of headers, ten thousand header lines,
 * request targets no URL parser accepts.
 */
import { connect } from 'node:net';

export interface RawResponse {
  /** 0 when the connection closed without an HTTP response. */
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** How the exchange ended: a response, or the server closing/resetting the connection first. */
  readonly outcome: 'response' | 'closed' | 'reset';
  json(): any;
}

/** Header values are written as given: a string as latin1 (one byte per char), a Buffer as is. */
export type RawHeader = readonly [name: string, value: string | Buffer];

export interface RawRequest {
  readonly method: string;
  /** The request target, written as given (latin1 for a string). */
  readonly target: string | Buffer;
  readonly headers: readonly RawHeader[];
  readonly body?: Buffer | string;
}

function toBytes(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}

export function encodeRequest(request: RawRequest, host: string): Buffer {
  const parts: Buffer[] = [Buffer.from(`${request.method} `, 'latin1'), toBytes(request.target), Buffer.from(' HTTP/1.1\r\n', 'latin1')];
  parts.push(Buffer.from(`host: ${host}\r\nconnection: close\r\n`, 'latin1'));
  const body = request.body === undefined ? undefined : toBytes(request.body);
  if (body !== undefined) parts.push(Buffer.from(`content-length: ${body.length}\r\n`, 'latin1'));
  for (const [name, value] of request.headers) {
    parts.push(Buffer.from(`${name}: `, 'latin1'), toBytes(value), Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('\r\n', 'latin1'));
  if (body !== undefined) parts.push(body);
  return Buffer.concat(parts);
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', i);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(i, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    i = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

function parseResponse(data: Buffer, outcome: RawResponse['outcome']): RawResponse {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return response(0, new Map(), Buffer.alloc(0), outcome === 'response' ? 'closed' : outcome);
  const [statusLine, ...headerLines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = data.subarray(headEnd + 4);
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = dechunk(body);
  else if (headers.has('content-length')) body = body.subarray(0, Number(headers.get('content-length')));
  return response(status, headers, body, 'response');
}

function response(status: number, headers: Map<string, string>, body: Buffer, outcome: RawResponse['outcome']): RawResponse {
  return {
    status,
    headers,
    body,
    outcome,
    json() {
      return JSON.parse(body.toString('utf8'));
    },
  };
}

/** Sends one request on a fresh connection and reads until the server closes it. */
export function rawRequest(port: number, request: RawRequest | Buffer): Promise<RawResponse> {
  const bytes = Buffer.isBuffer(request) ? request : encodeRequest(request, `127.0.0.1:${port}`);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: RawResponse['outcome']): void => {
      if (settled) return;
      settled = true;
      resolve(parseResponse(Buffer.concat(chunks), outcome));
    };
    const socket = connect(port, '127.0.0.1', () => {
      // The server may answer (431) and close before it has read everything: ignore EPIPE then.
      socket.write(bytes, () => undefined);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish('response'));
    socket.on('close', () => finish(chunks.length > 0 ? 'response' : 'closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (chunks.length > 0) finish('response');
      else finish(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed');
    });
  });
}
