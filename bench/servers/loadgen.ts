/**
 * The load generator, in its own process: drives an ext_proc server the way Envoy does. One
 * HTTP/2 connection per server carries every stream; each simulated HTTP request is one bidi
 * `Process` stream: send request_headers (raw_value), await the answer, half-close, await the
 * end. Messages are pre-encoded; answers are checked (full decode of the first ones of every
 * phase, a byte check of the rest).
 *
 * Two clients: `h2` (default; bench/lib/h2-client.ts, a minimal HTTP/2 gRPC client cheap
 * enough that the server is the bottleneck, as with Envoy) and `grpc-js` (one grpc-js client
 * channel; costs more CPU per stream than the floor server, so it cannot saturate it on a
 * small machine: kept to show exactly that).
 *
 * Two modes: `max` (closed loop, N requests outstanding: the server's maximum rate) and
 * `rate` (open loop at a fixed offered rate, latency from each request's scheduled send time,
 * so a stall is charged to every request it delays: no coordinated omission).
 */
import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { ProcessingResponse } from '../../src/gen/envoy/service/ext_proc/v3/external_processor.js';
import { createKeyring, signRoutePrefix } from '../../src/stickiness/route-prefix.js';
import { PREFIX_KEY } from '../lib/bench-config.js';
import { grpcFrame, H2GrpcClient } from '../lib/h2-client.js';
import { coordinatorIds, queryIds, seededRandom } from '../lib/ids.js';
import { serve } from '../lib/ipc.js';
import { percentiles, type Percentiles } from '../lib/stats.js';
import {
  bearerToken,
  encodeRequestHeaders,
  encodeResponseBody,
  encodeResponseHeaders,
  etlSubmission,
  followUpHeaders,
  nextUriPath,
  POOL_SIZE,
  queryResultsBody,
  RESPONSE_HEADERS,
  submissionPool,
} from '../lib/workload.js';

const PATH = '/envoy.service.ext_proc.v3.ExternalProcessor/Process';
const identity = (b: Buffer): Buffer => b;
const CLUSTER = Buffer.from('x-trino-cluster');
const FULL_CHECKS = 200;

/** One ext_proc stream as the generator sees it. */
interface StreamRef {
  send(message: Buffer): void;
  end(): void;
}

/** A connection to one server: opens streams that send `first` at once. */
interface Connection {
  open(first: Buffer, onMessage: (message: Buffer, stream: StreamRef) => void, onDone: (ok: boolean) => void): StreamRef;
  close(): void;
}

