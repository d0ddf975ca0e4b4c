/**
 * The command line, run as a process against a running router's admin API: every command,
 * human tables and --json, clear errors and one exit code per cause.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRouterWithAdmin, TOKEN, type RouterWithAdmin, storedBackend, storedRule, storedGroup, storedConfig } from '../admin/support.js';
import { REPO_ROOT, runCli, type CliRun } from './run-cli.js';

// Each command is a fresh Node process (about a second with tsx); a test runs several.
vi.setConfig({ testTimeout: 120_000 });

let fixture: RouterWithAdmin;
/** Runs a command against the fixture with its token. */
let cli: (...args: string[]) => Promise<CliRun>;

beforeAll(async () => {
  fixture = await startRouterWithAdmin();
  cli = (...args) => runCli([...args, '--server', fixture.address, '--token', TOKEN]);
});
afterAll(async () => {
  await fixture?.close();
});

describe('usage', () => {
  it('--help lists the commands and the exit codes', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'backends', 'groups', 'rules', 'explain', 'status', 'queries', 'config']) expect(run.stdout).toContain(command);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toMatch(/--server <host:port>[\s\S]*default: "127\.0\.0\.1:9002"/);
  });

  it('an unknown command or a missing option is a usage error (exit 2)', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const missing = await cli('backends', 'create', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--url <url>' not specified/);
    const malformed = await cli('backends', 'create', 'x', '--url', 'http://x:1', '--max-load', 'lots');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--max-load <n>.*expected a positive number/);
  });

  it('a misspelled command is an unknown command with a "did you mean", not an argument of serve', async () => {
    const typo = await runCli(['backend', 'list']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^trino-envoy-router: unknown command "backend" \(did you mean "backends"\?\); the commands are serve, backends, groups/);
    expect(typo.stderr).not.toContain('too many arguments');
    expect((await runCli(['serve', 'now'])).stderr).toMatch(/serve takes no arguments, got "now"/);
  });

  it('drain --help shows the defaults in seconds, the unit the options take', async () => {
    const help = (await runCli(['backends', 'drain', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--wait-timeout <seconds> give up waiting after this long \(exit 10\) \(default: 600\)/);
    expect(help).toMatch(/--interval <seconds> how often to check while waiting \(default: 2\)/);
  });

  it('the package bin runs as `npx trino-envoy-router`', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = join(REPO_ROOT, pkg.bin['trino-envoy-router'] ?? '');
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    const env = { ...process.env };
    delete env.TRINO_ROUTER_ADMIN_TOKEN;
    delete env.TRINO_ROUTER_ADMIN_SERVER;
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'trino-envoy-router', '--help'], { cwd: REPO_ROOT, env });
    expect(stdout).toMatch(/^Usage: trino-envoy-router \[options\] \[command\]/);
  });
});

