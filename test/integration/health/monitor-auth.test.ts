/**
 * The monitor against secured Trino stand-ins: each credential kind against a coordinator that
 * requires it, wrong credentials reported as refused (not "down"), a rotated token file picked
 * up without a restart, https with the test CA and without it (a certificate reason), and the
 * secrets absent from logs, status, metrics and the config export.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { renderConfigYaml } from '../../../src/config/render.js';
import { HealthMonitor, monitorSettingsOf, type MonitorSettings } from '../../../src/health/monitor.js';
import { RouterMetrics } from '../../../src/observability/metrics.js';
import type { BackendStatus } from '../../../src/health/status.js';
import { FAST_POLL_HOLD_MS, signTestJwt, startTrinoStandin, type TrinoStandin, type TrinoStandinOptions } from '../../standins/trino/index.js';
import { captureLogs, type CapturedLogs } from '../../unit/observability/log-capture.js';
import { FakeClock } from '../../unit/health/fake-clock.js';
import { TestRouting } from '../../unit/health/monitor-fixture.js';

const TLS_DIR = resolve(import.meta.dirname, '../../fixtures/tls');
const pem = (name: string): string => readFileSync(join(TLS_DIR, name), 'utf8');
const HTTPS = { cert: pem('server.crt'), key: pem('server.key'), clientCa: pem('ca.crt') };

const PASSWORD = 'monitor-password-4f1c9e';
const JWT_KEY = 'jwt-hmac-key-for-the-tests-only-0123456789';

let dir: string;
const toClose: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'monitor-auth-it-'));
});
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
  rmSync(dir, { recursive: true, force: true });
});

interface Running {
  readonly trino: TrinoStandin;
  readonly monitor: HealthMonitor;
  readonly logs: CapturedLogs;
  readonly yaml: string;
  status(): BackendStatus;
  nextRound(): Promise<void>;
}

/** A stand-in named trino-a and a monitor over it, configured by a `monitor:` YAML block (files relative to `dir`). */
async function run(standin: TrinoStandinOptions, monitorYaml: string, env: Record<string, string> = {}): Promise<Running> {
  const trino = await startTrinoStandin({ name: 'trino-a', pollIntervalMs: FAST_POLL_HOLD_MS, ...standin });
  toClose.push(() => trino.close());
  const yaml = `
routing: { defaultGroup: g }
backends: [{ name: trino-a, url: "${trino.url}" }]
groups: [{ name: g, backends: [trino-a] }]
${monitorYaml}
`;
  const config = parseConfig(yaml, 'router.yaml', { env, baseDir: dir });
  const settings: MonitorSettings = { ...monitorSettingsOf(config.monitor!), timeoutMs: 5_000, failureThreshold: 1, successThreshold: 1 };
  const clock = new FakeClock(Date.now());
  const logs = captureLogs('debug');
  const monitor = new HealthMonitor({ routing: new TestRouting(config.routing), settings, clock, logger: logs.logger, env });
  toClose.push(() => monitor.close());
  await monitor.start();
  return {
    trino, monitor, logs, yaml: renderConfigYaml(config, { secrets: 'include' }) + renderConfigYaml(config, { secrets: 'redact' }),
    status: () => monitor.status()[0] as BackendStatus,
    async nextRound() {
      await clock.advance(settings.intervalMs);
      await monitor.idle();
    },
  };
}

const PASSWORD_COORDINATOR: TrinoStandinOptions = { tls: HTTPS, authentication: { types: ['PASSWORD'], passwords: { probe: PASSWORD } } };
const JWT_COORDINATOR: TrinoStandinOptions = { tls: HTTPS, authentication: { types: ['JWT'], jwtKey: JWT_KEY } };

