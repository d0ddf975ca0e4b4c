/**
 * The prefix keys shipped for trying the router out are public: every start with one warns,
 * naming the key id and never the secret. A key of one's own starts quietly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRouter } from '../../../src/app.js';
import { DEVELOPMENT_PREFIX_KEYS } from '../../../src/config/schema.js';
import { exampleConfigOnEphemeralPorts } from '../../support/example-config.js';
import { REPO_ROOT } from '../../cli/run-cli.js';
import { captureLogs } from '../../unit/observability/log-capture.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function startWarnings(edit: (yaml: string) => string): Promise<{ warnings: Record<string, unknown>[]; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ter-devkey-'));
  dirs.push(dir);
  const path = exampleConfigOnEphemeralPorts(dir);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  const logs = captureLogs('info');
  const running = await startRouter({ configPath: path, logger: logs.logger, env: {} });
  await running.close();
  return { warnings: logs.records().filter((r) => r.level === 'warn' && String(r.msg).includes('development key')), text: logs.text() };
}

describe('the shipped development prefix key', () => {
  it('is the key of config/example.yaml and the default of docker-compose.yml', () => {
    const example = /secret: "([^"]+)"/.exec(readFileSync(join(REPO_ROOT, 'config/example.yaml'), 'utf8'))?.[1];
    const compose = /ROUTER_PREFIX_KEY:-([^}]+)\}/.exec(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'))?.[1];
    expect([example, compose].every((key) => key !== undefined && DEVELOPMENT_PREFIX_KEYS.has(key))).toBe(true);
  });

  it('logs a warning at every start, with the key id and not the secret', async () => {
    for (let start = 0; start < 2; start++) {
      const { warnings, text } = await startWarnings((yaml) => yaml);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ prefixKeys: ['dev1'], msg: expect.stringContaining('openssl rand -base64 32') });
      for (const key of DEVELOPMENT_PREFIX_KEYS) expect(text).not.toContain(key);
    }
  });

  it('a key of your own starts without it', async () => {
    const { warnings } = await startWarnings((yaml) => yaml.replace('development-only-prefix-key-replace-me', 'a-key-of-our-own-that-is-long-enough-1234'));
    expect(warnings).toEqual([]);
  });
});