describe('backends', () => {
  it('lists as a table and as JSON', async () => {
    const table = await cli('backends', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+ENABLED\s+DRAINING\s+PREFIX\s+MAX LOAD\s+SCHEDULES\s+URL$/);
    expect(table.stdout).toMatch(/trino-a\s+yes\s+no\s+no\s+-\s+always\s+http:\/\/127\.0\.0\.1:18081/);
    const json = await cli('backends', 'list', '--json');
    expect(JSON.parse(json.stdout).backends.map((b: { name: string }) => b.name)).toEqual(['trino-a', 'trino-b']);
  });

  it('create, update, get, disable, enable, delete, with one exit code per failure', async () => {
    const created = await cli('backends', 'create', 'trino-c', '--url', 'http://trino-c:8080', '--max-load', '40', '--schedule', '* 6-22 * * MON-FRI@Europe/Berlin');
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/^created backend trino-c \(revision \d+\)\n$/) });
    expect((await storedBackend(fixture.router.store, 'trino-c'))).toMatchObject({ maxLoad: 40, schedules: [{ cron: '* 6-22 * * MON-FRI', timeZone: 'Europe/Berlin' }] });

    const updated = await cli('backends', 'update', 'trino-c', '--no-max-load', '--prefix-routing');
    expect(updated.stdout).toMatch(/^updated backend trino-c: prefix_routing, max_load/);
    const got = await cli('backends', 'get', 'trino-c');
    expect(got.stdout).toMatch(/max load:\s+-\n/);
    expect(got.stdout).toMatch(/prefix routing:\s+yes\n/);
    expect((await cli('backends', 'update', 'trino-c')).code).toBe(2);

    expect((await cli('backends', 'disable', 'trino-c')).stdout).toMatch(/^disabled backend trino-c/);
    expect((await cli('backends', 'disable', 'trino-c')).stdout).toBe('backend trino-c was already disabled\n');
    expect((await cli('backends', 'enable', 'trino-c')).stdout).toMatch(/^enabled backend trino-c/);

    const duplicate = await cli('backends', 'create', 'trino-c', '--url', 'http://x:1');
    expect(duplicate).toMatchObject({ code: 6, stderr: 'trino-envoy-router: backend "trino-c" already exists; update it instead (ALREADY_EXISTS)\n' });
    const invalid = await cli('backends', 'create', 'trino-d', '--url', 'ftp://x');
    expect(invalid).toMatchObject({ code: 8, stderr: expect.stringMatching(/backend\.url: expected an http or https URL/) });
    expect((await cli('backends', 'get', 'nope')).code).toBe(5);
    expect(await cli('backends', 'get', 'trino-aa')).toMatchObject({ code: 5, stderr: 'trino-envoy-router: backend "trino-aa" does not exist (did you mean "trino-a"?) (NOT_FOUND)\n' });
    const inUse = await cli('backends', 'delete', 'trino-b');
    expect(inUse).toMatchObject({ code: 7, stderr: expect.stringMatching(/member of group\(s\) adhoc, etl.*\(FAILED_PRECONDITION\)/) });
    expect((await cli('backends', 'delete', 'trino-c')).code).toBe(0);
  });
});

