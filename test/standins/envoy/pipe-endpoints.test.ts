/** Cluster endpoints on a Unix domain socket (an Address `pipe`), as envoy/envoy-sidecar.yaml uses. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvoyConfigError, parseEnvoyConfig } from './index.js';

const REPO_ROOT = join(import.meta.dirname, '../../..');
const SIDECAR_YAML = readFileSync(join(REPO_ROOT, 'envoy/envoy-sidecar.yaml'), 'utf8');
const ENVOY_YAML = readFileSync(join(REPO_ROOT, 'envoy/envoy.yaml'), 'utf8');

describe('pipe endpoints', () => {
  it('reads a pipe address as a Unix socket endpoint (envoy/envoy-sidecar.yaml), with the same filters as envoy.yaml', () => {
    const sidecar = parseEnvoyConfig(SIDECAR_YAML);
    expect(sidecar.clusters.get('trino_router')?.endpoints).toEqual([{ pipe: '/run/trino-router/sock' }]);
    expect(sidecar.clusters.get('trino_router')?.http2).toBe(true);
    const shared = parseEnvoyConfig(ENVOY_YAML);
    expect(sidecar.listener).toEqual(shared.listener);
    expect(sidecar.clusters.get('trino-a')).toEqual(shared.clusters.get('trino-a'));
  });

  it('refuses a pipe address in a DNS cluster (Envoy resolves socket_address names only)', () => {
    const dns = SIDECAR_YAML.replace(/name: trino_router\n(\s+)type: STATIC/, 'name: trino_router\n$1type: STRICT_DNS');
    expect(dns).not.toBe(SIDECAR_YAML);
    expect(() => parseEnvoyConfig(dns)).toThrow(EnvoyConfigError);
    expect(() => parseEnvoyConfig(dns)).toThrow(/a pipe address needs type STATIC/);
  });

  it('refuses a pipe with fields Envoy does not define', () => {
    expect(() => parseEnvoyConfig(SIDECAR_YAML.replace('pipe: { path: /run/trino-router/sock }', 'pipe: { path: /run/trino-router/sock, owner: envoy }'))).toThrow(EnvoyConfigError);
  });
});