describe('the monitor on a secured coordinator', () => {
  it('Basic with the password over https with the CA: healthy, the query ran as the auth user', async () => {
    const r = await run(PASSWORD_COORDINATOR, `monitor: { auth: { user: probe, passwordEnv: PW, caFile: ${join(TLS_DIR, 'ca.crt')} } }`, { PW: PASSWORD });
    expect(r.status()).toMatchObject({ health: 'healthy', lastError: null });
    expect(r.trino.queries().map((q) => q.user)).toContain('probe');
  });

  it('a wrong password is reported as refused credentials, not as down', async () => {
    const r = await run(PASSWORD_COORDINATOR, `monitor: { auth: { user: probe, passwordEnv: PW, caFile: ${join(TLS_DIR, 'ca.crt')} } }`, { PW: 'not-the-password' });
    expect(r.status().health).toBe('unhealthy');
    expect(r.status().lastError).toMatch(/^401 from trino-a: the monitor's credentials were refused \(POST \/v1\/statement; it asks for Basic\)$/);
  });

  it('no credentials: the 401 says the coordinator requires authentication and names the setting', async () => {
    const r = await run(PASSWORD_COORDINATOR, `monitor: { auth: { caFile: ${join(TLS_DIR, 'ca.crt')} } }`);
    expect(r.status().lastError).toMatch(/^401 from trino-a: the coordinator requires authentication and the monitor sent no credentials \(set monitor.auth\)/);
  });

  it('a JWT bearer token from a file; a rotated file is picked up at the next round, no restart', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${signTestJwt('some-other-key-not-trinos-0123456789', { sub: 'probe' })}\n`);
    const r = await run(JWT_COORDINATOR, `monitor: { auth: { tokenFile: token, caFile: ${join(TLS_DIR, 'ca.crt')} } }`);
    expect(r.status().lastError).toMatch(/^401 from trino-a: the monitor's credentials were refused .*it asks for Bearer/);
    writeFileSync(tokenFile, `${signTestJwt(JWT_KEY, { sub: 'probe', exp: Math.floor(Date.now() / 1000) + 3600 })}\n`);
    await r.nextRound();
    expect(r.status()).toMatchObject({ health: 'healthy', lastError: null });
    expect(r.trino.queries().some((q) => q.user === 'router-monitor' || q.user === 'trino-router-monitor')).toBe(true);
  });

  it('a client certificate (mutual TLS) against CertificateAuthenticator; without one, refused', async () => {
    const ca = join(TLS_DIR, 'ca.crt');
    const standin: TrinoStandinOptions = { tls: HTTPS, authentication: { types: ['CERTIFICATE'] } };
    const withCert = await run(standin, `monitor: { auth: { caFile: ${ca}, certFile: ${join(TLS_DIR, 'client.crt')}, keyFile: ${join(TLS_DIR, 'client.key')} } }`);
    expect(withCert.status()).toMatchObject({ health: 'healthy', lastError: null });
    const without = await run(standin, `monitor: { auth: { caFile: ${ca} } }`);
    expect(without.status().lastError).toMatch(/^401 from trino-a: the coordinator requires authentication/);
  });

  it('https without the CA fails with a certificate reason; with it, the check passes', async () => {
    const r = await run({ tls: HTTPS }, 'monitor: { auth: { user: probe } }');
    expect(r.status().health).toBe('unhealthy');
    expect(r.status().lastError).toMatch(/^GET \/v1\/info: TLS with trino-a failed on the certificate: .*certificate/);
    const trusted = await run({ tls: HTTPS }, `monitor: { auth: { caFile: ${join(TLS_DIR, 'ca.crt')} } }`);
    expect(trusted.status().health).toBe('healthy');
  });

  it('over plain http a password is refused as Trino refuses it (only the insecure authenticator runs there)', async () => {
    const r = await run({ authentication: { types: ['PASSWORD'], passwords: { probe: PASSWORD } } }, 'monitor: { auth: { user: probe, passwordEnv: PW } }', { PW: PASSWORD });
    expect(r.status().lastError).toMatch(/^401 from trino-a: the monitor's credentials were refused/);
    const closed = await run({ authentication: { types: ['PASSWORD'], allowInsecureOverHttp: false } }, 'monitor: { auth: { user: probe } }');
    expect(closed.status().lastError).toMatch(/HTTP 403 \(Error 403 Forbidden: Authentication over HTTP is not enabled\)/);
  });

  it('the secrets never appear in logs, status, metrics or the config export', async () => {
    const tokenFile = join(dir, 'token');
    const token = signTestJwt(JWT_KEY, { sub: 'probe' });
    writeFileSync(tokenFile, token);
    const good = await run(JWT_COORDINATOR, `monitor: { auth: { tokenFile: token, caFile: ${join(TLS_DIR, 'ca.crt')} } }`);
    const bad = await run(PASSWORD_COORDINATOR, `monitor: { auth: { user: probe, passwordEnv: PW, caFile: ${join(TLS_DIR, 'ca.crt')} } }`, { PW: PASSWORD.slice(1) });
    await bad.nextRound();
    const metrics = new RouterMetrics({ processMetrics: false });
    metrics.watchHealth(good.monitor);
    metrics.watchHealth(bad.monitor);
    const outputs = [
      good.logs.text(), bad.logs.text(), JSON.stringify(good.monitor.status()), JSON.stringify(bad.monitor.status()),
      JSON.stringify(await bad.monitor.history('trino-a', 10)), await metrics.text(), good.yaml, bad.yaml,
    ].join('\n');
    for (const secret of [token, PASSWORD, PASSWORD.slice(1), Buffer.from(`probe:${PASSWORD.slice(1)}`).toString('base64')]) {
      expect(outputs).not.toContain(secret);
    }
    expect(good.trino.requestLog().some((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
  });
});
