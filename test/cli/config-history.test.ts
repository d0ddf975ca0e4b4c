/**
 * `config history`, `config show --revision N [--diff]` and `config rollback --to N`, run as
 * processes against a running router: human output, --json, and the refusal under watch.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRouterWithAdmin, storedConfig, TOKEN, type RouterWithAdmin } from '../admin/support.js';
import { runCli, type CliRun } from './run-cli.js';

// Each command is a fresh Node process (about a second with tsx).
vi.setConfig({ testTimeout: 120_000 });

describe('config history, show and rollback', () => {
  let fixture: RouterWithAdmin;
  let cli: (...args: string[]) => Promise<CliRun>;

  beforeAll(async () => {
    fixture = await startRouterWithAdmin();
    cli = (...args) => runCli([...args, '--server', fixture.address, '--token', TOKEN]);
    await cli('backends', 'create', 'trino-c', '--url', 'http://127.0.0.1:18083');
  });
  afterAll(() => fixture?.close());

  it('history lists revisions newest first with who and what; --json has the fields', async () => {
    const human = await cli('config', 'history');
    expect(human.code).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^REVISION\s+AT\s+METHOD\s+WHO\s+CHANGE$/);
    expect(lines[1]).toMatch(/^2\s+.*BackendService\/CreateBackend\s+admin token, from (ipv4:)?127\.0\.0\.1:\d+\s+backends \+trino-c$/);
    expect(lines[2]).toMatch(/^1\s+.*config-file\/seed\s+file .*router\.yaml\s+backends \+trino-a \+trino-b; groups \+adhoc \+etl; rules \+etl-tags \+airflow; default group adhoc$/);
    const json = JSON.parse((await cli('config', 'history', '--limit', '1', '--json')).stdout) as { changes: { revision: number; method: string; author: { token: string } }[]; nextBeforeRevision?: number };
    expect(json.changes).toHaveLength(1);
    expect(json.changes[0]).toMatchObject({ revision: 2, method: 'BackendService/CreateBackend', author: { token: 'admin' } });
    expect(json.nextBeforeRevision).toBe(2);
    expect((await cli('config', 'history', '--limit', '1')).stdout).toContain('older: config history --before 2');
  });

  it('show --revision prints that revision\'s config; --diff the change and a line diff', async () => {
    const shown = await cli('config', 'show', '--revision', '1');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('name: trino-a');
    expect(shown.stdout).not.toContain('trino-c');
    const diff = await cli('config', 'show', '--revision', '2', '--diff');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/^revision 2 at \S+: BackendService\/CreateBackend by admin token, from (ipv4:)?127\.0\.0\.1:\d+\n {2}backends \+trino-c\n\n--- revision 1\n\+\+\+ revision 2\n/);
    expect(diff.stdout).toMatch(/^\+ {2}- name: trino-c$/m);
    expect(diff.stdout.split('\n').filter((line) => line.startsWith('-') && !line.startsWith('--- '))).toEqual([]);
    const missing = await cli('config', 'show', '--revision', '99');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/revision 99 is not in the config history: revisions 1 to 2 are kept \(store\.audit\) \(NOT_FOUND\)/);
  });

  it('rollback --to N writes that config as a new revision and prints it; --json too', async () => {
    const rolled = await cli('config', 'rollback', '--to', '1');
    expect(rolled.code).toBe(0);
    expect(rolled.stdout.trim()).toBe('rolled back to revision 1: now revision 3 (backends -trino-c)');
    expect((await storedConfig(fixture.router.store)).backends.map((b) => b.name)).toEqual(['trino-a', 'trino-b']);
    const again = JSON.parse((await cli('config', 'rollback', '--to', '1', '--json')).stdout) as { revision: number; changed: boolean };
    expect(again).toMatchObject({ revision: 3, changed: false });
    expect((await cli('config', 'history', '--limit', '1')).stdout).toMatch(/\n3\s+.*ConfigService\/Rollback\s+admin token/);
    expect((await cli('config', 'rollback')).stderr).toMatch(/required option '--to <revision>'/);
  });
});

describe('under store.seed: watch', () => {
  it('a routing write and a rollback print that the file rules, naming it', async () => {
    const fixture = await startRouterWithAdmin({ extra: 'store: { seed: watch }' });
    try {
      const cli = (...args: string[]) => runCli([...args, '--server', fixture.address, '--token', TOKEN]);
      const create = await cli('backends', 'create', 'trino-c', '--url', 'http://127.0.0.1:18083');
      expect(create.code).not.toBe(0);
      expect(create.stderr).toContain(`BackendService/CreateBackend refused: store.seed is watch, so the config file ${fixture.configPath} rules the routing`);
      expect(create.stderr).toMatch(/FAILED_PRECONDITION/);
      expect((await cli('config', 'rollback', '--to', '1')).stderr).toContain(`ConfigService/Rollback refused: store.seed is watch, so the config file ${fixture.configPath}`);
      const status = await cli('status');
      expect(status.stdout).toMatch(new RegExp(`config file ${fixture.configPath.replace(/[.]/g, '\\.')} \\(store\\.seed: watch\\): applied .* as revision 1`));
    } finally {
      await fixture.close();
    }
  });
});
