/**
 * The Prometheus scrape endpoint: GET (or HEAD) /metrics on its own port, 404 for any other
 * path, 405 for other methods. Nothing a client sends can crash it: malformed HTTP gets a 400
 * from Node's parser and the socket closed, a failing scrape a 500.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { formatListenAddress, type ListenAddress } from '../config/index.js';
import { RouterError } from '../errors.js';

export interface MetricsExposition {
  text(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsServer {
  /** The bound port (useful when the config asks for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export class MetricsListenError extends RouterError {
  constructor(address: string, cause: unknown) {
    super('metrics_listen_failed', `cannot listen for /metrics on ${address}: ${cause instanceof Error ? cause.message : String(cause)}`, { address }, { cause });
  }
}

const METRICS_PATH = '/metrics';
/** A scrape is small and quick; a client that dribbles its request is cut off. */
const REQUEST_TIMEOUT_MS = 10_000;

export async function startMetricsServer(options: {
  readonly address: ListenAddress;
  readonly metrics: MetricsExposition;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
}): Promise<MetricsServer> {
  const { metrics, logger } = options;
  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, (request, response) => {
    handle(request, response, metrics).catch((error: unknown) => {
      logger.error({ err: error }, 'metrics scrape failed');
      if (!response.headersSent) plain(response, 500, 'metrics collection failed\n');
      else response.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    // Malformed request line or headers: answer 400 if the socket still can, then drop it.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  const address = formatListenAddress(options.address);
  await listen(server, options.address).catch((error: unknown) => {
    throw new MetricsListenError(address, error);
  });
  // After binding, a server error (say, out of file descriptors) is logged, never thrown.
  server.on('error', (error) => logger.error({ err: error }, 'metrics server error'));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Scrapers keep connections alive; they must not hold up shutdown.
      server.closeAllConnections();
    }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, metrics: MetricsExposition): Promise<void> {
  const path = (request.url ?? '/').split('?', 1)[0];
  if (path !== METRICS_PATH) return plain(response, 404, 'not found: the metrics are at /metrics\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return plain(response, 405, 'method not allowed\n');
  }
  const body = await metrics.text();
  response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function listen(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
