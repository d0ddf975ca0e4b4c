#!/usr/bin/env node
// Container health check: asks grpc.health.v1.Health/Check (service "", the router as a whole)
// on the admin port and exits 0 only for SERVING. Used by the Dockerfile's HEALTHCHECK (and so
// by docker compose's `condition: service_healthy`); Kubernetes uses its native gRPC probe.
//
//   TRINO_ROUTER_HEALTH_ADDRESS  host:port of the admin server (default 127.0.0.1:9002)
//   TRINO_ROUTER_HEALTH_TIMEOUT_MS  deadline of the call (default 2000)
//
// The messages are encoded by hand to keep this free of .proto loading: HealthCheckRequest{}
// is empty, HealthCheckResponse is field 1 (varint) = ServingStatus, SERVING = 1.
import * as grpc from '@grpc/grpc-js';

const address = process.env.TRINO_ROUTER_HEALTH_ADDRESS || '127.0.0.1:9002';
const timeoutMs = Number(process.env.TRINO_ROUTER_HEALTH_TIMEOUT_MS || 2000);
const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** Reads HealthCheckResponse.status; absent (empty message) means UNKNOWN (0). */
function decodeStatus(bytes) {
  let status = 0;
  for (let i = 0; i < bytes.length;) {
    const tag = bytes[i++];
    if (tag !== 0x08) throw new Error(`unexpected field tag ${tag} in HealthCheckResponse`);
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[i++];
      if (byte === undefined) throw new Error('truncated HealthCheckResponse');
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    status = value;
  }
  return status;
}

const client = new grpc.Client(address, grpc.credentials.createInsecure());
client.makeUnaryRequest(
  '/grpc.health.v1.Health/Check',
  () => Buffer.alloc(0),
  (bytes) => decodeStatus(bytes),
  {},
  new grpc.Metadata(),
  { deadline: Date.now() + timeoutMs },
  (error, status) => {
    client.close();
    if (error) {
      process.stderr.write(`health check of ${address} failed: ${error.message}\n`);
      process.exit(1);
    }
    const name = STATUS[status] ?? String(status);
    if (status !== 1) {
      process.stderr.write(`router at ${address} is ${name}\n`);
      process.exit(1);
    }
    process.stdout.write(`router at ${address} is ${name}\n`);
    process.exit(0);
  },
);