describe('groups and rules', () => {
  it('create and change groups; set the default', async () => {
    expect((await cli('groups', 'create', 'bi', '--backend', 'trino-a', '--backend', 'trino-b=3', '--strategy', 'weighted', '--fallback', 'adhoc')).code).toBe(0);
    const list = await cli('groups', 'list');
    expect(list.stdout).toMatch(/bi\s+weighted\s+trino-a, trino-b=3\s+adhoc/);
    expect(list.stdout).toMatch(/adhoc\s+round_robin\s+trino-a, trino-b\s+-\s+yes/);
    expect((await cli('groups', 'update', 'bi', '--no-fallback')).code).toBe(0);
    expect((await storedGroup(fixture.router.store, 'bi')).fallback).toBeUndefined();
    expect((await cli('groups', 'set-default', 'bi')).stdout).toMatch(/^default group is now bi/);
    expect((await cli('groups', 'set-default', 'adhoc')).code).toBe(0);
    expect((await cli('groups', 'create', 'x', '--backend', 'trino-a', '--strategy', 'fastest')).code).toBe(8);
  });

  it('create rules with the config file\'s condition syntax, list them, reorder them', async () => {
    const created = await cli('rules', 'create', 'bi-users', '--group', 'bi', '--priority', '5', '--match', '{user: {regex: "^bi_"}, listenerPort: 8443}');
    expect(created.code).toBe(0);
    expect((await storedRule(fixture.router.store, 'bi-users')).match).toEqual({ user: { regex: '^bi_' }, listenerPort: [8443] });
    const list = await cli('rules', 'list');
    expect(list.stdout.split('\n').slice(0, 4)).toEqual([
      expect.stringMatching(/^PRIORITY\s+NAME\s+GROUP\s+MATCH$/),
      expect.stringMatching(/^5\s+bi-users\s+bi\s+user ~ \/\^bi_\/, listenerPort any of \[8443\]$/),
      expect.stringMatching(/^10\s+etl-tags\s+etl\s+clientTags contains any of \["etl"\]$/),
      expect.stringMatching(/^20\s+airflow\s+etl\s+source = "airflow"$/),
    ]);
    const typo = await cli('rules', 'create', 'x', '--group', 'bi', '--match', '{usr: alice}');
    expect(typo).toMatchObject({ code: 2, stderr: expect.stringMatching(/--match: usr: unknown key "usr" \(did you mean "user"\?\)/) });
    const notYaml = await cli('rules', 'create', 'x', '--group', 'bi', '--match', '{user: {regex: "^a"}, : x: y}');
    expect(notYaml.code).toBe(2);
    expect(notYaml.stderr).toContain('--match: not YAML: Block collections are not allowed within flow collections at line 1, column 25:\n\n{user: {regex: "^a"}, : x: y}\n                        ^^^^\n');
    const group = await cli('rules', 'create', 'x', '--group', 'adhok', '--match', '{user: alice}');
    expect(group).toMatchObject({ code: 8, stderr: expect.stringMatching(/rule\.group: unknown group "adhok" \(did you mean "adhoc"\?\)/) });
    const asJson = JSON.parse((await cli('rules', 'get', 'bi-users', '--json')).stdout);
    expect(asJson.rule.match).toMatchObject({ user: { regex: '^bi_' }, listenerPort: [8443] });
    expect(JSON.stringify(asJson)).not.toContain('$case');
    const reordered = await cli('rules', 'reorder', 'airflow', 'etl-tags', 'bi-users');
    expect(reordered.code).toBe(0);
    expect((await storedConfig(fixture.router.store)).rules.map((r) => [r.name, r.priority]).sort()).toEqual([['airflow', 10], ['bi-users', 30], ['etl-tags', 20]]);
    expect((await cli('rules', 'reorder', 'airflow')).code).toBe(8);
    expect((await cli('rules', 'update', 'bi-users', '--group', 'nope')).code).toBe(8);
    expect((await cli('rules', 'delete', 'bi-users')).code).toBe(0);
    expect((await cli('rules', 'delete', 'etl-tag')).stderr).toMatch(/rule "etl-tag" does not exist \(did you mean "etl-tags"\?\)/);
  });

  it('a rule without conditions needs --match-all: it would take every query', async () => {
    for (const args of [[], ['--match', '{}']]) {
      const refused = await cli('rules', 'create', 'everything', '--group', 'adhoc', ...args);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/rule everything: .*a rule without conditions takes every query that reaches its priority\. Give the conditions with --match .* or --match-all/);
    }
    expect((await storedConfig(fixture.router.store)).rules.map((r) => r.name)).not.toContain('everything');
    expect((await cli('rules', 'create', 'everything', '--group', 'adhoc', '--match', '{user: x}', '--match-all')).code).toBe(2);
    expect((await cli('rules', 'create', 'everything', '--group', 'adhoc', '--priority', '1000', '--match-all')).code).toBe(0);
    expect((await cli('rules', 'get', 'everything')).stdout).toMatch(/match:\s+\(every request\)/);
    expect((await cli('rules', 'update', 'everything', '--match', '{}')).code).toBe(2);
    expect((await cli('rules', 'delete', 'everything')).code).toBe(0);
    expect((await cli('groups', 'delete', 'bi')).code).toBe(0);
  });
});

