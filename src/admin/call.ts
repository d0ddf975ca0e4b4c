/**
 * Turns plain request -> response functions into gRPC unary handlers: checks the bearer
 * token, maps typed errors to status codes, reports every call to `onCall` (metrics) and
 * writes an audit line for every change.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isReadMethod, readOnlyRefusal, type Authenticator } from './auth.js';
import { toGrpcFailure } from './errors.js';

export interface CallContext {
  readonly authenticate: Authenticator;
  readonly logger: Logger;
  /** Called once per call with the full method path and the status code it ended with. */
  readonly onCall?: ((method: string, code: grpc.status) => void) | undefined;
}

interface UnaryMethod {
  readonly path: string;
  readonly requestStream: false;
  readonly responseStream: false;
}

type RequestOf<M> = M extends { requestDeserialize: (value: Buffer) => infer R } ? R : never;
type ResponseOf<M> = M extends { responseSerialize: (value: infer R) => Buffer } ? R : never;

export type Handlers<S> = {
  readonly [K in keyof S]: (request: RequestOf<S[K]>) => ResponseOf<S[K]> | Promise<ResponseOf<S[K]>>;
};

export function implement<S extends Record<string, UnaryMethod>>(
  context: CallContext,
  service: S,
  handlers: Handlers<S>,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const key of Object.keys(service) as (keyof S & string)[]) {
    const method = service[key] as UnaryMethod;
    implementation[key] = unary(context, method.path, handlers[key] as (request: unknown) => unknown);
  }
  return implementation;
}

function unary(
  context: CallContext,
  path: string,
  handler: (request: unknown) => unknown,
): grpc.handleUnaryCall<unknown, unknown> {
  // Reads (Get, List, Explain, Export) are logged at debug; everything else is a change.
  const write = !isReadMethod(path);
  return (call, callback) => {
    const started = performance.now();
    const finish = (code: grpc.status, details?: string): void => {
      const entry = { method: path, code: grpc.status[code], peer: call.getPeer(), ms: Math.round(performance.now() - started) };
      if (code === grpc.status.OK) context.logger[write ? 'info' : 'debug'](entry, 'admin call');
      else context.logger.info({ ...entry, details }, 'admin call refused');
      try {
        context.onCall?.(path, code);
      } catch (error) {
        // A broken metrics hook must never fail the call it counts.
        context.logger.error({ err: error, method: path }, 'admin onCall hook failed');
      }
    };
    const auth = context.authenticate(call.metadata);
    if (!auth.ok) {
      const details = `the admin API needs a valid bearer token: ${auth.reason}`;
      finish(grpc.status.UNAUTHENTICATED, auth.reason);
      callback({ code: grpc.status.UNAUTHENTICATED, details });
      return;
    }
    if (auth.access === 'read') {
      const refusal = readOnlyRefusal(path, call.request);
      if (refusal !== undefined) {
        finish(grpc.status.PERMISSION_DENIED, refusal);
        callback({ code: grpc.status.PERMISSION_DENIED, details: refusal });
        return;
      }
    }
    const fail = (error: unknown): void => {
      const failure = toGrpcFailure(error);
      if (failure.unexpected) context.logger.error({ err: error, method: path }, 'admin call failed unexpectedly');
      finish(failure.code, failure.details);
      callback({ code: failure.code, details: failure.details });
    };
    let result: unknown;
    try {
      result = handler(call.request);
    } catch (error) {
      fail(error);
      return;
    }
    Promise.resolve(result).then(
      (response) => {
        finish(grpc.status.OK);
        callback(null, response);
      },
      fail,
    );
  };
}
