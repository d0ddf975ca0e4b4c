/**
 * Hostile gRPC against the router's ext_proc port, bypassing Envoy: bytes that are not gRPC,
 * gRPC frames that are not ProcessingRequests, messages out of the order Envoy sends them,
 * an empty ProcessingRequest, oversized messages, and thousands of streams abandoned at every
 * stage (probes in flight included). The router must not crash, must not learn ownership from
 * messages that do not belong to a routed request, and must answer correctly afterwards.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import {
  ExternalProcessorService,
  ProcessingRequest,
  ProcessingResponse,
} from '../../src/gen/envoy/service/ext_proc/v3/external_processor.js';

const ExtProcClient = grpc.makeGenericClientConstructor(ExternalProcessorService, 'ExternalProcessor');
const PROCESS_PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';
type Call = grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>;

let dir: string;
let router: RunningRouter;
let client: grpc.Client;
/** A coordinator that accepts connections and never answers: probes of it run to their cap. */
let silentCoordinator: http.Server;
const heldSockets = new Set<Socket>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ter-hostile-grpc-'));
  silentCoordinator = http.createServer(() => undefined);
  silentCoordinator.on('connection', (socket) => {
    heldSockets.add(socket);
    socket.on('close', () => heldSockets.delete(socket));
  });
  await new Promise<void>((resolve) => silentCoordinator.listen(0, '127.0.0.1', resolve));
  const silentPort = (silentCoordinator.address() as AddressInfo).port;
  const configPath = join(dir, 'router.yaml');
  writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:0", admin: null, metrics: "127.0.0.1:0" }
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
# The coordinators are fakes: no health checks, every backend counts as healthy.
monitor: null
routing: { defaultGroup: all }
backends:
  - { name: trino-a, url: "http://127.0.0.1:${silentPort}" }
  - { name: trino-b, url: "http://127.0.0.1:1" }
groups:
  - { name: all, backends: [trino-a] }
  - { name: etl, backends: [trino-b] }
rules:
  - { name: etl, group: etl, match: { user: { regex: "^etl_" } } }
