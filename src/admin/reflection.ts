/**
 * Server reflection for the admin port, so `grpcurl <host:port> list` and `describe` work
 * without a local copy of the protos. Reflection needs descriptors, which ts-proto does not
 * emit; they are loaded from the same .proto files the code is generated from (proto/ ships
 * with the package) and from grpc-health-check's own health.proto.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type * as grpc from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { RouterError } from '../errors.js';

export const ADMIN_PROTO = 'trino_envoy_router/admin/v1/admin.proto';
const HEALTH_PROTO = 'health/v1/health.proto';

/** The repository's (or installed package's) proto/ folder, found upwards from this module. */
export function findProtoRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, ADMIN_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new RouterError('admin_proto_missing', `cannot find proto/${ADMIN_PROTO} above ${start}; the package is incomplete`, { start });
    }
    dir = parent;
  }
}

export function addReflection(server: Pick<grpc.Server, 'addService'>): void {
  // health.proto lives at <root>/health/v1/health.proto inside grpc-health-check.
  const healthRoot = resolve(dirname(healthProtoPath), '../..');
  const definitions = loadSync([ADMIN_PROTO, HEALTH_PROTO], {
    includeDirs: [findProtoRoot(), healthRoot],
    keepCase: true,
  });
  new ReflectionService(definitions).addToServer(server);
}
