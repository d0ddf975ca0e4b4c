/**
 * Test doubles for the Envoy stand-in's own tests: a scriptable ext_proc gRPC server, recording
 * HTTP upstreams, a plain HTTP client and envoy.yaml variants written to os.tmpdir().
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parseDocument } from 'yaml';
import { extProcServiceDefinition } from './protos.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const ENVOY_YAML = join(REPO_ROOT, 'envoy/envoy.yaml');
export const ENVOY_EXT_AUTHZ_YAML = join(REPO_ROOT, 'envoy/envoy-ext-authz.yaml');

// ---- ext_proc ----

/** A ProcessingRequest as decoded by proto-loader (snake_case, oneof name in `request`). */
export interface ReceivedMessage {
  request: string;
  request_headers?: { headers: { headers: { key: string; value: string; raw_value: Buffer }[] }; end_of_stream: boolean };
  response_headers?: { headers: { headers: { key: string; value: string; raw_value: Buffer }[] }; end_of_stream: boolean };
  request_body?: { body: Buffer; end_of_stream: boolean };
  response_body?: { body: Buffer; end_of_stream: boolean };
  /** google.protobuf.Struct as protobufjs decodes it: camelCase Value fields (numberValue, stringValue). */
  attributes: Record<string, { fields: Record<string, { kind: string; numberValue?: number; stringValue?: string }> }>;
}

export interface FakeStream {
  readonly index: number;
  readonly received: ReceivedMessage[];
  readonly metadata: grpc.Metadata;
  write(response: object): void;
  /** Ends the stream with OK. */
  end(): void;
  fail(code: grpc.status, details: string): void;
  /** Resolves when the client half-closed. */
  readonly halfClosed: Promise<void>;
  /** Resolves when the client cancelled. */
  readonly cancelled: Promise<void>;
  readonly events: string[];
}

export type Handler = (message: ReceivedMessage, stream: FakeStream) => void | Promise<void>;

export interface FakeExtProc {
  readonly port: number;
  readonly streams: FakeStream[];
  close(): Promise<void>;
}

export async function startFakeExtProc(handler: Handler, options: { endOnHalfClose?: boolean } = {}): Promise<FakeExtProc> {
  const server = new grpc.Server();
  const streams: FakeStream[] = [];
  server.addService(extProcServiceDefinition(), {
    Process: (call: grpc.ServerDuplexStream<ReceivedMessage, object>) => {
      let onHalfClose!: () => void;
      let onCancel!: () => void;
      const events: string[] = [];
      let ended = false;
      const stream: FakeStream = {
        index: streams.length,
        received: [],
        metadata: call.metadata,
        events,
        write: (r) => {
          if (!ended) call.write(r);
        },
        end: () => {
          if (ended) return;
          ended = true;
          call.end();
        },
        fail: (code, details) => {
          if (ended) return;
          ended = true;
          call.emit('error', { code, details });
        },
        halfClosed: new Promise((r) => (onHalfClose = r)),
        cancelled: new Promise((r) => (onCancel = r)),
      };
      streams.push(stream);
      call.on('data', (m: ReceivedMessage) => {
        stream.received.push(m);
        events.push(m.request);
        void handler(m, stream);
      });
      call.on('end', () => {
        events.push('half-close');
        onHalfClose();
        // A well-behaved server finishes when the client half-closes (unless told not to).
        if (options.endOnHalfClose !== false) stream.end();
      });
      call.on('cancelled', () => {
        // grpc-js reports every stream close as 'cancelled', also the clean one after the server
        // sent its status; only a close before that is the client's RST_STREAM.
        events.push(ended ? 'closed' : 'cancelled');
        ended = true;
        onCancel();
      });
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? rej(err) : res(p))),
  );
  return {
    port,
    streams,
    close: () =>
      new Promise<void>((res) => {
        server.forceShutdown();
        res();
      }),
  };
}

export function setHeader(key: string, value: string, options: { append?: boolean; appendAction?: string } = {}): object {
  return {
    header: { key, raw_value: Buffer.from(value, 'latin1') },
    ...(options.append === undefined ? {} : { append: { value: options.append } }),
    ...(options.appendAction === undefined ? {} : { append_action: options.appendAction }),
  };
}

export function headersAnswer(
  phase: 'request_headers' | 'response_headers' | 'request_body' | 'response_body',
  common: object = {},
  extra: object = {},
): object {
  return { [phase]: { response: common }, ...extra };
}

/** The router's answer: x-trino-cluster via raw_value + clear_route_cache. */
export function routeTo(cluster: string, extra: object = {}): object {
  return headersAnswer('request_headers', { header_mutation: { set_headers: [setHeader('x-trino-cluster', cluster)] }, clear_route_cache: true }, extra);
}

export function headerValue(m: ReceivedMessage | undefined, name: string): string | undefined {
  const hs = m?.request_headers ?? m?.response_headers;
  const h = hs?.headers.headers.find((e) => e.key === name);
  return h === undefined ? undefined : h.raw_value.toString('latin1');
}

// ---- upstreams ----

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface FakeUpstream {
  readonly name: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  handler: UpstreamHandler | undefined;
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const upstream: FakeUpstream = {
    name,
    port: 0,
    requests,
    handler: undefined,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body });
      if (upstream.handler !== undefined) {
        upstream.handler(req, res, body);
        return;
      }
      const payload = JSON.stringify({ cluster: name, path: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (upstream as { port: number }).port = (server.address() as AddressInfo).port;
  return upstream;
}

// ---- client ----

export interface ClientResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function request(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string; signal?: AbortSignal; onFirstByte?: () => void } = {},
): Promise<ClientResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      let first = true;
      res.on('data', (c: Buffer) => {
        if (first) {
          first = false;
          options.onFirstByte?.();
        }
        chunks.push(c);
      });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

// ---- envoy.yaml variants ----

/** Path segments to the ext_proc filter's typed_config in envoy.yaml. */
const HCM = ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config'] as const;

export function hcmPath(...rest: (string | number)[]): (string | number)[] {
  return [...HCM, ...rest];
}

/** Writes a copy of an Envoy config (envoy.yaml by default) with `edits` applied (path -> value; undefined deletes) to a temp dir. */
export function envoyYamlVariant(edits: [path: (string | number)[], value: unknown][], base = ENVOY_YAML): string {
  const doc = parseDocument(readFileSync(base, 'utf8'));
  for (const [path, value] of edits) {
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, doc.createNode(value));
  }
  const dir = mkdtempSync(join(tmpdir(), 'envoy-standin-'));
  const file = join(dir, 'envoy.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

export function findFilterIndex(name: string, base = ENVOY_YAML): number {
  const doc = parseDocument(readFileSync(base, 'utf8'));
  const filters = doc.getIn(hcmPath('http_filters')) as { items: { get(k: string): unknown }[] };
  return filters.items.findIndex((f) => f.get('name') === name);
}
