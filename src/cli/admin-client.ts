/**
 * The CLI's connection to the admin API: one client per service on a shared address, every
 * call with the bearer token (when given) and a deadline, as promises.
 */
import * as grpc from '@grpc/grpc-js';
import {
  BackendServiceService,
  ConfigServiceService,
  ExplainServiceService,
  GroupServiceService,
  QueryServiceService,
  RuleServiceService,
  StatusServiceService,
} from '../gen/trino_envoy_router/admin/v1/admin.js';

/** PEM contents for a TLS connection; absent parts use the system's roots / no client certificate. */
export interface ClientTls {
  readonly ca?: Buffer | undefined;
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
}

export interface ConnectionOptions {
  /** host:port of the admin API. */
  readonly server: string;
  readonly token: string | undefined;
  /** TLS (and a client certificate for mutual TLS); undefined: plaintext. */
  readonly tls?: ClientTls | undefined;
  /** Deadline of each call. */
  readonly timeoutMs: number;
}

interface UnaryDefinition {
  readonly path: string;
  readonly requestSerialize: (value: never) => Buffer;
  readonly responseDeserialize: (value: Buffer) => unknown;
}

type RequestOf<M> = M extends { requestSerialize: (value: infer R) => Buffer } ? R : never;
type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer R } ? R : never;

/** A service's methods as `request -> Promise<response>`. */
type Promised<S> = { readonly [K in keyof S]: (request: RequestOf<S[K]>) => Promise<ResponseOf<S[K]>> };

/** The admin services a client reaches, by the key it reaches each under. */
export const ADMIN_CLIENT_SERVICES = {
  backends: BackendServiceService,
  groups: GroupServiceService,
  rules: RuleServiceService,
  explain: ExplainServiceService,
  status: StatusServiceService,
  queries: QueryServiceService,
  config: ConfigServiceService,
} as const;

export type AdminClient = {
  readonly [K in keyof typeof ADMIN_CLIENT_SERVICES]: Promised<(typeof ADMIN_CLIENT_SERVICES)[K]>;
} & { close(): void };

export function connect(options: ConnectionOptions): AdminClient {
  const open: grpc.Client[] = [];
  const metadata = (): grpc.Metadata => {
    const md = new grpc.Metadata();
    if (options.token !== undefined) md.set('authorization', `Bearer ${options.token}`);
    return md;
  };
  let channel: grpc.Client | undefined;
  /** One connection, opened on the first call. */
  const client = (): grpc.Client => {
    if (channel === undefined) {
      const tls = options.tls;
      const credentials = tls === undefined
        ? grpc.credentials.createInsecure()
        : grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
      channel = new grpc.Client(options.server, credentials);
      open.push(channel);
    }
    return channel;
  };
  const service = <S extends Record<string, UnaryDefinition>>(definition: S): Promised<S> => {
    const methods: Record<string, (request: unknown) => Promise<unknown>> = {};
    for (const [name, method] of Object.entries(definition)) {
      const serialize = method.requestSerialize as (value: unknown) => Buffer;
      methods[name] = (request) => new Promise((resolve, reject) => {
        client().makeUnaryRequest(
          method.path,
          serialize,
          method.responseDeserialize,
          request,
          metadata(),
          { deadline: Date.now() + options.timeoutMs },
          (error, response) => {
            if (error !== null) reject(error);
            else resolve(response);
          },
        );
      });
    }
    return methods as Promised<S>;
  };
  const services = Object.fromEntries(Object.entries(ADMIN_CLIENT_SERVICES).map(([key, definition]) => [key, service(definition)]));
  return {
    ...(services as Omit<AdminClient, 'close'>),
    close() {
      for (const client of open) client.close();
    },
  };
}
