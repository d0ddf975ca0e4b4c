/**
 * The console's only way to act: a JSON request for one admin method, sent through the CLI's
 * admin client with the session's token, and the reply as proto3 JSON. Every admin method is
 * reachable by `<Service>/<Method>` (e.g. `BackendService/DrainBackend`), so a new page needs
 * no server code; validation, explain and status stay the admin API's.
 */
import * as admin from '../gen/trino_envoy_router/admin/v1/admin.js';
import { ADMIN_CLIENT_SERVICES, type AdminClient } from '../cli/admin-client.js';
import { isReadMethod } from '../admin/auth.js';

interface JsonCodec {
  fromJSON(object: unknown): unknown;
  toJSON(message: never): unknown;
}

export interface AdminMethod {
  /** The gRPC path, e.g. /trino_envoy_router.admin.v1.BackendService/DrainBackend. */
  readonly path: string;
  /** Changes nothing (the admin API's own rule: Get*, List*, Explain, Export*). */
  readonly read: boolean;
  /** proto3 JSON in, the admin API's reply as proto3 JSON out. */
  call(client: AdminClient, json: unknown): Promise<unknown>;
}

/** `BackendService/DrainBackend` -> the method; built once from the generated service definitions. */
export function adminMethods(): ReadonlyMap<string, AdminMethod> {
  const methods = new Map<string, AdminMethod>();
  const codecs = admin as unknown as Record<string, JsonCodec | undefined>;
  for (const [serviceKey, definition] of Object.entries(ADMIN_CLIENT_SERVICES)) {
    for (const [methodKey, method] of Object.entries(definition)) {
      const name = method.path.slice(method.path.lastIndexOf('.') + 1); // BackendService/DrainBackend
      const rpc = name.slice(name.indexOf('/') + 1);
      // ts-proto names each request and reply after its method (admin.proto's convention).
      const request = codecs[`${rpc}Request`];
      const response = codecs[`${rpc}Response`];
      if (request === undefined || response === undefined) throw new Error(`admin method ${name} has no ${rpc}Request/${rpc}Response messages`);
      methods.set(name, {
        path: method.path,
        read: isReadMethod(method.path),
        async call(client, json) {
          const service = client[serviceKey as keyof typeof ADMIN_CLIENT_SERVICES] as unknown as Record<string, (request: unknown) => Promise<unknown>>;
          const reply = await (service[methodKey] as (request: unknown) => Promise<unknown>)(request.fromJSON(json));
          return response.toJSON(reply as never);
        },
      });
    }
  }
  return methods;
}
