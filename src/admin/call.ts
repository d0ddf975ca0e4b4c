/**
 * Turns plain request -> response functions into gRPC unary handlers: checks the bearer
 * token, maps typed errors to status codes, reports every call to `onCall` (metrics) and
 * writes an audit line for every change.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { describeAuthor, type ChangeAuthor, type ChangeOrigin } from '../routing/config-history.js';
import { isReadMethod, readOnlyRefusal, type Authenticator, type TokenKind } from './auth.js';
import { toGrpcFailure } from './errors.js';

/**
 * One admin call as the handlers see it: the method and who called (recorded with every change
 * it makes), and where a change notes what it changed for the call's log line.
 */
export interface AdminCall extends ChangeOrigin {
  noteChange(revision: number, summary: string): void;
}

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
  readonly [K in keyof S]: (request: RequestOf<S[K]>, call: AdminCall) => ResponseOf<S[K]> | Promise<ResponseOf<S[K]>>;
};

/** `/trino_envoy_router.admin.v1.BackendService/DrainBackend` -> `BackendService/DrainBackend`. */
export function shortMethod(path: string): string {
  const slash = path.lastIndexOf('/');
  const service = path.slice(1, slash);
  return `${service.slice(service.lastIndexOf('.') + 1)}/${path.slice(slash + 1)}`;
}

/** The caller: which token, the client certificate's subject (mutual TLS), the peer address. */
export function authorOf(call: grpc.ServerUnaryCall<unknown, unknown>, token: TokenKind): ChangeAuthor {
  let subject: string | undefined;
  try {
    const certificate = call.getAuthContext()?.sslPeerCertificate;
    const fields = certificate?.subject as Record<string, string | string[]> | undefined;
    if (fields !== undefined && Object.keys(fields).length > 0) {
      subject = Object.entries(fields).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`).join(',');
    }
  } catch {
    // A transport without an auth context (plaintext) has no certificate.
  }
  return { token, ...(subject === undefined ? {} : { certificateSubject: subject }), peer: call.getPeer() };
}

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
  handler: (request: unknown, call: AdminCall) => unknown,
): grpc.handleUnaryCall<unknown, unknown> {
  // Reads (Get, List, Explain, Export) are logged at debug; everything else is a change.
  const write = !isReadMethod(path);
  const method = shortMethod(path);
  return (call, callback) => {
    const started = performance.now();
    const changes: { revision: number; summary: string }[] = [];
    let author: ChangeAuthor | undefined;
    const finish = (code: grpc.status, details?: string): void => {
      const entry = {
        method: path, code: grpc.status[code], peer: call.getPeer(), ms: Math.round(performance.now() - started),
        ...(write && author !== undefined ? { who: describeAuthor(author) } : {}),
        ...(changes.length > 0 ? { revision: changes[changes.length - 1]?.revision, change: changes.map((c) => c.summary).join('; ') } : {}),
      };
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
    author = authorOf(call, auth.token);
    const adminCall: AdminCall = { method, author, noteChange: (revision, summary) => changes.push({ revision, summary }) };
    const fail = (error: unknown): void => {
      const failure = toGrpcFailure(error);
      if (failure.unexpected) context.logger.error({ err: error, method: path }, 'admin call failed unexpectedly');
      finish(failure.code, failure.details);
      callback({ code: failure.code, details: failure.details });
    };
    let result: unknown;
    try {
      result = handler(call.request, adminCall);
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
