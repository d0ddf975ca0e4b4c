/** Small helpers for answering with node:http: JSON with an exact Content-Length, plain text. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/** Responses to send gzip-compressed (the server enables compression and the client accepts gzip). */
const gzipped = new WeakSet<ServerResponse>();

/**
 * Follows airlift's http-server.compression.enabled (Jetty's GzipHandler): a client that sends
 * Accept-Encoding: gzip gets a compressed body.
 */
export function compressIfAccepted(req: IncomingMessage, res: ServerResponse): void {
  const accepted = req.headers['accept-encoding'];
  if (accepted !== undefined && /(^|,)\s*gzip\s*(;|,|$)/i.test(accepted)) gzipped.add(res);
}

function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, bytes: Buffer): void {
  const compress = gzipped.has(res) && bytes.length > 0;
  const body = compress ? gzipSync(bytes) : bytes;
  res.writeHead(status, { ...headers, ...(compress ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}), 'Content-Length': body.length });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  send(res, status, { ...headers, 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify(body)));
}

export function sendText(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}): void {
  send(res, status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, Buffer.from(text));
}

export function sendBytes(res: ServerResponse, status: number, contentType: string, bytes: Buffer): void {
  send(res, status, { 'Content-Type': contentType }, bytes);
}

export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Airlift duration text ("1s", "500ms", "2.5m") as milliseconds, or undefined. */
export function parseDurationParam(text: string | null): number | undefined {
  if (text === null) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h|d)$/.exec(text.trim());
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  const scale: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 };
  return Number(m[1]) * (scale[m[2]] ?? 1);
}
