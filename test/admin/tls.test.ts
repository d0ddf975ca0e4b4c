/**
 * The admin port over TLS and mutual TLS (admin.tls): who gets through the handshake, what
 * the start refuses, and the CLI connecting with its --tls-* options.
 * Certificates: test/fixtures/tls (generate.sh; a CA, a server certificate for 127.0.0.1, a
 * client certificate of that CA and one of another CA).
 */
import * as grpc from '@grpc/grpc-js';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import { connect, type AdminClient, type ClientTls } from '../../src/cli/admin-client.js';
import { runCli } from '../cli/run-cli.js';
import { failure, ROUTING_YAML } from './support.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/tls');
const pem = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const CLIENT_TLS: ClientTls = { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') };

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A config folder holding the server's certificate, key and client CA, referenced relatively. */
function configDir(adminYaml: string, listenAdmin = '127.0.0.1:0'): string {
  const dir = mkdtempSync(join(tmpdir(), 'ter-admin-tls-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['server.crt', 'server.key', 'ca.crt']) copyFileSync(join(FIXTURES, name), join(dir, name));
  writeFileSync(join(dir, 'router.yaml'), `
listen: { extProc: "127.0.0.1:0", admin: "${listenAdmin}", metrics: null, xds: null }
dataDir: ./data
logging: { level: silent }
monitor: null
admin: ${adminYaml}
${ROUTING_YAML}
`);
  return dir;
}

async function start(dir: string): Promise<RunningRouter> {
  const router = await startRouter({ configPath: join(dir, 'router.yaml'), env: {} });
  cleanups.push(() => router.close());
  return router;
}

function client(router: RunningRouter, tls: ClientTls | undefined, token?: string): AdminClient {
  const c = connect({ server: `127.0.0.1:${router.adminPort}`, token, tls, timeoutMs: 5_000 });
  cleanups.push(() => c.close());
  return c;
}

const MUTUAL = '{ tls: { certFile: server.crt, keyFile: server.key, clientCaFile: ca.crt } }';

describe('mutual TLS on the admin port', () => {
  it('a client with a certificate the configured CA signed is served, even on a non-loopback address without a token', async () => {
    const router = await start(configDir(MUTUAL, '0.0.0.0:0'));
    const listed = await client(router, CLIENT_TLS).backends.listBackends({});
    expect(listed.backends.map((b) => b.name)).toEqual(['trino-a', 'trino-b']);
  });

  it('a change over mutual TLS is recorded with the client certificate\'s subject', async () => {
    const router = await start(configDir(MUTUAL));
    const admin = client(router, CLIENT_TLS);
    await admin.backends.drainBackend({ name: 'trino-a' });
    const [change] = (await admin.config.listConfigHistory({ limit: 1 })).changes;
    expect(change).toMatchObject({ method: 'BackendService/DrainBackend', author: { token: 'none', certificateSubject: 'CN=client,O=trino-envoy-router tests', peer: expect.stringMatching(/127\.0\.0\.1/) } });
    expect(change?.summary).toMatch(/by no token, certificate CN=/);
  });

  it('refuses clients without a certificate, with one of another CA, and plaintext clients', async () => {
    const router = await start(configDir(MUTUAL));
    const noCertificate = { ca: pem('ca.crt') };
    const stranger = { ca: pem('ca.crt'), cert: pem('stranger.crt'), key: pem('stranger.key') };
    for (const tls of [noCertificate, stranger, undefined]) {
      await failure(client(router, tls).backends.listBackends({}), grpc.status.UNAVAILABLE);
    }
    // The router still serves the certified client afterwards.
    expect((await client(router, CLIENT_TLS).groups.listGroups({})).groups).toHaveLength(2);
  });

  it('with a token as well, a certified client still needs the token', async () => {
    const token = 'a-test-admin-token-long-enough';
    const router = await start(configDir(`{ token: ${token}, tls: { certFile: server.crt, keyFile: server.key, clientCaFile: ca.crt } }`));
    await failure(client(router, CLIENT_TLS).backends.listBackends({}), grpc.status.UNAUTHENTICATED);
    expect((await client(router, CLIENT_TLS, token).backends.listBackends({})).backends).toHaveLength(2);
  });
});

describe('server-only TLS', () => {
  it('encrypts without client certificates; plaintext clients are refused', async () => {
    const router = await start(configDir('{ tls: { certFile: server.crt, keyFile: server.key } }'));
    expect((await client(router, { ca: pem('ca.crt') }).backends.listBackends({})).backends).toHaveLength(2);
    await failure(client(router, undefined).backends.listBackends({}), grpc.status.UNAVAILABLE);
  });

  it('does not make a non-loopback admin port without a token acceptable', async () => {
    const dir = configDir('{ tls: { certFile: server.crt, keyFile: server.key } }', '0.0.0.0:0');
    await expect(startRouter({ configPath: join(dir, 'router.yaml'), env: {} })).rejects.toThrow(/refusing to serve the admin API on 0\.0\.0\.0:0 without a token.*clientCaFile/);
  });
});

describe('bad TLS settings', () => {
  it('a missing certificate file stops the start with the field and path', async () => {
    const dir = configDir('{ tls: { certFile: missing.crt, keyFile: server.key, clientCaFile: ca.crt } }');
    await expect(startRouter({ configPath: join(dir, 'router.yaml'), env: {} })).rejects.toThrow(
      new RegExp(`cannot read admin\\.tls\\.certFile \\(${join(dir, 'missing.crt').replaceAll('.', '\\.')}\\): file not found`),
    );
  });

  it('a tls section without its key file is a config error naming the field', async () => {
    const dir = configDir('{ tls: { certFile: server.crt } }');
    await expect(startRouter({ configPath: join(dir, 'router.yaml'), env: {} })).rejects.toThrow(/admin\.tls\.keyFile/);
  });
});

describe('the CLI over mutual TLS', () => {
  it('connects with --tls-ca, --tls-cert and --tls-key; without a certificate it exits 3', async () => {
    const router = await start(configDir(MUTUAL));
    // By name: the server certificate names localhost and 127.0.0.1, and TLS SNI takes only names.
    const server = `localhost:${router.adminPort}`;
    const withCertificate = await runCli(['--server', server, '--tls-ca', join(FIXTURES, 'ca.crt'), '--tls-cert', join(FIXTURES, 'client.crt'), '--tls-key', join(FIXTURES, 'client.key'), 'backends', 'list', '--json']);
    expect(withCertificate.stderr).toBe('');
    expect(withCertificate.code).toBe(0);
    expect(withCertificate.stdout).toContain('trino-b');
    const without = await runCli(['--server', server, '--tls-ca', join(FIXTURES, 'ca.crt'), 'backends', 'list']);
    expect(without.code).toBe(3);
    const halfPair = await runCli(['--server', server, '--tls-cert', join(FIXTURES, 'client.crt'), 'backends', 'list']);
    expect(halfPair.code).toBe(2);
    expect(halfPair.stderr).toContain('--tls-cert and --tls-key go together');
  });
});
