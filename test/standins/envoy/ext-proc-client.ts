/**
 * The gRPC side of ext_proc: one bidi `Process` stream per HTTP request, opened with the first
 * message, over ONE shared HTTP/2 channel per endpoint (streams are multiplexed). Endpoints of
 * the ext_proc cluster are picked round robin per stream.
 *
 * ExtProcStream exposes a strict request/answer discipline: the filter sends one message and
 * awaits exactly one answer (next()). Anything the server sends while nothing is outstanding,
 * and a stream that ends while idle, is reported to `onUnsolicited`, as Envoy would react to it
 * at once (spurious message / gRPC error / close).
 */
import * as grpc from '@grpc/grpc-js';
import { grpcTarget, type Endpoint, type RuntimeSettings } from './config.js';

/** How a stream is closed once the filter expects no more answers (from the runtime). */
export type StreamCloseMode = Pick<RuntimeSettings, 'extProcGracefulClose' | 'extProcRemoteCloseTimeoutMs'>;

export const IMMEDIATE_CLOSE: StreamCloseMode = { extProcGracefulClose: false, extProcRemoteCloseTimeoutMs: 1000 };
import { EXT_PROC_METHOD_PATH, extProcServiceDefinition, type ProcessingRequestOut, type ProcessingResponseIn } from './protos.js';

export type ExtProcOutcome =
  | { readonly kind: 'message'; readonly message: ProcessingResponseIn }
  /** The server ended the stream with OK. */
  | { readonly kind: 'closed' }
  /** The stream failed (non-OK status), including failing to connect. */
  | { readonly kind: 'error'; readonly code: number; readonly details: string }
  | { readonly kind: 'timeout' };

export class ExtProcStream {
  onUnsolicited: ((outcome: ExtProcOutcome) => void) | undefined;
  private waiter: ((o: ExtProcOutcome) => void) | undefined;
  /** What arrived while answers were owed but nobody was waiting (pipelined STREAMED chunks). */
  private readonly inbox: ExtProcOutcome[] = [];
  /** Messages sent minus answers taken. */
  private owed = 0;
  /** Called once when the stream is over (its circuit breaker slot is free again). */
  private finish: (() => void) | undefined;
  private terminal: ExtProcOutcome | undefined;
  private localDone = false;

