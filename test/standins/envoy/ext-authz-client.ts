/**
 * The gRPC side of ext_authz: one unary `Check` call per HTTP request with the filter's timeout
 * as its deadline, over ONE shared HTTP/2 channel per endpoint; endpoints of the cluster are
 * picked round robin per call. A call is cancelled when the downstream request goes away.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcTarget, type Endpoint } from './config.js';
import { authorizationServiceDefinition, CHECK_METHOD_PATH, type CheckRequestOut, type CheckResponseIn } from './ext-authz-protos.js';

export type CheckOutcome =
  | { readonly kind: 'response'; readonly response: CheckResponseIn }
  /** The call failed (non-OK gRPC status): unreachable, deadline exceeded, server error ... */
  | { readonly kind: 'error'; readonly code: number; readonly details: string };

export class ExtAuthzChannels {
  private readonly clients = new Map<string, grpc.Client>();
  private rr = 0;
  private readonly method = authorizationServiceDefinition()['Check'];

  constructor(
    private readonly authority: string,
    private readonly initialMetadata: readonly (readonly [string, string])[],
  ) {}

  check(endpoints: readonly Endpoint[], request: CheckRequestOut, timeoutMs: number, signal: AbortSignal): Promise<CheckOutcome> {
    if (endpoints.length === 0) return Promise.resolve({ kind: 'error', code: grpc.status.UNAVAILABLE, details: 'no healthy upstream' });
    const method = this.method;
    if (method === undefined) throw new Error('Authorization.Check missing from the service definition');
    const endpoint = endpoints[this.rr++ % endpoints.length] as Endpoint;
    const metadata = new grpc.Metadata();
    for (const [k, v] of this.initialMetadata) metadata.add(k, v);
    return new Promise((resolve) => {
      const call = this.client(endpoint).makeUnaryRequest<CheckRequestOut, CheckResponseIn>(
        CHECK_METHOD_PATH,
        method.requestSerialize as (value: CheckRequestOut) => Buffer,
        method.responseDeserialize as (bytes: Buffer) => CheckResponseIn,
        request,
        metadata,
        // timeoutMs 0: no deadline (ext_authz's `timeout: 0s` since 1.38).
        timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {},
        (error, response) => {
          signal.removeEventListener('abort', onAbort);
          if (error !== null) resolve({ kind: 'error', code: error.code, details: error.details });
          else if (response === undefined) resolve({ kind: 'error', code: grpc.status.INTERNAL, details: 'empty response' });
          else resolve({ kind: 'response', response });
        },
      );
      const onAbort = (): void => call.cancel();
      if (signal.aborted) call.cancel();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private client(endpoint: Endpoint): grpc.Client {
    const target = grpcTarget(endpoint);
    let client = this.clients.get(target);
    if (client === undefined) {
      client = new grpc.Client(target, grpc.credentials.createInsecure(), {
        'grpc.default_authority': this.authority,
        'grpc.use_local_subchannel_pool': 1,
      });
      this.clients.set(target, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
