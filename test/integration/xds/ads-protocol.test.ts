/**
 * The router's ADS at the protocol level, with a raw client on a real router: a wildcard CDS
 * subscription gets every cluster; ACKs are quiet; admin changes are pushed with a new version
 * and nonce (and changes that leave the clusters alone are not); a NACK is counted, logged and
 * never answered with the rejected version again; stale nonces are ignored; a client that
 * reconnects naming the version it holds gets nothing until something changes, one naming an
 * older version gets the current one at once. Clusters are decoded with the official protos
 * (the Envoy stand-in's codec), independent of the router's encoder.
 */
import * as grpc from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryResponse } from '../../../src/gen/envoy/service/discovery/v3/discovery.js';
import { AggregatedDiscoveryServiceClient } from '../../../src/gen/envoy/service/discovery/v3/ads.js';
import { decodeCluster } from '../../standins/envoy/xds-client.js';
import { AdsTestStream, CDS, LDS, startXdsRouter, type XdsRouter } from './support.js';

function clusters(response: DiscoveryResponse): Record<string, unknown>[] {
  return response.resources.map((r) => decodeCluster({ type_url: r.typeUrl, value: r.value }).object);
}

function names(response: DiscoveryResponse): string[] {
  return clusters(response).map((c) => String(c.name));
}

const BACKENDS = [{ name: 'trino-a', url: 'http://127.0.0.1:18081' }, { name: 'trino-b', url: 'http://trino-b.example:8080' }];
const BLANK = { prefixRouting: false, schedules: [], draining: false };

