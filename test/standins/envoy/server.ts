/**
 * The listener + HTTP connection manager: an HTTP/1.1 server (node:http) on 127.0.0.1. It
 * enforces max_request_headers_kb / max_headers_count (431, before any filter runs), turns the
 * request into Envoy's header map (":authority" from Host, ":path", ":method", ":scheme",
 * lower-case names, hop-by-hop headers removed; an absolute-form request target becomes an
 * origin-form ":path"), runs the early header mutations, sets x-forwarded-proto when absent,
 * adds x-request-id when absent, and runs an ActiveStream per request (which picks the route
 * at once, before any HTTP filter).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ActiveStream, type StreamEnv } from './active-stream.js';
import { HeaderMap, HOP_BY_HOP } from './header-map.js';
import { applyConfigMutations } from './header-mutation-filter.js';

/**
 * Follows source/common/http/http1/codec_impl.cc (handlePath, allow_absolute_url on by
 * default): an absolute-form target `http://host:port/path?q` gives `:path` /path?q, `:scheme`
 * from the URL and `:authority` from the URL (the Host header is ignored, RFC 7230 5.4).
 * undefined: the target is origin-form (or not a URL Envoy would accept as absolute).
 */
export function absoluteFormTarget(target: string): { scheme: string; authority: string; path: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/i.exec(target);
  if (m === null) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const rest = m[3] as string;
  return { scheme, authority: m[2] as string, path: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

export class EnvoyServer {
  private readonly server: http.Server;
  private streamIds = 0;

  constructor(private readonly env: StreamEnv) {
    const maxKb = env.hcm.maxRequestHeadersKb;
    this.server = http.createServer(
      {
        // node counts the whole header section; leave the decision (431) to the HCM check below.
        maxHeaderSize: maxKb * 1024 * 2 + 64 * 1024,
        requestTimeout: 0,
      },
      (req, res) => this.handle(req, res),
    );
    this.server.maxHeadersCount = 0;
    // Header sections even node refuses to parse: still Envoy's 431, counted like the others.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'HPE_HEADER_OVERFLOW' && socket.writable) {
        env.stats.requests++;
        env.stats.localReply(431, 'header_overflow');
        const body = 'Request Header Fields Too Large';
        socket.end(
          `HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\n` +
            `server: ${env.hcm.serverName}\r\nconnection: close\r\n\r\n${body}`,
        );
        return;
      }
      socket.destroy();
    });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { hcm, stats } = this.env;
    stats.requests++;
    if (req.httpVersion !== '1.1') {
      // accept_http_10 defaults to false.
      this.codecReply(res, 426, 'Upgrade Required', 'http1_0_not_allowed');
      return;
    }
    const raw = req.rawHeaders;
    if (raw.length / 2 > hcm.maxHeadersCount) {
      this.codecReply(res, 431, 'Request Header Fields Too Large', 'too_many_headers');
      return;
    }
    let bytes = 0;
    for (const part of raw) bytes += Buffer.byteLength(part, 'latin1');
    if (bytes > hcm.maxRequestHeadersKb * 1024) {
      this.codecReply(res, 431, 'Request Header Fields Too Large', 'header_overflow');
      return;
    }

    const headers = new HeaderMap();
    const target = req.url ?? '/';
    const absolute = absoluteFormTarget(target);
    const host = absolute?.authority ?? req.headers.host;
    if (host !== undefined) headers.add(':authority', host);
    headers.add(':path', absolute?.path ?? target);
    headers.add(':method', req.method ?? 'GET');
    headers.add(':scheme', absolute?.scheme ?? 'http');
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      const value = raw[i + 1] as string;
      if (name === 'host' || HOP_BY_HOP.has(name)) continue;
      if (name === 'te' && value.toLowerCase() !== 'trailers') continue;
      headers.add(name, value);
    }
    // Follows source/common/http/conn_manager_impl.cc (decodeHeaders): the early header
    // mutations run before mutateRequestHeaders and before the route is picked.
    applyConfigMutations(hcm.earlyHeaderMutations, headers);
    // Follows source/common/http/conn_manager_utility.cc (mutateRequestHeaders): with
    // use_remote_address false a client-sent x-forwarded-proto is kept, set only when absent.
    if (hcm.useRemoteAddress || !headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', 'http');
    if (hcm.generateRequestId && !headers.has('x-request-id')) headers.add('x-request-id', randomUUID());

    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    const hasBody = te !== undefined || (cl !== undefined && Number(cl) > 0);
    const socket = req.socket;
    const stream = new ActiveStream(
      this.env,
      req,
      res,
      headers,
      {
        streamId: ++this.streamIds,
        protocol: `HTTP/${req.httpVersion}`,
        localAddress: socket.localAddress ?? '127.0.0.1',
        localPort: socket.localPort ?? 0,
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
      },
      hasBody,
    );
    void stream.run();
  }

  /** A codec-level error reply: no filter sees it, and the connection is closed. */
  private codecReply(res: http.ServerResponse, status: number, body: string, reason: string): void {
    this.env.stats.localReply(status, reason);
    res.writeHead(status, ['content-length', String(Buffer.byteLength(body)), 'content-type', 'text/plain', 'server', this.env.hcm.serverName, 'connection', 'close']);
    res.end(body);
  }
}
