/**
 * The HTTP listener: loopback only, knows its open sockets so close() never waits on a client,
 * records every request, and applies the injected fault before the coordinator sees anything.
 * A 'hang' holds requests unanswered; changing the fault releases them to the new behaviour.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { readBody, sendText } from './http-io.js';

export type Fault = 'none' | 'hang' | 'reset' | 'garbage' | 'http500';

export interface ServerHooks {
  /** Called once per request as it arrives (faults included). */
  record(req: IncomingMessage): void;
  /** Answers a request that no fault intercepted. */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
}

interface PendingRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: Buffer;
}

/** Not JSON, so a client parsing the body fails the way it would on a broken proxy. */
const GARBAGE = Buffer.from('\u0000\u00ffnot json at all {{{ <html>');

const LISTEN_RETRIES = 20;

/**
 * How long an idle keep-alive connection stays open. Follows airlift's http-server
 * HttpServerConfig.java (networkMaxIdleTime, 200 s), which Trino's server inherits; Node would
 * close it after 5 s, so a client's pooled connection would see resets Trino never gives.
 */
export const IDLE_KEEP_ALIVE_MS = 200_000;

export class StandinServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private held: PendingRequest[] = [];
  private fault: Fault = 'none';
  port = 0;

  constructor(
    private readonly hooks: ServerHooks,
    /** https (Trino's http-server.https.*): client certificates are requested, verified against clientCa, never required. */
    private readonly tlsFiles?: { readonly cert: string; readonly key: string; readonly clientCa?: string | undefined },
  ) {}

  get tls(): boolean {
    return this.tlsFiles !== undefined;
  }

  /** Listens on 127.0.0.1; port 0 picks a free one, a given port is retried while still busy. */
  async listen(port: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const server = await this.listenOnce(port);
        this.server = server;
        this.port = (server.address() as AddressInfo).port;
        return this.port;
      } catch (error) {
        const busy = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!busy || port === 0 || attempt >= LISTEN_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private listenOnce(port: number): Promise<Server> {
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => void this.accept(req, res);
    const tls = this.tlsFiles;
    const server: Server = tls === undefined
      ? createServer(onRequest)
      : createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false }) }, onRequest);
    server.keepAliveTimeout = IDLE_KEEP_ALIVE_MS;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  setFault(fault: Fault): void {
    this.fault = fault;
    if (fault === 'hang') return;
    const released = this.held;
    this.held = [];
    for (const pending of released) this.dispatch(pending);
  }

  private async accept(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.hooks.record(req);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return; // the client went away mid-body
    }
    this.dispatch({ req, res, body });
  }

  private dispatch(pending: PendingRequest): void {
    const { req, res, body } = pending;
    if (res.destroyed || req.socket.destroyed) return;
    switch (this.fault) {
      case 'hang':
        this.held.push(pending);
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'garbage':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': GARBAGE.length });
        res.end(GARBAGE);
        return;
      case 'http500':
        sendText(res, 500, 'Internal Server Error');
        return;
      case 'none':
        break;
    }
    this.hooks.handle(req, res, body).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendText(res, 500, `Trino stand-in failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Stops listening and destroys every connection, held ones included. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.held = [];
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }
}