describe('ADS protocol (state of the world)', () => {
  let fixture: XdsRouter;
  const logLines: Record<string, unknown>[] = [];
  const streams: AdsTestStream[] = [];
  const open = (): AdsTestStream => {
    const stream = AdsTestStream.open(fixture.xdsAddress);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    fixture = await startXdsRouter({ backends: BACKENDS, logger: pino({ level: 'info' }, sink) });
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('a wildcard CDS subscription gets every backend as a cluster, with a version and a nonce', async () => {
    const stream = open();
    stream.send({ node: { id: 'envoy-1', cluster: 'gw', metadata: undefined, dynamicParameters: {}, userAgentName: 'envoy', extensions: [], clientFeatures: [], listeningAddresses: [] } as never });
    const first = await stream.next();
    expect(first.typeUrl).toBe(CDS);
    expect(first.versionInfo).toMatch(/^[0-9a-f]{16}$/);
    expect(first.nonce).not.toBe('');
    expect(first.controlPlane?.identifier).toBe('trino-envoy-router');
    expect(names(first)).toEqual(['trino-a', 'trino-b']);
    const [a, b] = clusters(first);
    expect(a).toEqual({
      name: 'trino-a',
      type: 'LOGICAL_DNS',
      dns_lookup_family: 'V4_PREFERRED',
      connect_timeout: { seconds: 2 },
      lb_policy: 'ROUND_ROBIN',
      circuit_breakers: { thresholds: [{ max_connections: { value: 10000 }, max_pending_requests: { value: 10000 }, max_requests: { value: 10000 }, max_retries: { value: 3 } }] },
      load_assignment: { cluster_name: 'trino-a', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 18081 } } } }] }] },
    });
    expect(b).toMatchObject({ name: 'trino-b', load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'trino-b.example', port_value: 8080 } } } }] }] } });
    expect(logLines.some((l) => l.msg === 'xDS stream opened' && l.nodeId === 'envoy-1' && l.nodeCluster === 'gw')).toBe(true);
  });

  it('an ACK is answered by nothing; an admin change is pushed with a new version and nonce; a change that leaves the clusters alone is not', async () => {
    const stream = open();
    stream.send({});
    const first = await stream.next();
    const acksBefore = await fixture.metric('trino_router_xds_acks_total', { type: 'cluster' });
    stream.send({ versionInfo: first.versionInfo, responseNonce: first.nonce });
    expect(await stream.silentFor(300)).toBe(true);
    expect(await fixture.metric('trino_router_xds_acks_total', { type: 'cluster' })).toBe(acksBefore + 1);

    await fixture.admin.backends.createBackend({ backend: { name: 'trino-c', url: 'https://trino-c.example:8443', ...BLANK } });
    const pushed = await stream.next();
    expect(pushed.versionInfo).not.toBe(first.versionInfo);
    expect(pushed.nonce).not.toBe(first.nonce);
    expect(names(pushed)).toEqual(['trino-a', 'trino-b', 'trino-c']);
    // https: TLS to the backend with SNI, the certificate checked against the CA bundle and the host name.
    expect(clusters(pushed)[2]).toMatchObject({
      load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'trino-c.example', port_value: 8443 } } } }] }] },
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'trino-c.example',
          common_tls_context: {
            validation_context: {
              trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' },
              match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'trino-c.example' } }],
            },
          },
        },
      },
    });
    stream.send({ versionInfo: pushed.versionInfo, responseNonce: pushed.nonce });

    // Groups and rules do not change a cluster: same version, nothing pushed.
    await fixture.admin.groups.createGroup({ group: { name: 'only-c', strategy: '', members: [{ backend: 'trino-c' }], isDefault: false } });
    expect(await stream.silentFor(300)).toBe(true);

    // Disabling keeps the cluster (follow-ups of running queries still need it).
    await fixture.admin.backends.disableBackend({ name: 'trino-c' });
    expect(await stream.silentFor(300)).toBe(true);

    await fixture.admin.groups.deleteGroup({ name: 'only-c' });
    await fixture.admin.backends.deleteBackend({ name: 'trino-c' });
    const removed = await stream.next();
    expect(names(removed)).toEqual(['trino-a', 'trino-b']);
    expect(removed.versionInfo).toBe(first.versionInfo);
  });

  it('a NACK is logged and counted; the rejected version is not resent, the next one is', async () => {
    const stream = open();
    stream.send({});
    const good = await stream.next();
    stream.send({ versionInfo: good.versionInfo, responseNonce: good.nonce });
    await fixture.admin.backends.createBackend({ backend: { name: 'trino-d', url: 'http://trino-d:8080', ...BLANK } });
    const bad = await stream.next();
    const nacksBefore = await fixture.metric('trino_router_xds_nacks_total', { type: 'cluster' });
    stream.send({ versionInfo: good.versionInfo, responseNonce: bad.nonce, errorDetail: { code: 13, message: 'cluster trino-d: rejected for the test', details: [] } });
    expect(await stream.silentFor(300)).toBe(true);
    expect(await fixture.metric('trino_router_xds_nacks_total', { type: 'cluster' })).toBe(nacksBefore + 1);
    expect(logLines).toContainEqual(expect.objectContaining({
      level: 40, msg: 'xDS resources rejected (NACK); the client keeps its previous version',
      type: 'cluster', rejectedVersion: bad.versionInfo, keptVersion: good.versionInfo, error: 'cluster trino-d: rejected for the test',
    }));

    await fixture.admin.backends.deleteBackend({ name: 'trino-d' });
    const next = await stream.next();
    expect(next.versionInfo).not.toBe(bad.versionInfo);
    expect(names(next)).toEqual(['trino-a', 'trino-b']);
  });

  it('a request echoing a stale nonce is ignored', async () => {
    const stream = open();
    stream.send({});
    const first = await stream.next();
    stream.send({ versionInfo: first.versionInfo, responseNonce: first.nonce });
    await fixture.admin.backends.createBackend({ backend: { name: 'trino-e', url: 'http://trino-e:8080', ...BLANK } });
    const second = await stream.next();
    // An old nonce, even one carrying a NACK, is not about the latest response: ignored.
    const nacks = await fixture.metric('trino_router_xds_nacks_total');
    stream.send({ versionInfo: first.versionInfo, responseNonce: first.nonce, errorDetail: { code: 13, message: 'late', details: [] } });
    expect(await stream.silentFor(300)).toBe(true);
    expect(await fixture.metric('trino_router_xds_nacks_total')).toBe(nacks);
    stream.send({ versionInfo: second.versionInfo, responseNonce: second.nonce });
    await fixture.admin.backends.deleteBackend({ name: 'trino-e' });
    expect(names(await stream.next())).toEqual(['trino-a', 'trino-b']);
  });

  it('reconnecting with the version held gets nothing until a change; with an older version, the current one at once', async () => {
    const first = open();
    first.send({});
    const held = await first.next();
    first.send({ versionInfo: held.versionInfo, responseNonce: held.nonce });
    first.close();

    const resumed = open();
    resumed.send({ versionInfo: held.versionInfo });
    expect(await resumed.silentFor(300)).toBe(true);
    await fixture.admin.backends.createBackend({ backend: { name: 'trino-f', url: 'http://trino-f:8080', ...BLANK } });
    const change = await resumed.next();
    expect(names(change)).toEqual(['trino-a', 'trino-b', 'trino-f']);

    const behind = open();
    behind.send({ versionInfo: held.versionInfo });
    const caughtUp = await behind.next();
    expect(caughtUp.versionInfo).toBe(change.versionInfo);
    expect(names(caughtUp)).toEqual(['trino-a', 'trino-b', 'trino-f']);
    await fixture.admin.backends.deleteBackend({ name: 'trino-f' });
  });

  it('named subscriptions get just the named resources; a type the router does not serve gets no answer', async () => {
    const stream = open();
    stream.send({ resourceNames: ['trino-b', 'trino-z'] });
    expect(names(await stream.next())).toEqual(['trino-b']);
    stream.send({ typeUrl: LDS, resourceNames: ['trino-b'] });
    expect(await stream.silentFor(300)).toBe(true);
  });

  it('streams with several clients all get every change', async () => {
    const one = open();
    const two = open();
    for (const s of [one, two]) s.send({});
    const [r1, r2] = [await one.next(), await two.next()];
    one.send({ versionInfo: r1.versionInfo, responseNonce: r1.nonce });
    two.send({ versionInfo: r2.versionInfo, responseNonce: r2.nonce });
    await fixture.admin.backends.createBackend({ backend: { name: 'trino-g', url: 'http://trino-g:8080', ...BLANK } });
    expect(names(await one.next())).toContain('trino-g');
    expect(names(await two.next())).toContain('trino-g');
    expect(await fixture.metric('trino_router_xds_streams_active')).toBeGreaterThanOrEqual(2);
    await fixture.admin.backends.deleteBackend({ name: 'trino-g' });
  });

  it('refuses a request without a type_url (INVALID_ARGUMENT) and the delta protocol (UNIMPLEMENTED)', async () => {
    const stream = open();
    stream.send({ typeUrl: '' });
    expect((await stream.ended()).code).toBe(grpc.status.INVALID_ARGUMENT);

    const client = new AggregatedDiscoveryServiceClient(fixture.xdsAddress, grpc.credentials.createInsecure());
    const delta = client.deltaAggregatedResources();
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      delta.on('status', resolve);
      delta.on('error', () => undefined);
      delta.write({ typeUrl: CDS, resourceNamesSubscribe: ['*'], resourceNamesUnsubscribe: [], resourceLocatorsSubscribe: [], resourceLocatorsUnsubscribe: [], initialResourceVersions: {}, responseNonce: '' });
    });
    expect(status.code).toBe(grpc.status.UNIMPLEMENTED);
    client.close();
  });
});

