/**
 * A minimal HTTP/2 gRPC client for the load generator, cheap enough per stream that the server
 * under test, not the generator, is the bottleneck (Envoy's own codec is C++; grpc-js's client
 * costs more CPU per stream than the server it measures, see bench/README.md).
 *
 * It speaks just what an ext_proc client needs, over one TCP connection: the preface and
 * SETTINGS (with acks), PING acks, HEADERS for a new stream (one constant HPACK block, no
 * dynamic table), DATA with gRPC length-prefixed messages split to the peer's frame size,
 * send-side flow control (connection and stream windows, WINDOW_UPDATE), receive-side window
 * updates, RST_STREAM and GOAWAY. Response headers and trailers are skipped, not decoded: a
 * stream succeeds when its answer message arrived and the server ended the stream.
 */
import { connect, type Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const SETTINGS_MAX_FRAME_SIZE = 0x5;
const OUR_WINDOW = 0x7fffffff;

function frame(type: number, flags: number, streamId: number, payload: Buffer | undefined): Buffer {
  const length = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(9 + length);
  out.writeUIntBE(length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  if (payload !== undefined) payload.copy(out, 9);
  return out;
}

/** HPACK string literal without Huffman coding. */
function hpackString(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  if (bytes.length >= 127) {
    const len: number[] = [];
    let rest = bytes.length - 127;
    while (rest >= 128) {
      len.push((rest & 0x7f) | 0x80);
      rest >>= 7;
    }
    len.push(rest);
    return Buffer.concat([Buffer.from([0x7f, ...len]), bytes]);
  }
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A request header block: static-table pseudo headers, the rest as literals without indexing. */
function requestHeaderBlock(authority: string, path: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http
    Buffer.from([0x04]), hpackString(path), // :path (name index 4), literal value
    Buffer.from([0x01]), hpackString(authority), // :authority (name index 1)
    Buffer.from([0x0f, 0x10]), hpackString('application/grpc'), // content-type (name index 31)
    Buffer.from([0x00]), hpackString('te'), hpackString('trailers'),
  ]);
}

/** gRPC length-prefixed message (not compressed). */
export function grpcFrame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

export interface StreamHandler {
  /** A whole gRPC message from the server. */
  onMessage(message: Buffer): void;
  /** The stream is over: ended by the server (ok) or reset / connection lost. */
  onClose(ok: boolean): void;
}

interface StreamState {
  readonly handler: StreamHandler;
  /** Bytes of gRPC framing received so far (messages may span DATA frames). */
  pending: Buffer | undefined;
  messages: number;
  sendWindow: number;
  /** DATA waiting for window: [bytes, endStream]. */
  queued: [Buffer, boolean][];
  closedLocal: boolean;
}

export class H2GrpcClient {
  private readonly socket: Socket;
  private readonly headerBlock: Buffer;
  private readonly streams = new Map<number, StreamState>();
  private nextStreamId = 1;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private inbox: Buffer | undefined;
  private peerInitialWindow = 65_535;
  private peerMaxFrame = 16_384;
  private connectionSendWindow = 65_535;
  private receivedSinceUpdate = 0;
  /** Streams with DATA waiting for the connection window, in order. */
  private readonly blocked = new Set<number>();
  private failure: Error | undefined;
  readonly ready: Promise<void>;

  /** `socketPath`: connect over that Unix domain socket instead of host:port (:authority stays host:port). */
  constructor(host: string, port: number, path: string, socketPath?: string) {
    this.headerBlock = requestHeaderBlock(`${host}:${port}`, path);
    this.socket = socketPath === undefined ? connect({ host, port, noDelay: true }) : connect({ path: socketPath });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => {
        const settings = Buffer.alloc(18);
        settings.writeUInt16BE(SETTINGS_HEADER_TABLE_SIZE, 0);
        settings.writeUInt32BE(0, 2);
        settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 6);
        settings.writeUInt32BE(0, 8);
        settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 12);
        settings.writeUInt32BE(OUR_WINDOW, 14);
        const update = Buffer.alloc(4);
        update.writeUInt32BE(OUR_WINDOW - 65_535, 0);
        this.socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, settings), frame(WINDOW_UPDATE, 0, 0, update)]));
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  get open(): number {
    return this.streams.size;
  }

  /** Opens a stream and sends one message on it; the stream stays open until `end`. */
  start(message: Buffer, handler: StreamHandler): number {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    if (this.failure !== undefined) {
      handler.onClose(false);
      return id;
    }
    const state: StreamState = { handler, pending: undefined, messages: 0, sendWindow: this.peerInitialWindow, queued: [], closedLocal: false };
    this.streams.set(id, state);
    this.push(frame(HEADERS, END_HEADERS, id, this.headerBlock));
    this.sendData(id, state, message, false);
    return id;
  }

  /** Sends one more message on an open stream. */
  send(id: number, message: Buffer): void {
    const state = this.streams.get(id);
    if (state !== undefined && !state.closedLocal) this.sendData(id, state, message, false);
  }

  /** Half-closes the stream (what Envoy does once no more phases are due). */
  end(id: number): void {
    const state = this.streams.get(id);
    if (state === undefined || state.closedLocal) return;
    state.closedLocal = true;
    this.sendData(id, state, undefined, true);
  }

  close(): void {
    this.socket.destroy();
  }

  private sendData(id: number, state: StreamState, grpcMessage: Buffer | undefined, endStream: boolean): void {
    const bytes = grpcMessage === undefined ? Buffer.alloc(0) : grpcMessage;
    state.queued.push([bytes, endStream]);
    this.drain(id, state);
  }

  /** Sends what the windows allow of a stream's queued DATA. */
  private drain(id: number, state: StreamState): void {
    while (state.queued.length > 0) {
      const [bytes, endStream] = state.queued[0]!;
      if (bytes.length === 0) {
        this.push(frame(DATA, endStream ? END_STREAM : 0, id, undefined));
        state.queued.shift();
        continue;
      }
      const allowed = Math.min(bytes.length, this.peerMaxFrame, state.sendWindow, this.connectionSendWindow);
      if (allowed <= 0) {
        this.blocked.add(id);
        return;
      }
      const last = allowed === bytes.length;
      this.push(frame(DATA, last && endStream ? END_STREAM : 0, id, bytes.subarray(0, allowed)));
      state.sendWindow -= allowed;
      this.connectionSendWindow -= allowed;
      if (last) state.queued.shift();
      else state.queued[0] = [bytes.subarray(allowed), endStream];
    }
    this.blocked.delete(id);
  }

  private push(bytes: Buffer): void {
    this.out.push(bytes);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.failure !== undefined) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.socket.write(data);
  }

  private receive(chunk: Buffer): void {
    const buf = this.inbox === undefined ? chunk : Buffer.concat([this.inbox, chunk]);
    let offset = 0;
    while (buf.length - offset >= 9) {
      const length = buf.readUIntBE(offset, 3);
      if (buf.length - offset < 9 + length) break;
      const type = buf[offset + 3]!;
      const flags = buf[offset + 4]!;
      const streamId = buf.readUInt32BE(offset + 5) & 0x7fffffff;
      this.onFrame(type, flags, streamId, buf.subarray(offset + 9, offset + 9 + length));
      offset += 9 + length;
    }
    this.inbox = offset === buf.length ? undefined : Buffer.from(buf.subarray(offset));
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    switch (type) {
      case DATA: {
        this.receivedSinceUpdate += payload.length;
        if (this.receivedSinceUpdate > 1 << 20) {
          const update = Buffer.alloc(4);
          update.writeUInt32BE(this.receivedSinceUpdate, 0);
          this.push(frame(WINDOW_UPDATE, 0, 0, update));
          this.receivedSinceUpdate = 0;
        }
        const state = this.streams.get(streamId);
        if (state === undefined) return;
        let data = payload;
        if ((flags & PADDED) !== 0) data = payload.subarray(1, payload.length - payload[0]!);
        if (data.length > 0) this.onGrpcBytes(state, data);
        if ((flags & END_STREAM) !== 0) this.finish(streamId, state.messages > 0);
        return;
      }
      case HEADERS:
      case CONTINUATION: {
        if ((flags & END_STREAM) !== 0) {
          const state = this.streams.get(streamId);
          if (state !== undefined) this.finish(streamId, state.messages > 0);
        }
        return;
      }
      case RST_STREAM: {
        const state = this.streams.get(streamId);
        if (state !== undefined) this.finish(streamId, false);
        return;
      }
      case SETTINGS: {
        if ((flags & ACK) !== 0) return;
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          const id = payload.readUInt16BE(i);
          const value = payload.readUInt32BE(i + 2);
          if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
            const delta = value - this.peerInitialWindow;
            this.peerInitialWindow = value;
            for (const s of this.streams.values()) s.sendWindow += delta;
          } else if (id === SETTINGS_MAX_FRAME_SIZE) {
            this.peerMaxFrame = value;
          }
        }
        this.push(frame(SETTINGS, ACK, 0, undefined));
        this.unblock();
        return;
      }
      case PING:
        if ((flags & ACK) === 0) this.push(frame(PING, ACK, 0, payload));
        return;
      case WINDOW_UPDATE: {
        const increment = payload.readUInt32BE(0) & 0x7fffffff;
        if (streamId === 0) this.connectionSendWindow += increment;
        else {
          const state = this.streams.get(streamId);
          if (state !== undefined) state.sendWindow += increment;
        }
        this.unblock();
        return;
      }
      case GOAWAY:
        this.fail(new Error(`GOAWAY from the server (error ${payload.length >= 8 ? payload.readUInt32BE(4) : '?'})`));
        return;
      default:
        return;
    }
  }

  private unblock(): void {
    for (const id of [...this.blocked]) {
      const state = this.streams.get(id);
      if (state === undefined) this.blocked.delete(id);
      else this.drain(id, state);
      if (this.connectionSendWindow <= 0) return;
    }
  }

  private onGrpcBytes(state: StreamState, data: Buffer): void {
    let buf = state.pending === undefined ? data : Buffer.concat([state.pending, data]);
    while (buf.length >= 5) {
      const length = buf.readUInt32BE(1);
      if (buf.length < 5 + length) break;
      const message = buf.subarray(5, 5 + length);
      buf = buf.subarray(5 + length);
      state.messages++;
      state.handler.onMessage(message);
    }
    state.pending = buf.length === 0 ? undefined : Buffer.from(buf);
  }

  private finish(id: number, ok: boolean): void {
    const state = this.streams.get(id);
    if (state === undefined) return;
    this.streams.delete(id);
    this.blocked.delete(id);
    // The server ended a stream this side never half-closed: cancel it so it does not linger.
    if (!state.closedLocal && this.failure === undefined) {
      const code = Buffer.alloc(4);
      code.writeUInt32BE(0x8, 0);
      this.push(frame(RST_STREAM, 0, id, code));
    }
    state.handler.onClose(ok);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const [id] of this.streams) this.finish(id, false);
  }
}
