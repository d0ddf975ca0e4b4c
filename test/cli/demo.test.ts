/**
 * `npm run demo --once`: the router on the example config behind the stand-ins, a few queries,
 * each said where it went and why; then it exits.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from './run-cli.js';

vi.setConfig({ testTimeout: 90_000 });

describe('npm run demo', () => {
  it('--once shows a rule, round robin, a client tag, follow-ups and a refusal, then exits', async () => {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'demo', '--', '--once'], { cwd: REPO_ROOT, timeout: 80_000 });
    expect(stdout).toContain('STAND-INS');
    expect(stdout).toMatch(/source airflow\n {2}went: {2}trino-b \(rule airflow -> group etl\)/);
    const adhoc = [...stdout.matchAll(/went: {2}(trino-[ab]) \(no rule matched: the default group adhoc\)/g)].map((m) => m[1]);
    expect(adhoc.sort()).toEqual(['trino-a', 'trino-b']);
    expect(stdout).toMatch(/client tags etl\n {2}went: {2}trino-b \(rule etl-tag -> group etl\)/);
    expect(stdout).toMatch(/then: {2}[1-9]\d* follow-up polls of \S+ for its 25 rows went to trino-b, 0 elsewhere/);
    expect(stdout).toMatch(/REFUSED by the router: No Trino cluster can take this query now \(group etl: trino-b draining\)/);
    expect(stdout).toMatch(/explain .*-> forward to trino-b by rule airflow, group etl/);
    expect(stdout.trimEnd().endsWith('demo done (--once)')).toBe(true);
  });
});
