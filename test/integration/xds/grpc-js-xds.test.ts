/**
 * @grpc/grpc-js-xds, a real xDS client, against the router's ADS: with `xds.apiListeners: true`
 * the router serves, per backend, a Listener (api_listener with an inline route to the
 * backend's cluster) besides the cluster itself, which is all a proxyless gRPC client needs
 * (the LOGICAL_DNS clusters carry their address, so no RDS or EDS). The client resolves
 * `xds:///<backend>` and calls the gRPC server behind the backend's URL; a backend added
 * through the admin API becomes reachable the same way, without restarting anything.
 */
import * as grpc from '@grpc/grpc-js';
import * as grpcJsXds from '@grpc/grpc-js-xds';
import { HealthImplementation, service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXdsRouter, type XdsRouter } from './support.js';

/** A gRPC server standing for a backend: its health service knows only its own name. */
async function backendServer(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  new HealthImplementation({ [name]: 'SERVING' }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error)));
  });
  return { server, port };
}

function check(client: grpc.Client, service: string, deadlineMs = 10_000): Promise<string> {
  const method = healthService['Check'];
  if (method === undefined) throw new Error('Health.Check missing');
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize as (v: { service: string }) => Buffer,
      method.responseDeserialize as (b: Buffer) => { status: string },
      { service },
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, response) => (error === null || error === undefined ? resolve(String(response?.status)) : reject(error)),
    );
  });
}

describe('@grpc/grpc-js-xds against the router\'s ADS', () => {
  let fixture: XdsRouter;
  const servers: grpc.Server[] = [];
  const clients: grpc.Client[] = [];
  let portC = 0;

  const xdsClient = (backend: string): grpc.Client => {
    const bootstrap = {
      xds_servers: [{ server_uri: fixture.xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'grpc-js-xds-test', locality: {} },
    };
    const client = new grpc.Client(`xds:///${backend}`, grpc.credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap),
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    grpcJsXds.register();
    const a = await backendServer('trino-a');
    const b = await backendServer('trino-b');
    const c = await backendServer('trino-c');
    servers.push(a.server, b.server, c.server);
    portC = c.port;
    fixture = await startXdsRouter({
      backends: [{ name: 'trino-a', url: `http://127.0.0.1:${a.port}` }, { name: 'trino-b', url: `http://127.0.0.1:${b.port}` }],
      xds: '{ apiListeners: true }',
    });
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await fixture?.close();
    for (const server of servers) server.forceShutdown();
  });

  it('resolves each backend through LDS and CDS and reaches its server', async () => {
    expect(await check(xdsClient('trino-a'), 'trino-a')).toBe('SERVING');
    expect(await check(xdsClient('trino-b'), 'trino-b')).toBe('SERVING');
    // The client accepted what it was sent: ACKs, and not one NACK.
    expect(await fixture.metric('trino_router_xds_acks_total', { type: 'listener' })).toBeGreaterThanOrEqual(2);
    expect(await fixture.metric('trino_router_xds_acks_total', { type: 'cluster' })).toBeGreaterThanOrEqual(2);
    expect(await fixture.metric('trino_router_xds_nacks_total')).toBe(0);
  });

  it('a name the router does not serve reaches no server', async () => {
    const error = await check(xdsClient('trino-z'), 'trino-z', 1_500).then(() => undefined, (e: grpc.ServiceError) => e);
    // Unresolved (no listener): the call fails without reaching any backend's server.
    expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain(error?.code);
  });

  it('a backend added through the admin API is reachable at once', async () => {
    await fixture.admin.backends.createBackend({ backend: { name: 'trino-c', url: `http://127.0.0.1:${portC}`, prefixRouting: false, schedules: [], draining: false } });
    expect(await check(xdsClient('trino-c'), 'trino-c')).toBe('SERVING');
    expect(await fixture.metric('trino_router_xds_nacks_total')).toBe(0);
  });
});
