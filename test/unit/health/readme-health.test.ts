/**
 * The README's "Health, load, draining and schedules" section (under "Operating it") says what the code does: its
 * example loads through the config loader and routes as its comments say, its defaults are
 * the schema's, and its states and strategies tables list exactly the real ones.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { FAILURE_KINDS } from '../../../src/health/check-error.js';
import { monitorSettingsOf } from '../../../src/health/monitor.js';
import { BACKEND_STATES } from '../../../src/observability/metrics.js';
import { decide, describeRejection, type BackendCondition } from '../../../src/routing/engine.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { facts } from '../routing/fixtures.js';

const README = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');

function section(): string {
  // A subsection of "Operating it": it ends at the next heading of its level or above.
  const start = README.indexOf('\n### Health, load, draining and schedules\n');
  expect(start).toBeGreaterThan(0);
  const next = /\n#{2,3} /g;
  next.lastIndex = start + 1;
  return README.slice(start, next.exec(README)?.index ?? README.length);
}

/** First cells of the rows of the table whose header row starts with `| <header> |`. */
function tableRows(header: string): string[][] {
  const lines = section().split('\n');
  const at = lines.findIndex((l) => l.startsWith(`| ${header} |`));
  expect(at, `table "${header}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

const code = (cell: string | undefined): string | undefined => /^`([^`]*)`$/.exec(cell ?? '')?.[1];

function example(): string {
  const blocks = [...section().matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(1);
  return blocks[0]!;
}

const OPTIONS = { env: {}, baseDir: '/srv' };
const MINIMAL = 'routing: { defaultGroup: g }\nbackends: [{ name: a, url: "http://a:8080" }]\ngroups: [{ name: g, backends: [a] }]\n';

describe('README: health, load, draining and schedules', () => {
  it('the example loads through the config loader, with every health setting as written', () => {
    const config = parseConfig(example(), 'README.md', OPTIONS);
    expect(config.requests.unavailable).toBe('retry');
    expect(monitorSettingsOf(config.monitor!)).toEqual({
      intervalMs: 10_000, timeoutMs: 8000, failureThreshold: 2, successThreshold: 2, user: 'trino-router-monitor', loadWeights: { running: 1, queued: 0.5 },
    });
    const backends = new Map(config.routing.backends.map((b) => [b.name, b]));
    expect(backends.get('trino-a')).toMatchObject({ maxLoad: 60, schedules: [] });
    expect(backends.get('trino-b')).toMatchObject({ maxLoad: 20, schedules: [{ cron: '* 8-18 * * MON-FRI', timeZone: 'Europe/Berlin' }] });
    expect(backends.get('trino-old')).toMatchObject({ draining: true });
    expect(config.routing.groups.map((g) => [g.name, g.strategy, g.fallback])).toEqual([
      ['adhoc', 'least_load', 'spare'], ['etl', 'weighted', 'spare'], ['spare', 'round_robin', undefined], ['any', 'random', undefined],
    ]);
    expect(config.routing.groups[1]?.members).toEqual([{ backend: 'trino-a', weight: 90 }, { backend: 'trino-canary', weight: 10 }]);
  });

  it('the example routes as its comments say', () => {
    const config = parseConfig(example(), 'README.md', OPTIONS);
    const snapshot = compileSnapshot(config.routing, 1);
    const healthy: BackendCondition = { health: 'healthy', load: 0, inSchedule: true };
    const state = createStrategyState(() => 0.5);
    // least_load by free capacity: 60 - 30 = 30 free beats 20 - 0 = 20.
    const idle = new Map<string, BackendCondition>([['trino-a', { ...healthy, load: 30 }], ['trino-b', healthy]]);
    expect(decide(snapshot, facts(), idle, state)).toMatchObject({ outcome: 'routed', group: 'adhoc', backend: 'trino-a' });
    // Both at their ceilings: the fallback group, where the draining backend takes nothing.
    const full = new Map<string, BackendCondition>([['trino-a', { ...healthy, load: 60 }], ['trino-b', { ...healthy, load: 20 }]]);
    for (let i = 0; i < 3; i++) {
      expect(decide(snapshot, facts(), full, state)).toMatchObject({ outcome: 'routed', group: 'spare', backend: 'trino-canary', fellBackFrom: ['adhoc'] });
    }
    const nothing = new Map<string, BackendCondition>([...full, ['trino-canary', { ...healthy, health: 'unhealthy' }]]);
    const rejected = decide(snapshot, facts(), nothing, state);
    expect(rejected).toMatchObject({ outcome: 'rejected', transient: true });
    if (rejected.outcome === 'rejected') {
      expect(describeRejection(rejected)).toBe(
        'No Trino cluster can take this query now (group adhoc: trino-a over load ceiling, trino-b over load ceiling; group spare: trino-canary unhealthy, trino-old draining)',
      );
    }
    // A query tagged etl goes to the weighted group.
    expect(decide(snapshot, facts({ clientTags: ['etl'] }), new Map(), state)).toMatchObject({ outcome: 'routed', group: 'etl', rule: 'etl' });
  });

  it('the keys table gives the schema defaults', () => {
    const defaults = parseConfig(MINIMAL, 'minimal.yaml', OPTIONS);
    const monitor = { ...defaults.monitor, loadWeights: monitorSettingsOf(defaults.monitor!).loadWeights } as Record<string, unknown>;
    const backend = defaults.routing.backends[0]! as unknown as Record<string, unknown>;
    const rows = tableRows('Key').filter((r) => code(r[1]) !== undefined);
    const documented = rows.map((r) => code(r[0])!);
    expect(documented).toEqual([
      'monitor.intervalSeconds', 'monitor.timeoutMs', 'monitor.failureThreshold', 'monitor.successThreshold', 'monitor.user', 'monitor.loadWeights', 'monitor.uiLogin',
      'backends[].maxLoad', 'backends[].draining', 'backends[].schedules',
    ]);
    for (const [key, value] of rows.map((r) => [code(r[0])!, parseYaml(code(r[1])!)] as const)) {
      const [scope, field] = key.split('.') as [string, string];
      // Absent in the loaded config stands for the documented null / false / [].
      const actual = scope === 'monitor' ? monitor[field] ?? (value === false ? false : undefined) : backend[field] ?? (value === false ? false : null);
      expect(actual, key).toEqual(value);
    }
  });

  it('the states and strategies tables list exactly the real ones', () => {
    expect(tableRows('State').map((r) => code(r[0])).sort()).toEqual([...BACKEND_STATES].sort());
    const strategies = tableRows('Strategy').map((r) => code(r[0]));
    expect(strategies).toEqual(['round_robin', 'random', 'weighted', 'least_load']);
    // Each documented strategy is one the config accepts.
    expect(MINIMAL).toContain('backends: [a] }');
    for (const strategy of strategies) {
      expect(() => parseConfig(MINIMAL.replace('backends: [a] }', `backends: [a], strategy: ${strategy} }`), 'strategy.yaml', OPTIONS)).not.toThrow();
    }
  });
});

describe('README: troubleshooting an unhealthy backend', () => {
  it('the failure table lists exactly the kinds a failed check is classified as', () => {
    const start = README.indexOf('\n#### A backend is unhealthy\n');
    expect(start).toBeGreaterThan(0);
    const lines = README.slice(start).split('\n');
    const at = lines.findIndex((l) => l.startsWith('| Failure |'));
    expect(at).toBeGreaterThan(0);
    const kinds: string[] = [];
    for (const line of lines.slice(at + 2)) {
      if (!line.startsWith('|')) break;
      kinds.push(code(line.split('|')[1]?.trim())!);
    }
    expect(kinds.sort()).toEqual([...FAILURE_KINDS].sort());
  });
});
