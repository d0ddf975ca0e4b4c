/**
 * A scriptable ext_authz gRPC server for the stand-in's own tests, and helpers to write the
 * answers a server may give (decoded and encoded by proto-loader, like the stand-in itself).
 */
import * as grpc from '@grpc/grpc-js';
import { authorizationServiceDefinition } from './ext-authz-protos.js';

/** A CheckRequest as proto-loader decodes it (snake_case; google.protobuf types camelCase). */
export interface ReceivedCheck {
  attributes: {
    source: { address: { socket_address: { address: string; port_value: number } } };
    destination: { address: { socket_address: { address: string; port_value: number } } };
    request: {
      time: { seconds: string; nanos: number };
      http: { id: string; method: string; headers: Record<string, string>; path: string; host: string; scheme: string; size: string; protocol: string; body: string; raw_body: Buffer };
    };
  };
}

/** What the fake does with one call: answer, fail with a gRPC status, or never answer. */
export type CheckAction = { readonly answer: object } | { readonly fail: grpc.status; readonly details?: string } | 'hang';

export type CheckHandler = (request: ReceivedCheck, index: number) => CheckAction | Promise<CheckAction>;

export interface FakeCall {
  readonly request: ReceivedCheck;
  readonly metadata: grpc.Metadata;
  /** Resolves when the client cancelled the call (e.g. its deadline passed, or it went away). */
  readonly cancelled: Promise<void>;
}

export interface FakeExtAuthz {
  readonly port: number;
  readonly calls: FakeCall[];
  close(): Promise<void>;
}

export async function startFakeExtAuthz(handler: CheckHandler): Promise<FakeExtAuthz> {
  const server = new grpc.Server();
  const calls: FakeCall[] = [];
  server.addService(authorizationServiceDefinition(), {
    Check: (call: grpc.ServerUnaryCall<ReceivedCheck, object>, callback: grpc.sendUnaryData<object>) => {
      let onCancel!: () => void;
      const cancelled = new Promise<void>((resolve) => (onCancel = resolve));
      call.on('cancelled', () => onCancel());
      const index = calls.length;
      calls.push({ request: call.request, metadata: call.metadata, cancelled });
      void Promise.resolve(handler(call.request, index)).then((action) => {
        if (action === 'hang' || call.cancelled) return;
        if ('answer' in action) callback(null, action.answer);
        else callback({ code: action.fail, details: action.details ?? 'scripted failure' });
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    port,
    calls,
    close: () => {
      server.forceShutdown();
      return Promise.resolve();
    },
  };
}

/** A HeaderValueOption with the value in the string `value` (what ext_authz reads). */
export function stringHeader(key: string, value: string, options: { append?: boolean; appendAction?: string } = {}): object {
  return {
    header: { key, value },
    ...(options.append === undefined ? {} : { append: { value: options.append } }),
    ...(options.appendAction === undefined ? {} : { append_action: options.appendAction }),
  };
}

/** OK, with headers to set (append: false) and to remove. */
export function allow(set: [string, string][] = [], remove: string[] = [], extra: object = {}): CheckAction {
  return {
    answer: {
      status: { code: grpc.status.OK },
      ok_response: { headers: set.map(([k, v]) => stringHeader(k, v, { append: false })), headers_to_remove: remove, ...extra },
    },
  };
}

/** The router's answer: x-trino-cluster in `value`, overwriting. */
export function allowTo(cluster: string): CheckAction {
  return allow([['x-trino-cluster', cluster]]);
}

export function deny(denied: object, code: grpc.status = grpc.status.PERMISSION_DENIED): CheckAction {
  return { answer: { status: { code }, denied_response: denied } };
}
