/**
 * StatementAnalyzer: statement facts off the event loop. A small worker_threads pool; each
 * statement gets a time budget from the moment it is asked (waiting for a worker included:
 * workers load the grammar at start, and an answer later than Envoy's ext_proc message_timeout
 * is a 504 for the client, while `unknown` is routed by the rules), and a worker that overruns
 * it is terminated and replaced, so the caller hears `unknown: timeout` in time. A bounded
 * queue answers `overloaded` when full.
 * The grammar's ANTLR parse takes tens of ms for 2 KB and hundreds for 100 KB (bench
 * scenario statement-facts), too long for the main thread.
 */
import { Worker } from 'node:worker_threads';
import { unknownOutcome, type StatementOutcome, type StatementSession } from './facts.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

export interface StatementAnalyzerOptions {
  readonly poolSize?: number;
  readonly maxBytes?: number;
  /** Budget per statement, from analyze() to its answer. */
  readonly timeoutMs?: number;
  /** Statements waiting for a worker beyond this are answered `overloaded`. */
  readonly maxQueue?: number;
}

interface Job {
  readonly req: WorkerRequest;
  readonly resolve: (o: StatementOutcome) => void;
  /** Epoch ms the answer is due. */
  readonly deadline: number;
  /** Answers the job while it still waits for a worker. */
  waitTimer: NodeJS.Timeout | undefined;
}
interface Slot { worker: Worker; ready: boolean; job: Job | undefined; timer: NodeJS.Timeout | undefined }

const fromSource = import.meta.url.endsWith('.ts');

export class StatementAnalyzer {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Callers of ready() waiting for every worker to have the grammar loaded. */
  private readyWaiters: (() => void)[] = [];
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxQueue: number;

  constructor(options: StatementAnalyzerOptions = {}) {
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 200;
    this.maxQueue = options.maxQueue ?? 64;
    const size = options.poolSize ?? 1;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`poolSize must be a positive integer, got ${size}`);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Resolves once every worker has its grammar loaded and warm (a replaced one too), so statements asked then are not spent waiting. */
  ready(): Promise<void> {
    if (this.closed || this.slots.every((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private noteReady(): void {
    if (!this.slots.every((s) => s.ready)) return;
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  analyze(sql: string, session: StatementSession = {}): Promise<StatementOutcome> {
    if (this.closed) return Promise.resolve(unknownOutcome('closed', 'the analyzer is closed'));
    // Checked here too: an oversized body is not worth copying to a worker.
    const bytes = Buffer.byteLength(sql, 'utf8');
    if (bytes > this.maxBytes) return Promise.resolve(unknownOutcome('too_large', `${bytes} bytes over the ${this.maxBytes}-byte cap`));
    if (this.queue.length >= this.maxQueue) return Promise.resolve(unknownOutcome('overloaded', `${this.queue.length} statements already waiting`));
    return new Promise((resolve) => {
      const req: WorkerRequest = {
        id: this.nextId++, sql, catalog: session.catalog, schema: session.schema,
        prepared: [...(session.preparedStatements ?? new Map<string, string>())],
      };
      const job: Job = { req, resolve, deadline: Date.now() + this.timeoutMs, waitTimer: undefined };
      job.waitTimer = setTimeout(() => {
        const index = this.queue.indexOf(job);
        if (index < 0) return;
        this.queue.splice(index, 1);
        resolve(unknownOutcome('timeout', `no parser thread was free within ${this.timeoutMs} ms (starting or busy)`));
      }, this.timeoutMs);
      this.queue.push(job);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.waitTimer);
      job.resolve(unknownOutcome('closed', 'the analyzer closed'));
    }
    await Promise.all(this.slots.map(async (slot) => {
      if (slot.timer) clearTimeout(slot.timer);
      slot.job?.resolve(unknownOutcome('closed', 'the analyzer closed'));
      slot.job = undefined;
      await slot.worker.terminate();
    }));
  }

  private spawn(): Slot {
    const workerData = { maxBytes: this.maxBytes };
    // From source (tests, tsx) the worker registers tsx itself: Node 20 workers ignore
    // `--import` in execArgv and do not inherit the parent's loader hooks.
    const worker = fromSource
      ? new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL('./parse-worker.ts', import.meta.url).href)}); })`, { eval: true, workerData })
      : new Worker(new URL('./parse-worker.js', import.meta.url), { workerData });
    const slot: Slot = { worker, ready: false, job: undefined, timer: undefined };
    worker.on('message', (msg: WorkerReply | { ready: true }) => {
      if ('ready' in msg) {
        slot.ready = true;
        this.noteReady();
        this.dispatch();
        return;
      }
      if (slot.job?.req.id !== msg.id) return;
      this.finish(slot, msg.outcome);
    });
    worker.on('error', (err) => { this.replace(slot, unknownOutcome('internal_error', `worker failed: ${err.message}`)); });
    worker.on('exit', () => { if (!this.closed && this.slots.includes(slot)) this.replace(slot, unknownOutcome('internal_error', 'worker exited')); });
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job !== undefined || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      clearTimeout(job.waitTimer);
      slot.job = job;
      // What is left of the budget once a worker with the grammar loaded takes it.
      const left = Math.max(0, job.deadline - Date.now());
      slot.timer = setTimeout(() => { this.replace(slot, unknownOutcome('timeout', `no answer within ${this.timeoutMs} ms`)); }, left);
      slot.worker.postMessage(job.req);
    }
  }

  private finish(slot: Slot, outcome: StatementOutcome): void {
    if (slot.timer) clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    slot.timer = undefined;
    job?.resolve(outcome);
    this.dispatch();
  }

  /** Answer the slot's job with `outcome`, terminate its worker and start a fresh one. */
  private replace(slot: Slot, outcome: StatementOutcome): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    if (slot.timer) clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    this.slots.splice(index, 1);
    void slot.worker.terminate();
    job?.resolve(outcome);
    if (!this.closed) { this.slots.push(this.spawn()); this.dispatch(); }
  }
}