`);
  router = await startRouter({ configPath });
  client = new ExtProcClient(`127.0.0.1:${router.extProcPort}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await router?.close();
  for (const socket of heldSockets) socket.destroy();
  await new Promise((resolve) => silentCoordinator?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function openCall(target: grpc.Client = client, options: grpc.CallOptions = {}): Call {
  const call = (target as unknown as { process(options?: grpc.CallOptions): Call }).process(options);
  call.on('error', () => undefined); // statuses are read from 'status'
  return call;
}

function headerMap(pairs: readonly (readonly [string, string | Buffer])[]) {
  return { headers: pairs.map(([key, value]) => ({ key, value: '', rawValue: Buffer.isBuffer(value) ? value : Buffer.from(value) })) };
}

function requestHeaders(pairs: readonly (readonly [string, string | Buffer])[]): ProcessingRequest {
  return ProcessingRequest.fromPartial({ request: { $case: 'requestHeaders', value: { headers: headerMap(pairs), endOfStream: true } } });
}

function responseHeaders(pairs: readonly (readonly [string, string])[]): ProcessingRequest {
  return ProcessingRequest.fromPartial({ request: { $case: 'responseHeaders', value: { headers: headerMap(pairs) } } });
}

function responseBody(text: string): ProcessingRequest {
  return ProcessingRequest.fromPartial({ request: { $case: 'responseBody', value: { body: Buffer.from(text), endOfStream: true } } });
}

interface Exchange {
  readonly answers: ProcessingResponse[];
  readonly status: grpc.StatusObject;
}

/** Sends the messages, half-closes after the last answer (or at once when none is expected), collects everything. */
function exchange(messages: readonly ProcessingRequest[], expectedAnswers = messages.length): Promise<Exchange> {
  return new Promise((resolve) => {
    const call = openCall();
    const answers: ProcessingResponse[] = [];
    call.on('data', (answer: ProcessingResponse) => {
      answers.push(answer);
      if (answers.length === expectedAnswers) call.end();
    });
    call.on('status', (status: grpc.StatusObject) => resolve({ answers, status }));
    for (const message of messages) call.write(message);
    if (expectedAnswers === 0) call.end();
  });
}

function clusterOf(answer: ProcessingResponse | undefined): string | undefined {
  if (answer?.response?.$case !== 'requestHeaders') return undefined;
  const header = answer.response.value.response?.headerMutation?.setHeaders.find((h) => h.header?.key === 'x-trino-cluster');
  return header?.header?.rawValue.toString('utf8');
}

function immediateBody(answer: ProcessingResponse | undefined): { status: number; body: any } | undefined {
  if (answer?.response?.$case !== 'immediateResponse') return undefined;
  const value = answer.response.value;
  return { status: value.status?.code ?? 0, body: JSON.parse(value.body.toString('utf8')) };
}

const SUBMIT_ALICE: [string, string][] = [[':method', 'POST'], [':path', '/v1/statement'], [':authority', 'envoy'], ['x-trino-user', 'alice']];
const SUBMIT_ETL: [string, string][] = [[':method', 'POST'], [':path', '/v1/statement'], [':authority', 'envoy'], ['x-trino-user', 'etl_1']];
let idCounter = 0;
/** A fresh well-formed query id (coordinator id `hstxe`), unknown to the router. */
function freshQueryId(): string {
  return `20260101_000000_${String(++idCounter).padStart(5, '0')}_hstxe`;
}
function pollOf(queryId: string): [string, string][] {
  return [[':method', 'GET'], [':path', `/v1/statement/executing/${queryId}/y1/1`], [':authority', 'envoy'], ['x-trino-user', 'alice']];
}

/** A sample of the router's own Prometheus text, e.g. `trino_router_edge_streams_active{edge="ext_proc"}`. */
async function metric(series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${router.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no sample ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}
const ACTIVE_STREAMS = 'trino_router_edge_streams_active{edge="ext_proc"}';

/** Every stream the router saw has been released (the server notices cancels asynchronously). */
async function expectNoActiveStreams(): Promise<void> {
  await vi.waitFor(async () => expect(await metric(ACTIVE_STREAMS)).toBe(0), { timeout: 10_000, interval: 50 });
}

/** The router still routes by its rules and by what it learned. */
async function expectServesCorrectly(): Promise<void> {
  const alice = await exchange([requestHeaders(SUBMIT_ALICE)]);
  expect(alice.status.code).toBe(grpc.status.OK);
  expect(clusterOf(alice.answers[0])).toBe('trino-a');
  // A submission to trino-b teaches its query id, and its poll follows it there.
  const queryId = freshQueryId().replace('hstxe', 'rnedx');
  const learned = await exchange([requestHeaders(SUBMIT_ETL), responseHeaders([[':status', '200']]), responseBody(JSON.stringify({ id: queryId }))]);
  expect(clusterOf(learned.answers[0])).toBe('trino-b');
  expect(learned.answers.map((a) => a.response?.$case)).toEqual(['requestHeaders', 'responseHeaders', 'responseBody']);
  const poll = await exchange([requestHeaders(pollOf(queryId))]);
  expect(clusterOf(poll.answers[0])).toBe('trino-b');
}

afterEach(async () => {
  await expectServesCorrectly();
});

/** One request on a raw HTTP/2 stream to the ext_proc method; resolves with what came back. */
function rawGrpcStream(body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<{ httpStatus: number | undefined; grpcStatus: number | undefined; reset: boolean; dataBytes: number }> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${router.extProcPort}`);
    session.on('error', () => undefined);
    let httpStatus: number | undefined;
    let grpcStatus: number | undefined;
    const request = session.request({
      ':method': 'POST',
      ':path': PROCESS_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    request.on('response', (h) => {
      httpStatus = Number(h[':status']);
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
    });
    request.on('trailers', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
    });
    let dataBytes = 0;
    request.on('data', (chunk: Buffer) => {
      dataBytes += chunk.length;
    });
    let reset = false;
    request.on('error', () => {
      reset = true;
    });
    request.on('close', () => {
      session.close();
      resolve({ httpStatus, grpcStatus, reset: reset || request.rstCode !== http2.constants.NGHTTP2_NO_ERROR, dataBytes });
    });
    request.end(body);
  });
}

/** A gRPC length-prefixed frame. */
function frame(payload: Buffer, compressed = false, declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, payload]);
}

describe('bytes that are not a ProcessingRequest', () => {
  it('each malformed gRPC body ends its stream with a non-OK status (or a reset), never a routing answer', async () => {
    const cases: Buffer[] = [
      Buffer.from('garbage that is not a gRPC frame at all'),
      frame(Buffer.alloc(0), false, 0xffffffff), // claims a 4 GB message
      frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), // not protobuf
      frame(Buffer.from([0x0a, 0x7f, 0x01])), // a field claiming more bytes than follow
    ];
    for (const body of cases) {
      const outcome = await rawGrpcStream(body);
      expect(outcome.dataBytes, body.subarray(0, 12).toString('hex')).toBe(0);
      expect(outcome.reset || (outcome.grpcStatus !== undefined && outcome.grpcStatus !== grpc.status.OK), body.subarray(0, 12).toString('hex')).toBe(true);
    }
  });

  it('a frame cut short, half a frame header or a compressed frame without an encoding get no routing answer', async () => {
    // gRPC drops an incomplete trailing frame; what decodes from the others is not a routable request.
    for (const body of [frame(Buffer.from('x'.repeat(10)), false, 100), Buffer.from([0x00, 0x00]), frame(Buffer.from([0x1f, 0x8b, 0x08]), true)]) {
      const outcome = await rawGrpcStream(body);
      expect(outcome.dataBytes, body.toString('hex')).toBe(0);
    }
  });

  it('wrong content type, unknown method and a non-gRPC HTTP/2 request are refused', async () => {
    const textPlain = await rawGrpcStream(frame(ProcessingRequest.encode(requestHeaders(SUBMIT_ALICE)).finish() as Buffer), { 'content-type': 'text/plain' });
    expect(textPlain.httpStatus === 415 || textPlain.reset || (textPlain.grpcStatus ?? 0) !== 0).toBe(true);
    const unknown = await rawGrpcStream(frame(Buffer.alloc(0)), { ':path': '/envoy.service.ext_proc.v3.ExternalProcessor/Nope' });
    expect(unknown.grpcStatus).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('a connection that does not speak HTTP/2 (garbage, HTTP/1.1) is closed', async () => {
    for (const bytes of [Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-tls-hello'), Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n'), Buffer.alloc(4096, 0xff)]) {
      const closed = await new Promise<boolean>((resolve) => {
        const socket = connect(router.extProcPort, '127.0.0.1', () => socket.write(bytes));
        socket.on('data', () => undefined);
        socket.on('error', () => resolve(true));
        socket.on('close', () => resolve(true));
      });
      expect(closed).toBe(true);
    }
  });

  it('a message over the receive limit (9 MB of headers) is refused with RESOURCE_EXHAUSTED', async () => {
    const big = requestHeaders([...SUBMIT_ALICE, ...Array.from({ length: 90 }, (_, i) => [`x-h${i}`, 'v'.repeat(100_000)] as [string, string])]);
    const outcome = await exchange([big], 0);
    expect(outcome.status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(outcome.answers).toEqual([]);
  });

  it('100,000 headers in one message (under the limit) are answered, routed by the rules', async () => {
    const many = requestHeaders([...SUBMIT_ETL, ...Array.from({ length: 100_000 }, (_, i) => [i % 2 === 0 ? 'x-trino-session' : `x-h${i}`, `p${i}=v`] as [string, string])]);
    const outcome = await exchange([many]);
    expect(outcome.status.code).toBe(grpc.status.OK);
    // Too many session entries: refused as bad headers with a Trino-shaped local reply.
    const reply = immediateBody(outcome.answers[0]);
    expect(reply?.status).toBe(200);
    expect(reply?.body.stats.state).toBe('QUEUED');
  });
});

describe('messages out of the order Envoy sends them', () => {
  it('a response body before any request headers is answered, and teaches nothing', async () => {
    const queryId = freshQueryId();
    const outcome = await exchange([responseBody(JSON.stringify({ id: queryId })), responseHeaders([[':status', '200']])]);
    expect(outcome.answers.map((a) => a.response?.$case)).toEqual(['responseBody', 'responseHeaders']);
    // The router never routed anything on that stream, so the id stays unknown (the probe finds nothing).
    const poll = await exchange([requestHeaders(pollOf(queryId))]);
    expect(clusterOf(poll.answers[0])).toBeUndefined();
    expect(immediateBody(poll.answers[0])?.body.error.errorName).toBe('NOT_FOUND');
  });

  it('response headers announcing a transaction before any request headers do not start it', async () => {
    const outcome = await exchange([responseHeaders([[':status', '200'], ['x-trino-started-transaction-id', 'tx-forged-1']])]);
    expect(outcome.answers.map((a) => a.response?.$case)).toEqual(['responseHeaders']);
    const inTransaction = await exchange([requestHeaders([...SUBMIT_ALICE, ['x-trino-transaction-id', 'tx-forged-1']])]);
    expect(clusterOf(inTransaction.answers[0])).toBeUndefined();
    expect(inTransaction.answers[0]?.response?.$case).toBe('immediateResponse');
  });

  it('a response body after a refused request teaches nothing', async () => {
    const queryId = freshQueryId();
    const refused = [[':method', 'GET'], [':path', '/v1/statement/queued/garbage/y/1'], [':authority', 'envoy']] as [string, string][];
    const outcome = await exchange([requestHeaders(refused), responseHeaders([[':status', '200']]), responseBody(JSON.stringify({ id: queryId }))]);
    expect(outcome.answers.map((a) => a.response?.$case)).toEqual(['immediateResponse', 'responseHeaders', 'responseBody']);
    const poll = await exchange([requestHeaders(pollOf(queryId))]);
    expect(clusterOf(poll.answers[0])).toBeUndefined();
  });

  it('two request headers on one stream are both answered, in order, each routed on its own', async () => {
    const outcome = await exchange([requestHeaders(SUBMIT_ETL), requestHeaders(SUBMIT_ALICE), requestHeaders(SUBMIT_ETL)]);
    expect(outcome.status.code).toBe(grpc.status.OK);
    expect(outcome.answers.map(clusterOf)).toEqual(['trino-b', 'trino-a', 'trino-b']);
  });

  it('phases the router never asks for (request body and trailers, response trailers) get their own answer', async () => {
    const outcome = await exchange([
      ProcessingRequest.fromPartial({ request: { $case: 'requestBody', value: { body: Buffer.from('SELECT 1'), endOfStream: true } } }),
      ProcessingRequest.fromPartial({ request: { $case: 'requestTrailers', value: { trailers: headerMap([['x', 'y']]) } } }),
      ProcessingRequest.fromPartial({ request: { $case: 'responseTrailers', value: { trailers: headerMap([['x', 'y']]) } } }),
      requestHeaders(SUBMIT_ALICE),
    ]);
    expect(outcome.answers.map((a) => a.response?.$case)).toEqual(['requestBody', 'requestTrailers', 'responseTrailers', 'requestHeaders']);
  });

  it('request headers with no :method, no :path or non-UTF-8 bytes are still answered', async () => {
    for (const pairs of [
      [['x-trino-user', 'alice']],
      [[':path', '/v1/statement']],
      [[':method', 'POST'], [':path', Buffer.from([0x2f, 0xff, 0xfe])], ['x-trino-user', Buffer.from([0xff, 0x00, 0xfe])]],
      [[':method', Buffer.alloc(3, 0xff)], [':path', '/v1/statement'], [':authority', Buffer.from([0xc3])]],
      [],
    ] as (readonly [string, string | Buffer])[][]) {
      const outcome = await exchange([requestHeaders(pairs)]);
      expect(outcome.status.code).toBe(grpc.status.OK);
      expect(['requestHeaders', 'immediateResponse']).toContain(outcome.answers[0]?.response?.$case);
    }
  });
});

describe('an empty ProcessingRequest', () => {
  it('does not crash the router, and streams around it on the same connection are answered', async () => {
    const empty = openCall();
    const emptyAnswers: ProcessingResponse[] = [];
    empty.on('data', (answer: ProcessingResponse) => emptyAnswers.push(answer));
    empty.write(ProcessingRequest.fromPartial({}));
    const concurrent = await Promise.all([exchange([requestHeaders(SUBMIT_ALICE)]), exchange([requestHeaders(SUBMIT_ETL)])]);
    expect(concurrent.map((c) => clusterOf(c.answers[0]))).toEqual(['trino-a', 'trino-b']);
    // The stream that carried the empty message got no routing answer; end it from our side.
    expect(emptyAnswers).toEqual([]);
    empty.cancel();
  });

  it('ends the stream at once with INVALID_ARGUMENT naming the problem, counted, and releases it', async () => {
    const EMPTY = 'trino_router_edge_errors_total{edge="ext_proc",kind="empty_message"}';
    const TRANSPORT = 'trino_router_edge_errors_total{edge="ext_proc",kind="transport"}';
    const emptyBefore = await metric(EMPTY).catch(() => 0);
    const transportBefore = await metric(TRANSPORT).catch(() => 0);
    const outcome = await new Promise<{ status: grpc.StatusObject; answers: number }>((resolve) => {
      // The deadline only bounds a regression: the status must come from the router, not from it.
      const call = openCall(client, { deadline: Date.now() + 30_000 });
      let answers = 0;
      call.on('data', () => answers++);
      call.on('status', (status: grpc.StatusObject) => resolve({ status, answers }));
      call.write(ProcessingRequest.fromPartial({}));
      // Messages after the failure are ignored: no answer, nothing routed.
      call.write(requestHeaders(SUBMIT_ALICE));
    });
    expect(outcome.status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(outcome.status.details).toMatch(/ProcessingRequest without a request phase/);
    expect(outcome.answers).toBe(0);
    // Counted once, as what it was (not also as a transport error).
    expect(await metric(EMPTY)).toBe(emptyBefore + 1);
    expect(await metric(TRANSPORT).catch(() => 0)).toBe(transportBefore);
    await expectNoActiveStreams();
  });

  it('a burst of 500 empty messages on one connection: each stream gets its status, none is left open', async () => {
    const codes = await Promise.all(Array.from({ length: 500 }, () => new Promise<number>((resolve) => {
      const call = openCall(client, { deadline: Date.now() + 30_000 });
      call.on('status', (status: grpc.StatusObject) => resolve(status.code));
      call.write(ProcessingRequest.fromPartial({}));
    })));
    expect(new Set(codes)).toEqual(new Set([grpc.status.INVALID_ARGUMENT]));
    await expectNoActiveStreams();
  });
});

describe('thousands of streams abandoned midway', () => {
  it('3,000 streams cancelled before, during and after their answer, on several connections', async () => {
    const connections = Array.from({ length: 4 }, () => new ExtProcClient(`127.0.0.1:${router.extProcPort}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
    // Streams cancelled the instant they open go over raw HTTP/2 (HEADERS, maybe a DATA frame,
    // then RST_STREAM, as Envoy resets a stream): grpc-js 1.14's client, cancelled that early on
    // a ready connection, still opens the stream on the wire and never resets it, so the server
    // would rightly keep it open until the connection closes.
    const sessions = await Promise.all(Array.from({ length: 2 }, () => new Promise<http2.ClientHttp2Session>((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${router.extProcPort}`);
      session.once('connect', () => resolve(session));
      session.once('error', reject);
    })));
    const resetAtOnce = (session: http2.ClientHttp2Session, body: Buffer | undefined): Promise<void> => new Promise((resolve) => {
      const stream = session.request({ ':method': 'POST', ':path': PROCESS_PATH, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      stream.on('close', () => resolve());
      if (body !== undefined) stream.write(body);
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    const submitFrame = frame(Buffer.from(ProcessingRequest.encode(requestHeaders(SUBMIT_ALICE)).finish()));
    try {
      const batches = 10;
      for (let batch = 0; batch < batches; batch++) {
        await Promise.all(Array.from({ length: 300 }, (_, i) => {
          switch (i % 10) {
            case 0:
            case 1: // opened, nothing sent
              return resetAtOnce(sessions[i % 2]!, undefined);
            case 2:
            case 3: // request headers sent, reset before the answer can arrive
              return resetAtOnce(sessions[i % 2]!, submitFrame);
          }
          return new Promise<void>((resolve) => {
          const call = openCall(connections[i % connections.length]!);
          call.on('status', () => resolve());
          switch (i % 10) {
            case 4:
            case 5:
            case 6: // answered, then abandoned without a half-close
              call.write(requestHeaders(i % 2 === 0 ? SUBMIT_ETL : SUBMIT_ALICE));
              call.once('data', () => call.cancel());
              break;
            case 7:
            case 8: // mid-exchange: the response phase started, the body never comes
              call.write(requestHeaders(SUBMIT_ETL));
              call.once('data', () => {
                call.write(responseHeaders([[':status', '200']]));
                call.once('data', () => call.cancel());
              });
              break;
            default: // a follow-up the router must probe for: cancelled while the probe hangs
              call.write(requestHeaders(pollOf(freshQueryId())));
              setImmediate(() => call.cancel());
              break;
          }
          });
        }));
      }
      // Connections dropped with streams still open on them.
      const dangling = Array.from({ length: 50 }, (_, i) => {
        const call = openCall(connections[i % connections.length]!);
        call.write(requestHeaders(SUBMIT_ALICE));
        return call;
      });
      for (const c of connections) c.close();
      for (const call of dangling) call.cancel();
    } finally {
      for (const c of connections) c.close();
      for (const session of sessions) session.close();
    }
    // The router answers on a new connection as well as on the old shared one.
    const fresh = new ExtProcClient(`127.0.0.1:${router.extProcPort}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    try {
      const answer = await new Promise<ProcessingResponse>((resolve) => {
        const call = openCall(fresh);
        call.once('data', (a: ProcessingResponse) => {
          resolve(a);
          call.end();
        });
        call.write(requestHeaders(SUBMIT_ETL));
      });
      expect(clusterOf(answer)).toBe('trino-b');
    } finally {
      fresh.close();
    }
    // Every one of the 3,050 streams was released: the active-stream gauge is back to zero.
    await expectNoActiveStreams();
  });

  it('a probe that completes after its stream was cancelled changes nothing for later requests', async () => {
    const queryId = freshQueryId();
    await new Promise<void>((resolve) => {
      const call = openCall();
      call.on('status', () => resolve());
      call.write(requestHeaders(pollOf(queryId)));
      setImmediate(() => call.cancel());
    });
    // The same id asked again: the probe runs again and still finds nothing.
    const poll = await exchange([requestHeaders(pollOf(queryId))]);
    expect(immediateBody(poll.answers[0])?.body.error.errorName).toBe('NOT_FOUND');
  });
});