describe('explain, status, queries', () => {
  it('explain shows the decision, each rule and each backend', async () => {
    const run = await cli('explain', '--user', 'alice', '--client-tags', 'nightly,etl');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('decision: forward to trino-b by rules (rule etl-tags -> group etl)');
    expect(run.stdout).toMatch(/matched\s+20\s+etl-tags\s+etl\s+clientTags contains any of \["etl"\]: yes/);
    expect(run.stdout).toMatch(/trino-b\s+yes\s+healthy\s+0\s+1\s+<- picked/);
    const json = JSON.parse((await cli('explain', '-H', 'X-Trino-User: bob', '-H', 'X-Trino-Source: airflow', '--json')).stdout);
    expect(json).toMatchObject({ outcome: 'forward', rule: 'airflow', group: 'etl', backend: 'trino-b' });
  });

  it('explain --sql and --sql-file show the statement as the router reads it and the rule it picks', async () => {
    const created = await cli('rules', 'create', 'etl-writes', '--group', 'etl', '--priority', '1', '--match', '{tablesWritten: "hive.etl.*"}');
    expect(created.code).toBe(0);
    try {
      const run = await cli('explain', '--user', 'bob', '--catalog', 'hive', '--schema', 'etl', '--sql', 'INSERT INTO events SELECT * FROM hive.raw.e');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('decision: forward to trino-b by rules (rule etl-writes -> group etl)');
      expect(run.stdout).toMatch(/kind:\s+insert/);
      expect(run.stdout).toMatch(/tables read:\s+hive\.raw\.e/);
      expect(run.stdout).toMatch(/tables written:\s+hive\.etl\.events/);
      const file = join(await mkdtemp(join(tmpdir(), 'ter-sql-')), 'q.sql');
      await writeFile(file, 'SELECT * FROM hive.etl.events');
      const read = await cli('explain', '--user', 'bob', '--sql-file', file);
      expect(read.stdout).not.toContain('rule etl-writes ->');
      expect(read.stdout).toMatch(/tables read:\s+hive\.etl\.events/);
      const none = await cli('explain', '--user', 'bob');
      expect(none.stdout).toMatch(/statement:\s+unknown \(body_not_sent\): no SQL was given to explain/);
      expect((await cli('explain', '--sql', 'x', '--sql-file', file)).code).not.toBe(0);
      expect((await cli('explain', '--sql-file', '/nonexistent/q.sql')).stderr).toMatch(/cannot read --sql-file/);
    } finally {
      await cli('rules', 'delete', 'etl-writes');
    }
  });

  it('status shows every backend; a note when no monitor runs', async () => {
    const run = await cli('status');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^BACKEND\s+STATE\s+HEALTH\s+ENABLED\s+LOAD\s+DRAIN\s+LAST CHECK\s+LAST ERROR\n/);
    expect(run.stdout).toMatch(/trino-a\s+\S+\s+\S+\s+yes/);
    expect((await cli('status', 'nope')).code).toBe(5);
  });

  it('queries owner: NOT_FOUND (5) for an unknown query, INVALID_ARGUMENT (8) for a malformed id', async () => {
    const unknown = await cli('queries', 'owner', '20261122_120000_00001_abcde');
    expect(unknown).toMatchObject({ code: 5, stderr: expect.stringMatching(/no backend is known to own query/) });
    expect((await cli('queries', 'owner', 'nope')).code).toBe(8);
    fixture.router.router.onResponseBody(
      { instruction: { kind: 'forward', backend: 'trino-a', mechanism: 'rules', path: undefined, forwardedPrefix: undefined, watch: 'headers_and_body', decision: undefined }, transactionId: undefined, transactionAware: false, watchTransactions: false, statement: undefined, facts: undefined, receivedAt: Date.now() },
      Buffer.from('{"id":"20261122_120000_00002_abcde","infoUri":"http://x/ui","stats":{"state":"QUEUED"}}'),
    );
    const known = await cli('queries', 'owner', '20261122_120000_00002_abcde');
    expect(known.code).toBe(0);
    expect(known.stdout).toMatch(/^trino-a owns 20261122_120000_00002_abcde: routed by query id/);
  });

  it('queries list filters the history', async () => {
    const run = await cli('queries', 'list', '--user', 'nobody', '--since', '2h');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^SUBMITTED\s+QUERY ID\s+OUTCOME\s+BACKEND/);
    expect((await cli('queries', 'list', '--since', 'yesterday')).code).toBe(2);
    expect((await cli('queries', 'list', '--outcome', 'no_backend')).code).toBe(0);
    const unknown = await cli('queries', 'list', '--outcome', 'lost');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Allowed choices are forwarded, prefix_disabled, .*no_backend_configured/);
  });
});

