/** listen.console and the console section: what the config accepts, and what the router refuses to serve. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { ConsoleExposureError, startConsoleServer } from '../../src/console/index.js';
import { issuesOf, VALID_YAML } from '../unit/config/fixtures.js';

const withListen = (listen: string, extra = ''): string => VALID_YAML.replace('listen:\n  extProc: "127.0.0.1:9001"', `listen:\n  extProc: "127.0.0.1:9001"\n${listen}`) + extra;

describe('console config', () => {
  it('is off by default, with a 60-minute idle session and no Secure cookie', () => {
    const config = parseConfig(VALID_YAML, 'router.yaml', { env: {} });
    expect(config.listen.console).toBeNull();
    expect(config.console).toEqual({ secureCookie: false, sessionIdleMinutes: 60 });
  });

  it('takes an address and the session settings', () => {
    const config = parseConfig(withListen('  console: "0.0.0.0:9080"', 'console: { secureCookie: true, sessionIdleMinutes: 15 }\n'), 'router.yaml', { env: {} });
    expect(config.listen.console).toEqual({ host: '0.0.0.0', port: 9080 });
    expect(config.console).toEqual({ secureCookie: true, sessionIdleMinutes: 15 });
  });

  it('needs listen.admin, says so on listen.console', () => {
    const issues = issuesOf(withListen('  admin: null\n  console: "127.0.0.1:9080"'));
    expect(issues.map((i) => [i.path, i.message])).toEqual([['listen.console', expect.stringMatching(/^needs listen.admin: the console calls the admin API/)]]);
  });

  it('refuses admin.tls (the console reaches the admin API over plaintext loopback)', () => {
    const issues = issuesOf(withListen('  console: "127.0.0.1:9080"', 'admin: { token: "a-token-long-enough-0123", tls: { certFile: a.crt, keyFile: a.key } }\n'));
    expect(issues.map((i) => i.path)).toEqual(['listen.console']);
    expect(issues[0]?.message).toMatch(/admin\.tls/);
  });

  it('rejects a clash with another listener and unknown console keys', () => {
    expect(issuesOf(withListen('  metrics: "127.0.0.1:9080"\n  console: "127.0.0.1:9080"')).map((i) => i.path)).toEqual(['listen.console']);
    expect(issuesOf(`${VALID_YAML}console: { secure: true }\n`)[0]?.message).toMatch(/secureCookie/);
  });
});

describe('console exposure', () => {
  it('refuses to serve beyond loopback when the admin API needs no token', async () => {
    await expect(startConsoleServer({
      address: { host: '0.0.0.0', port: 0 }, adminTarget: '127.0.0.1:1', tokenRequired: false, accessOf: () => 'full',
      secureCookie: false, sessionIdleMs: 60_000, logger: createLogger('silent'),
    })).rejects.toThrow(ConsoleExposureError);
  });
});
