/**
 * The monitor's credentials: `monitor.auth` and `monitor.backends.<name>.auth` in the config
 * file (validation names the field), what a round presents per backend, token files re-read
 * when they change, and exports that hold no secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { renderConfigYaml } from '../../../src/config/render.js';
import { MonitorCredentials } from '../../../src/health/credentials.js';
import { monitorSettingsOf } from '../../../src/health/monitor.js';

const BASE = `
routing: { defaultGroup: g }
backends:
  - { name: a, url: "https://a:8443" }
  - { name: b, url: "https://b:8443" }
groups:
  - { name: g, backends: [a, b] }
`;

const PASSWORD = 'pa55-word-never-shown';
const TOKEN = 'token-value-never-shown';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'monitor-auth-'));
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
  writeFileSync(join(dir, 'client.crt'), 'CERT PEM');
  writeFileSync(join(dir, 'client.key'), 'KEY PEM');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = { MONITOR_PASSWORD: PASSWORD };
const parse = (extra: string) => parseConfig(`${BASE}${extra}`, 'router.yaml', { env, baseDir: dir });
const problems = (extra: string): string => {
  try {
    parse(extra);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('monitor.auth in the config file', () => {
  it('takes a default and per-backend auth; relative files resolve against the config folder', () => {
    const config = parse(`
monitor:
  auth: { user: probe, passwordEnv: MONITOR_PASSWORD, caFile: ca.crt }
  backends:
    b: { auth: { tokenFile: token, caFile: ca.crt, certFile: client.crt, keyFile: client.key } }
`);
    expect(config.monitor?.auth).toMatchObject({ user: 'probe', passwordEnv: 'MONITOR_PASSWORD', caFile: join(dir, 'ca.crt'), tokenFile: null });
    expect(config.monitor?.backends.b?.auth).toMatchObject({ tokenFile: join(dir, 'token'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') });
  });

  it('refuses what cannot work, naming the field', () => {
    expect(problems('monitor: { auth: { certFile: client.crt } }')).toMatch(/monitor\.auth\.keyFile: a client certificate \(certFile\) needs its key/);
    expect(problems('monitor: { auth: { keyFile: client.key } }')).toMatch(/monitor\.auth\.certFile: a client key \(keyFile\) needs its certificate/);
    expect(problems('monitor: { auth: { passwordFile: missing.txt } }')).toMatch(/monitor\.auth\.passwordFile: file not found: .*missing\.txt/);
    expect(problems('monitor: { backends: { b: { auth: { caFile: nope.crt } } } }')).toMatch(/monitor\.backends\.b\.auth\.caFile: file not found/);
    expect(problems('monitor: { auth: { passwordEnv: MONITOR_PASSWORD, tokenFile: token } }')).toMatch(/monitor\.auth\.tokenFile: give a password \(Basic\) or a token \(Bearer\), not both/);
    expect(problems('monitor: { auth: { passwordEnv: MONITOR_PASSWORD, passwordFile: token } }')).toMatch(/monitor\.auth\.passwordFile: give either passwordEnv or passwordFile/);
    expect(problems('monitor: { auth: { tokenEnv: UNSET_VARIABLE } }')).toMatch(/monitor\.auth\.tokenEnv: environment variable UNSET_VARIABLE is not set/);
    expect(problems('monitor: { backends: { c: { auth: { user: x } } } }')).toMatch(/monitor\.backends\.c: no backend named "c"/);
    expect(problems('monitor: { auth: { password: hunter2hunter2 } }')).toMatch(/monitor\.auth\.password: unknown key/);
  });

  it('an export writes variable names and file paths, never a secret, and loads back the same', () => {
    const config = parse(`
monitor:
  auth: { passwordEnv: MONITOR_PASSWORD }
  backends: { b: { auth: { tokenFile: token } } }
`);
    for (const secrets of ['include', 'redact'] as const) {
      const text = renderConfigYaml(config, { secrets });
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(TOKEN);
      expect(text).toContain('MONITOR_PASSWORD');
      expect(parseConfig(text, 'export.yaml', { env, baseDir: dir })).toEqual(config);
    }
  });
});

describe('what a round presents', () => {
  const settings = (extra: string) => monitorSettingsOf(parse(extra).monitor!);

  it('Basic as the auth user with the password, a bearer token, the TLS material; backend auth replaces the default', async () => {
    const s = settings(`
monitor:
  user: router-monitor
  auth: { user: probe, passwordEnv: MONITOR_PASSWORD }
  backends: { b: { auth: { tokenFile: token, caFile: ca.crt, certFile: client.crt, keyFile: client.key } } }
`);
    const credentials = new MonitorCredentials(s.auth!, s.user, env);
    const a = await credentials.identityOf('a');
    expect(a.user).toBe('probe');
    expect(a.identity.headers?.Authorization).toBe(`Basic ${Buffer.from(`probe:${PASSWORD}`).toString('base64')}`);
    expect(a.identity.tls).toBeUndefined();
    const b = await credentials.identityOf('b');
    expect(b.user).toBe('router-monitor');
    expect(b.identity.headers?.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(b.identity.tls).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
  });

  it('a token file is re-read when it changes, and a vanished one names the field', async () => {
    const s = settings('monitor: { auth: { tokenFile: token } }');
    const credentials = new MonitorCredentials(s.auth!, s.user, env);
    expect((await credentials.identityOf('a')).identity.headers?.Authorization).toBe(`Bearer ${TOKEN}`);
    writeFileSync(join(dir, 'token'), 'the-rotated-token-is-longer\n');
    expect((await credentials.identityOf('a')).identity.headers?.Authorization).toBe('Bearer the-rotated-token-is-longer');
    rmSync(join(dir, 'token'));
    await expect(credentials.identityOf('a')).rejects.toThrow(/^monitor\.auth\.tokenFile: cannot read .*token \(ENOENT\)$/);
  });

  it('without monitor.auth only the user is sent', async () => {
    const s = settings('');
    expect(s.auth).toBeUndefined();
    const credentials = new MonitorCredentials({ default: null, backends: {} }, s.user, env);
    expect(await credentials.identityOf('a')).toEqual({ user: 'trino-router-monitor', identity: { backend: 'a' } });
  });
});