function grpcJsConnection(port: number, socketPath?: string): Promise<Connection> {
  const c = new grpc.Client(socketPath === undefined ? `127.0.0.1:${port}` : `unix:${socketPath}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 8 * 1024 * 1024,
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
  });
  return new Promise((resolve, reject) => c.waitForReady(Date.now() + 10_000, (e) => {
    if (e) return reject(e);
    resolve({
      open(first, onMessage, onDone) {
        const call = c.makeBidiStreamRequest<Buffer, Buffer>(PATH, identity, identity);
        let answers = 0;
        const ref: StreamRef = { send: (m) => call.write(m), end: () => call.end() };
        call.on('data', (answer: Buffer) => {
          answers++;
          onMessage(answer, ref);
        });
        call.on('error', () => undefined);
        call.on('status', (status: grpc.StatusObject) => onDone(answers > 0 && status.code === grpc.status.OK));
        call.write(first);
        return ref;
      },
      close: () => c.close(),
    });
  }));
}

async function h2Connection(port: number, socketPath?: string): Promise<Connection> {
  const h2 = new H2GrpcClient('127.0.0.1', port, PATH, socketPath);
  await h2.ready;
  return {
    open(first, onMessage, onDone) {
      let ref: StreamRef | undefined;
      const id = h2.start(grpcFrame(first), {
        onMessage: (message) => onMessage(message, ref!),
        onClose: onDone,
      });
      ref = { send: (m) => h2.send(id, grpcFrame(m)), end: () => h2.end(id) };
      return ref;
    },
    close: () => h2.close(),
  };
}

const clients = new Map<string, Connection>();

interface Workload {
  readonly messages: readonly Buffer[];
  /** Backend the router must pick (checked on decoded answers; the floor always says trino-a). */
  readonly backend: string | undefined;
  /** The router must rewrite :path (prefix follow-ups). */
  readonly rewritesPath: boolean;
}

const workloads = new Map<string, Workload>();
/** Query ids the router learns through `learn` and that query-id follow-ups poll. */
let learnIds: string[] = [];

function buildWorkloads(followUps: number): void {
  const random = seededRandom(7);
  const token = bearerToken(1024, random);
  workloads.set('submit-1k', { messages: submissionPool(1024, 1), backend: undefined, rewritesPath: false });
  workloads.set('submit-16k', { messages: submissionPool(16 * 1024, 2), backend: undefined, rewritesPath: false });
  // trino-b's coordinators (learned with its queries) and trino-a's, whose queries come back by
  // prefix: a query id names the coordinator that made it, and the router lets a known owner
  // outrank a prefix, so prefix follow-ups must not carry trino-b's coordinator ids.
  const coordinators = coordinatorIds(16, random);
  learnIds = queryIds(followUps, coordinators.slice(0, 8), Date.now() - 86_400_000);
  const prefixIds = queryIds(4 * POOL_SIZE, coordinators.slice(8), Date.now() - 86_400_000);
  const keyring = createKeyring([PREFIX_KEY], 24 * 3600);
  const prefix = signRoutePrefix(keyring, 'trino-a', Date.now() / 1000);
  workloads.set('followup-queryid', {
    messages: learnIds.slice(0, 4 * POOL_SIZE).map((id, i) => encodeRequestHeaders(followUpHeaders(nextUriPath(id, 1 + (i % 9)), i, token))),
    backend: 'trino-b',
    rewritesPath: false,
  });
  workloads.set('followup-prefix', {
    messages: prefixIds.map((id, i) => encodeRequestHeaders(followUpHeaders(`${prefix}${nextUriPath(id, 1 + (i % 9))}`, i, token))),
    backend: 'trino-a',
    rewritesPath: true,
  });
}

function client(target: string): Connection {
  const c = clients.get(target);
  if (c === undefined) throw new Error(`not connected to ${target}`);
  return c;
}

function workload(name: string): Workload {
  const w = workloads.get(name);
  if (w === undefined) throw new Error(`unknown workload ${name}`);
  return w;
}

class Checker {
  private checked = 0;
  refused = 0;
  wrong = 0;
  lastProblem: string | undefined;

  constructor(private readonly w: Workload, private readonly isRouter: boolean) {}

  check(answer: Buffer): void {
    if (this.checked >= FULL_CHECKS) {
      if (answer.indexOf(CLUSTER) < 0) this.refused++;
      return;
    }
    this.checked++;
    const decoded = ProcessingResponse.decode(answer);
    if (decoded.response?.$case !== 'requestHeaders') {
      this.refused++;
      this.lastProblem = `answer is ${decoded.response?.$case}: ${JSON.stringify(ProcessingResponse.toJSON(decoded)).slice(0, 400)}`;
      return;
    }
    const mutation = decoded.response.value.response?.headerMutation;
    const cluster = mutation?.setHeaders.find((h) => h.header?.key === 'x-trino-cluster')?.header?.rawValue.toString();
    if (cluster === undefined) {
      this.refused++;
      this.lastProblem = 'no x-trino-cluster in the answer';
      return;
    }
    if (!this.isRouter) return;
    const path = mutation?.setHeaders.find((h) => h.header?.key === ':path');
    if ((this.w.backend !== undefined && cluster !== this.w.backend) || (path !== undefined) !== this.w.rewritesPath) {
      this.wrong++;
      this.lastProblem = `routed to ${cluster}, :path rewritten ${path !== undefined}`;
    }
  }
}

/**
 * One HTTP request's ext_proc stream: the request_headers message, its answer, half-close.
 * `onAnswer` gets the answer; `onDone` the end of the stream (true when it ended cleanly).
 */
function exchange(c: Connection, message: Buffer, onAnswer: (answer: Buffer) => void, onDone: (ok: boolean) => void): void {
  let answered = false;
  c.open(message, (answer, stream) => {
    if (answered) return;
    answered = true;
    stream.end();
    onAnswer(answer);
  }, onDone);
}

export interface MaxResult {
  readonly completed: number;
  readonly failed: number;
  readonly refused: number;
  readonly wrong: number;
  readonly problem: string | undefined;
  readonly seconds: number;
  readonly rps: number;
  readonly clientCpuUs: number;
}

/** Closed loop: `concurrency` requests outstanding; a slot is freed by the answer, as Envoy moves on. */
function runMax(target: string, name: string, concurrency: number, warmupMs: number, durationMs: number, isRouter: boolean): Promise<MaxResult> {
  const c = client(target);
  const w = workload(name);
  const checker = new Checker(w, isRouter);
  return new Promise((resolve) => {
    let i = 0;
    let counting = false;
    let stopping = false;
    let completed = 0;
    let failed = 0;
    let outstanding = 0;
    let cpuAtStart = process.cpuUsage();
    let startedAt = 0;
    let seconds = 0;
    let clientCpuUs = 0;
    const launch = (): void => {
      if (stopping) return;
      outstanding++;
      exchange(c, w.messages[i++ % w.messages.length]!, (answer) => {
        checker.check(answer);
        if (counting) completed++;
        launch();
      }, (ok) => {
        outstanding--;
        if (!ok && counting) failed++;
        if (stopping && outstanding === 0) finish();
      });
    };
    const finish = (): void => resolve({
      completed, failed, refused: checker.refused, wrong: checker.wrong, problem: checker.lastProblem,
      seconds, rps: completed / seconds, clientCpuUs,
    });
    for (let k = 0; k < concurrency; k++) launch();
    setTimeout(() => {
      counting = true;
      startedAt = performance.now();
      cpuAtStart = process.cpuUsage();
      setTimeout(() => {
        counting = false;
        stopping = true;
        seconds = (performance.now() - startedAt) / 1000;
        const cpu = process.cpuUsage(cpuAtStart);
        clientCpuUs = cpu.user + cpu.system;
      }, durationMs);
    }, warmupMs);
  });
}

export interface RateResult {
  readonly offeredRps: number;
  readonly sent: number;
  readonly answered: number;
  readonly failed: number;
  readonly refused: number;
  readonly wrong: number;
  readonly problem: string | undefined;
  readonly latencyMs: Percentiles;
  readonly achievedRps: number;
  readonly clientCpuUs: number;
}

/**
 * Open loop at `rps`: request k is due at start + k/rps and is sent on the first timer tick at
 * or after that (ticks are ~1 ms apart, Node's timer granularity); its latency runs from the
 * due time to the answer. Only requests due after the warm-up are measured.
 */
function runRate(target: string, name: string, rps: number, warmupMs: number, durationMs: number, isRouter: boolean): Promise<RateResult> {
  const c = client(target);
  const w = workload(name);
  const checker = new Checker(w, isRouter);
  const total = Math.round((rps * (warmupMs + durationMs)) / 1000);
  const firstMeasured = Math.round((rps * warmupMs) / 1000);
  const latencies = new Float64Array(total - firstMeasured);
  return new Promise((resolve) => {
    let next = 0;
    let answered = 0;
    let closed = 0;
    let failed = 0;
    const start = performance.now() + 5;
    let cpuAtStart = process.cpuUsage();
    let clientCpuUs = 0;
    let lastAnswerAt = 0;
    let firstDueAt = 0;
    const send = (k: number, due: number): void => {
      exchange(c, w.messages[k % w.messages.length]!, (answer) => {
        const now = performance.now();
        checker.check(answer);
        if (k >= firstMeasured) {
          latencies[k - firstMeasured] = now - due;
          answered++;
          lastAnswerAt = now;
        }
      }, (ok) => {
        if (!ok && k >= firstMeasured) failed++;
        if (++closed === total) done();
      });
    };
    const done = (): void => {
      const cpu = process.cpuUsage(cpuAtStart);
      clientCpuUs = cpu.user + cpu.system;
      const measured = latencies.subarray(0, answered);
      resolve({
        offeredRps: rps, sent: total - firstMeasured, answered, failed,
        refused: checker.refused, wrong: checker.wrong, problem: checker.lastProblem,
        latencyMs: percentiles(measured),
        achievedRps: answered / ((lastAnswerAt - firstDueAt) / 1000),
        clientCpuUs,
      });
    };
    const tick = (): void => {
      const now = performance.now();
      while (next < total) {
        const due = start + (next * 1000) / rps;
        if (due > now) break;
        if (next === firstMeasured) {
          cpuAtStart = process.cpuUsage();
          firstDueAt = due;
        }
        send(next, due);
        next++;
      }
      if (next < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 5);
  });
}

/**
 * Teaches the router `count` query ids the way it learns them in production: a submission
 * (tagged etl, so trino-b routes it), the coordinator's response headers, then the first
 * QueryResults body carrying the id, all on one stream, answered one by one.
 */
async function learn(target: string, concurrency: number): Promise<{ learned: number; refused: number }> {
  const c = client(target);
  const random = seededRandom(11);
  const token = bearerToken(1024, random);
  const responseHeaders = encodeResponseHeaders(RESPONSE_HEADERS);
  let next = 0;
  let learned = 0;
  let refused = 0;
  const one = (id: string, i: number): Promise<void> => new Promise((resolve) => {
    let step = 0;
    c.open(etlSubmission(token, i), (answer, stream) => {
      step++;
      if (step === 1) {
        if (ProcessingResponse.decode(answer).modeOverride === undefined) {
          refused++;
          stream.end();
          return;
        }
        stream.send(responseHeaders);
      } else if (step === 2) {
        stream.send(encodeResponseBody(queryResultsBody(id)));
      } else {
        learned++;
        stream.end();
      }
    }, () => resolve());
  });
  const worker = async (): Promise<void> => {
    while (next < learnIds.length) {
      const i = next++;
      await one(learnIds[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { learned, refused };
}

serve({
  setup({ followUps }: { followUps: number }) {
    buildWorkloads(followUps);
    return { workloads: [...workloads.keys()], learnIds: learnIds.length };
  },
  /** `target` names the connection (e.g. router, floor, floor/grpc-js); `socketPath`: over a Unix socket. */
  async connect({ target, port, socketPath, client: kind }: { target: string; port: number; socketPath?: string; client: 'h2' | 'grpc-js' }) {
    clients.get(target)?.close();
    clients.set(target, kind === 'grpc-js' ? await grpcJsConnection(port, socketPath) : await h2Connection(port, socketPath));
    return null;
  },
  max(a: { target: string; workload: string; concurrency: number; warmupMs: number; durationMs: number; isRouter: boolean }) {
    return runMax(a.target, a.workload, a.concurrency, a.warmupMs, a.durationMs, a.isRouter);
  },
  rate(a: { target: string; workload: string; rps: number; warmupMs: number; durationMs: number; isRouter: boolean }) {
    return runRate(a.target, a.workload, a.rps, a.warmupMs, a.durationMs, a.isRouter);
  },
  learn(a: { target: string; concurrency: number }) {
    return learn(a.target, a.concurrency);
  },
  close() {
    for (const c of clients.values()) c.close();
    clients.clear();
    return null;
  },
});