describe('config', () => {
  it('export to a file, import it back: no change; an edit shows in a dry run, then applies', async () => {
    const file = join(fixture.dir, 'exported.yaml');
    expect((await cli('config', 'export', '-o', file)).stdout).toMatch(/^wrote .*exported\.yaml \(revision \d+\)/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('token: REDACTED');
    expect((await cli('config', 'import', file)).stdout).toMatch(/^no change: the routing already matches/);

    const edited = text.replace('url: http://127.0.0.1:18082', 'url: http://trino-b.internal:8080');
    const dry = await runCli(['config', 'import', '-', '--dry-run', '--server', fixture.address, '--token', TOKEN], { stdin: edited });
    expect(dry.stdout).toBe('would change (dry run, nothing written):\n  backends: ~trino-b\n');
    expect((await storedBackend(fixture.router.store, 'trino-b')).url).toBe('http://127.0.0.1:18082');
    const applied = await runCli(['config', 'import', '-', '--server', fixture.address, '--token', TOKEN], { stdin: edited });
    expect(applied.stdout).toMatch(/^imported \(revision \d+\):\n {2}backends: ~trino-b\n$/);
    expect((await storedBackend(fixture.router.store, 'trino-b')).url).toBe('http://trino-b.internal:8080');
    expect((await cli('config', 'export')).stdout).toBe(edited);
  });

  it('an invalid file: exit 8 with every problem and its line; an unreadable one: exit 2', async () => {
    const bad = await runCli(['config', 'import', '-', '--server', fixture.address, '--token', TOKEN], { stdin: 'routing: {defaultGroup: x}\nbackends: []\ngroups: []\n' });
    expect(bad.code).toBe(8);
    expect(bad.stderr).toMatch(/invalid configuration in stdin \(1 problem\):\n {2}- stdin:1: routing\.defaultGroup: unknown group "x"/);
    expect((await cli('config', 'import', '/nonexistent/file.yaml')).code).toBe(2);
  });
});

describe('connection and authentication', () => {
  it('no token: exit 4 with a hint; the environment variable supplies it', async () => {
    const anonymous = await runCli(['backends', 'list', '--server', fixture.address]);
    expect(anonymous.code).toBe(4);
    expect(anonymous.stderr).toMatch(/needs a valid bearer token.*pass --token or set TRINO_ROUTER_ADMIN_TOKEN/);
    const wrong = await runCli(['backends', 'list', '--server', fixture.address, '--token', 'wrong-token']);
    expect(wrong.code).toBe(4);
    const fromEnv = await runCli(['backends', 'list'], { env: { TRINO_ROUTER_ADMIN_TOKEN: TOKEN, TRINO_ROUTER_ADMIN_SERVER: fixture.address } });
    expect(fromEnv.code).toBe(0);
  });

  it('an unreachable admin API: exit 3', async () => {
    const run = await runCli(['status', '--server', '127.0.0.1:1', '--timeout', '2']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^trino-envoy-router: cannot reach the admin API at 127\.0\.0\.1:1/);
  });

  it('serve with a config that cannot be read exits 1 and says why', async () => {
    const run = await runCli(['serve', '--config', '/nonexistent/router.yaml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/invalid configuration in \/nonexistent\/router\.yaml \(1 problem\):\n {2}- \/nonexistent\/router\.yaml: \(document\): cannot read the config file: file not found/);
  });
});