describe('ADS server lifecycle and settings', () => {
  it('serves on its own port with listen.xds, builds clusters from the xds settings, and ends its streams when the router closes', async () => {
    const fixture = await startXdsRouter({
      backends: [{ name: 'trino-a', url: 'https://10.0.0.7' }],
      // Written unlike listen.extProc (127.0.0.1:0): a server of its own.
      listenXds: '"127.0.0.2:0"',
      xds: '{ connectTimeoutMs: 750, circuitBreakers: { maxRequests: 20000 }, healthCheck: { intervalSeconds: 5 }, tls: { caFile: /etc/pki/ca.pem } }',
    });
    let closed = false;
    try {
      expect(fixture.router.xdsPort).not.toBe(fixture.router.extProcPort);
      const stream = AdsTestStream.open(fixture.xdsAddress);
      stream.send({});
      const [cluster] = clusters(await stream.next());
      expect(cluster).toMatchObject({
        connect_timeout: { nanos: 750_000_000 },
        circuit_breakers: { thresholds: [{ max_requests: { value: 20000 }, max_connections: { value: 10000 } }] },
        load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.7', port_value: 443 } } } }] }] },
        health_checks: [{ interval: { seconds: 5 }, timeout: { seconds: 2 }, unhealthy_threshold: { value: 2 }, healthy_threshold: { value: 2 }, http_health_check: { path: '/v1/info', host: '10.0.0.7' } }],
        transport_socket: { typed_config: { common_tls_context: { validation_context: { trusted_ca: { filename: '/etc/pki/ca.pem' }, match_typed_subject_alt_names: [{ san_type: 'IP_ADDRESS', matcher: { exact: '10.0.0.7' } }] } } } },
      });
      // An IP address is no server name: no SNI.
      expect((cluster?.transport_socket as { typed_config: Record<string, unknown> }).typed_config.sni).toBeUndefined();

      const started = Date.now();
      await fixture.close();
      closed = true;
      expect((await stream.ended()).code).toBe(grpc.status.OK);
      // The open stream did not hold the shutdown for the servers' 5 s grace.
      expect(Date.now() - started).toBeLessThan(3_000);
      stream.close();
    } finally {
      if (!closed) await fixture.close();
    }
  });

  it('listen.xds: null serves no ADS', async () => {
    const fixture = await startXdsRouter({ backends: BACKENDS, listenXds: 'null' });
    try {
      expect(fixture.router.xdsPort).toBeUndefined();
      const stream = AdsTestStream.open(`127.0.0.1:${fixture.router.extProcPort}`);
      stream.send({});
      expect((await stream.ended()).code).toBe(grpc.status.UNIMPLEMENTED);
      stream.close();
    } finally {
      await fixture.close();
    }
  });
});