  private remoteCloseTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly call: grpc.ClientDuplexStream<ProcessingRequestOut, ProcessingResponseIn> | undefined,
    failure?: ExtProcOutcome,
    private readonly closeMode: StreamCloseMode = IMMEDIATE_CLOSE,
  ) {
    if (call === undefined) {
      this.terminal = failure ?? { kind: 'error', code: grpc.status.UNAVAILABLE, details: 'no healthy upstream' };
      return;
    }
    call.on('data', (message: ProcessingResponseIn) => this.deliver({ kind: 'message', message }));
    call.on('status', (status: grpc.StatusObject) => {
      clearTimeout(this.remoteCloseTimer);
      this.finished();
      const outcome: ExtProcOutcome =
        status.code === grpc.status.OK ? { kind: 'closed' } : { kind: 'error', code: status.code, details: status.details };
      this.terminal = outcome;
      this.deliver(outcome);
    });
    // 'status' carries the information; without an 'error' listener grpc-js would throw.
    call.on('error', () => undefined);
  }

  /** Whether the stream is still usable for sending. */
  get open(): boolean {
    return !this.localDone && this.terminal === undefined;
  }

  send(message: ProcessingRequestOut): void {
    this.owed++;
    if (!this.open || this.call === undefined) return;
    this.call.write(message);
  }

  /** The filter took (or gave up on) the answer to one message. */
  answerTaken(): void {
    if (this.owed > 0) this.owed--;
  }

  /** Waits for the answer to the message just sent, at most timeoutMs. */
  next(timeoutMs: number, signal: AbortSignal): Promise<ExtProcOutcome> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.terminal !== undefined) return Promise.resolve(this.terminal);
    return new Promise((resolve) => {
      const finish = (o: ExtProcOutcome): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        resolve(o);
      };
      const onAbort = (): void => finish({ kind: 'error', code: grpc.status.CANCELLED, details: 'downstream went away' });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = finish;
    });
  }

  private deliver(o: ExtProcOutcome): void {
    if (this.localDone) return;
    const waiter = this.waiter;
    if (waiter !== undefined) waiter(o);
    else if (this.owed > 0) this.inbox.push(o);
    else this.onUnsolicited?.(o);
  }

  /**
   * Closes the stream as Envoy does once it expects no more answers
   * (source/extensions/filters/http/ext_proc/ext_proc.cc, closeStreamMaybeGraceful). By default
   * END_STREAM, then at once RST_STREAM (ProcessorStreamImpl::close in
   * source/extensions/filters/common/ext_proc/grpc_client_impl.h). With the runtime flag
   * ext_proc_graceful_grpc_close: END_STREAM, then the stream lives until the server sends its
   * status or the remote-close timer fires, and only then is reset
   * (halfCloseAndDeleteOnRemoteClose).
   */
  halfClose(): void {
    if (this.localDone) return;
    this.localDone = true;
    const call = this.call;
    if (call === undefined || this.terminal !== undefined) return;
    call.end();
    if (this.closeMode.extProcGracefulClose) {
      this.remoteCloseTimer = setTimeout(() => {
        if (this.terminal === undefined) call.cancel();
        this.finished();
      }, this.closeMode.extProcRemoteCloseTimeoutMs);
      this.remoteCloseTimer.unref();
      return;
    }
    // The reset follows the END_STREAM frame (grpc-js writes it on the next turn).
    setImmediate(() => {
      if (this.terminal === undefined) call.cancel();
      this.finished();
    });
  }

  /** Runs `fn` once the stream is over (at once if it already is). */
  onFinished(fn: () => void): void {
    if (this.call === undefined || this.terminal !== undefined) fn();
    else this.finish = fn;
  }

  private finished(): void {
    const fn = this.finish;
    this.finish = undefined;
    fn?.();
  }

  /** Reset the stream (RST_STREAM / CANCELLED at the server). */
  cancel(): void {
    this.localDone = true;
    this.finished();
    if (this.call === undefined || this.terminal !== undefined) return;
    this.call.cancel();
  }
}

/** One grpc-js client (= one HTTP/2 channel) per endpoint, shared by all streams. */
export class ExtProcChannels {
  private readonly clients = new Map<string, grpc.Client>();
  private rr = 0;
  private readonly service = extProcServiceDefinition();

  constructor(
    private readonly authority: string,
    private readonly initialMetadata: readonly (readonly [string, string])[],
    private readonly closeMode: StreamCloseMode = IMMEDIATE_CLOSE,
  ) {}

  open(endpoints: readonly Endpoint[]): ExtProcStream {
    if (endpoints.length === 0) return new ExtProcStream(undefined);
    const endpoint = endpoints[this.rr++ % endpoints.length] as Endpoint;
    const target = grpcTarget(endpoint);
    let client = this.clients.get(target);
    if (client === undefined) {
      client = new grpc.Client(target, grpc.credentials.createInsecure(), {
        'grpc.default_authority': this.authority,
        // Each Client gets its own channel (and HTTP/2 connection) per endpoint.
        'grpc.use_local_subchannel_pool': 1,
      });
      this.clients.set(target, client);
    }
    const method = this.service['Process'];
    if (method === undefined) throw new Error('ExternalProcessor.Process missing from the service definition');
    const metadata = new grpc.Metadata();
    for (const [k, v] of this.initialMetadata) metadata.add(k, v);
    const call = client.makeBidiStreamRequest<ProcessingRequestOut, ProcessingResponseIn>(
      EXT_PROC_METHOD_PATH,
      method.requestSerialize as (value: ProcessingRequestOut) => Buffer,
      method.responseDeserialize as (bytes: Buffer) => ProcessingResponseIn,
      metadata,
      {},
    );
    return new ExtProcStream(call, undefined, this.closeMode);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
