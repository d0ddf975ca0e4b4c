/**
 * The xDS resource builders (pure): the encoder refuses what Envoy would not understand
 * instead of dropping it, versions name content (order-independent, changed by any cluster
 * field), and backend URLs become Envoy addresses.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { EnvoyEncodeError, packAny, unpackAny } from '../../../src/xds/envoy-messages.js';
import { backendAddress, buildResourceSet, CLUSTER_TYPE_URL, LISTENER_TYPE_URL, PackedResources } from '../../../src/xds/resources.js';
import type { Backend } from '../../../src/routing/model.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const settings = parseConfig('routing: { defaultGroup: g }\nbackends: [{ name: x, url: "http://x" }]\ngroups: [{ name: g, backends: [x] }]\n', 'test.yaml', { env: {} }).xds;

function backend(name: string, url: string): Backend {
  return { name, url, enabled: true, prefixRouting: false, schedules: [] };
}

describe('packAny', () => {
  it.each([
    [{ name: 'x', conect_timeout: { seconds: 1 } }, /conect_timeout: unknown field of envoy.config.cluster.v3.Cluster/],
    [{ name: 'x', type: 'LOGICAL-DNS' }, /type: "LOGICAL-DNS" is not a value of envoy.config.cluster.v3.Cluster.DiscoveryType/],
    [{ name: 'x', transport_socket: { name: 't', typed_config: { '@type': 'type.googleapis.com/envoy.Nope', sni: 'h' } } }, /transport_socket.typed_config: no message type envoy.Nope/],
    [{ name: 'x', transport_socket: { name: 't', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', snii: 'h' } } }, /transport_socket.typed_config.snii: unknown field/],
    [{ name: 'x', load_assignment: { endpoints: {} } }, /load_assignment.endpoints: expected a list/],
    [{ name: 7 }, /name: expected a string/],
  ])('refuses %j', (object, message) => {
    expect(() => packAny(CLUSTER, object)).toThrow(EnvoyEncodeError);
    expect(() => packAny(CLUSTER, object)).toThrow(message);
  });

  it('round-trips what it accepts', () => {
    const object = { name: 'x', type: 'LOGICAL_DNS', connect_timeout: { seconds: 3 } };
    expect(unpackAny(packAny(CLUSTER, object))).toEqual(object);
  });
});

describe('buildResourceSet', () => {
  const a = backend('trino-a', 'http://trino-a:8080');
  const b = backend('trino-b', 'https://trino-b.example');

  it('gives the same version for the same clusters in any order, another when any cluster field changes', () => {
    const one = buildResourceSet([a, b], settings).get(CLUSTER_TYPE_URL);
    const two = buildResourceSet([b, a], settings).get(CLUSTER_TYPE_URL);
    expect(one?.version).toBe(two?.version);
    expect([...(one?.resources.keys() ?? [])]).toEqual(['trino-a', 'trino-b']);
    expect(buildResourceSet([a, { ...b, url: 'https://trino-b.example:8443' }], settings).get(CLUSTER_TYPE_URL)?.version).not.toBe(one?.version);
    expect(buildResourceSet([a, b], { ...settings, connectTimeoutMs: 2500 }).get(CLUSTER_TYPE_URL)?.version).not.toBe(one?.version);
    // Switches the router reads but Envoy does not (enabled, draining) leave the version alone.
    expect(buildResourceSet([{ ...a, enabled: false, draining: true }, b], settings).get(CLUSTER_TYPE_URL)?.version).toBe(one?.version);
  });

  it('with a packer, gives exactly the fresh build and packs only clusters whose content changed', () => {
    const full = { ...settings, apiListeners: true };
    const packer = new PackedResources();
    const first = buildResourceSet([a, b], full, packer);
    expect(first).toEqual(buildResourceSet([a, b], full));
    // A routing change that leaves the backends alone: the very same packed resources.
    const again = buildResourceSet([b, a], full, packer);
    expect(again).toEqual(first);
    expect(again.get(CLUSTER_TYPE_URL)?.resources.get('trino-a')).toBe(first.get(CLUSTER_TYPE_URL)?.resources.get('trino-a'));
    // One backend moved: it alone is packed again, and the set equals a fresh build.
    const moved = { ...b, url: 'https://trino-b.example:8443' };
    const changed = buildResourceSet([a, moved], full, packer);
    expect(changed).toEqual(buildResourceSet([a, moved], full));
    expect(changed.get(CLUSTER_TYPE_URL)?.resources.get('trino-a')).toBe(first.get(CLUSTER_TYPE_URL)?.resources.get('trino-a'));
    expect(changed.get(CLUSTER_TYPE_URL)?.resources.get('trino-b')).not.toBe(first.get(CLUSTER_TYPE_URL)?.resources.get('trino-b'));
    // What the last build did not use is forgotten: the old trino-b is packed anew when it comes back.
    expect(buildResourceSet([a, b], full, packer).get(CLUSTER_TYPE_URL)?.resources.get('trino-b')).not.toBe(first.get(CLUSTER_TYPE_URL)?.resources.get('trino-b'));
    // A refused object is never remembered as packed.
    expect(() => buildResourceSet([backend('bad', 'http://[::1')], full, packer)).toThrow();
  });

  it('serves listeners only with apiListeners', () => {
    expect(buildResourceSet([a], settings).has(LISTENER_TYPE_URL)).toBe(false);
    const listeners = buildResourceSet([a], { ...settings, apiListeners: true }).get(LISTENER_TYPE_URL);
    expect(unpackAny(listeners?.resources.get('trino-a') as never)).toMatchObject({
      name: 'trino-a',
      api_listener: { api_listener: { route_config: { virtual_hosts: [{ domains: ['*'], routes: [{ route: { cluster: 'trino-a' } }] }] } } },
    });
  });
});

describe('backendAddress', () => {
  it.each([
    ['http://trino-a:8080', { host: 'trino-a', port: 8080, tls: false }],
    ['http://trino-a', { host: 'trino-a', port: 80, tls: false }],
    ['https://trino-a.example/', { host: 'trino-a.example', port: 443, tls: true }],
    ['https://[2001:db8::7]:8443', { host: '2001:db8::7', port: 8443, tls: true }],
  ])('%s', (url, expected) => {
    expect(backendAddress(url)).toEqual(expected);
  });
});
