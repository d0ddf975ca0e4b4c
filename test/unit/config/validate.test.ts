import { describe, expect, it } from 'vitest';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { cronSyntaxProblem, regexProblem, timeZoneProblem, validateRoutingConfig } from '../../../src/routing/validate.js';
import { backend, sampleConfig } from '../routing/fixtures.js';

function problems(cfg: RoutingConfig): string[] {
  return validateRoutingConfig(cfg).map((i) => `${i.path}: ${i.message}`);
}

describe('validateRoutingConfig', () => {
  it('accepts a valid config', () => {
    expect(validateRoutingConfig(sampleConfig())).toEqual([]);
  });

  it('reports paths as segments and as text', () => {
    const cfg = sampleConfig();
    const [issue] = validateRoutingConfig({ ...cfg, groups: [cfg.groups[0]!, { ...cfg.groups[1]!, members: [{ backend: 'b', weight: -1 }] }, cfg.groups[2]!] });
    expect(issue).toEqual({ path: 'groups[1].members[0].weight', segments: ['groups', 1, 'members', 0, 'weight'], message: 'expected a weight >= 0, got -1' });
  });

  const cases: [string, (cfg: RoutingConfig) => RoutingConfig, RegExp][] = [
    ['duplicate backend', (c) => ({ ...c, backends: [...c.backends, backend('a')] }), /^backends\[2\]\.name: duplicate backend name "a"/],
    ['bad backend name', (c) => ({ ...c, backends: [...c.backends, backend('a/b')] }), /^backends\[2\]\.name: a backend name must be/],
    ['URL with credentials', (c) => ({ ...c, backends: [backend('a', { url: 'http://u:p@a:8080' }), c.backends[1]!] }), /^backends\[0\]\.url: .*credentials/],
    ['maxLoad 0', (c) => ({ ...c, backends: [backend('a', { maxLoad: 0 }), c.backends[1]!] }), /^backends\[0\]\.maxLoad: expected a positive number/],
    ['unknown strategy', (c) => ({ ...c, groups: [{ ...c.groups[0]!, strategy: 'fastest' as never }, ...c.groups.slice(1)] }), /^groups\[0\]\.strategy: expected one of/],
    ['empty group', (c) => ({ ...c, groups: [{ ...c.groups[0]!, members: [] }, ...c.groups.slice(1)] }), /^groups\[0\]\.members: a group needs at least one backend/],
    ['member listed twice', (c) => ({ ...c, groups: [{ ...c.groups[0]!, members: [{ backend: 'a', weight: 1 }, { backend: 'a', weight: 1 }] }, ...c.groups.slice(1)] }), /^groups\[0\]\.members\[1\]\.backend: backend "a" is listed twice/],
    ['self fallback', (c) => ({ ...c, groups: [{ ...c.groups[0]!, fallback: 'adhoc' }, ...c.groups.slice(1)] }), /^groups\[0\]\.fallback: a group cannot fall back to itself/],
    ['fractional priority', (c) => ({ ...c, rules: [{ ...c.rules[0]!, priority: 1.5 }] }), /^rules\[0\]\.priority: expected an integer/],
    ['empty anyOf', (c) => ({ ...c, rules: [{ ...c.rules[0]!, match: { user: { anyOf: [] } } }] }), /^rules\[0\]\.match\.user\.anyOf: expected a non-empty list/],
    ['two matcher kinds', (c) => ({ ...c, rules: [{ ...c.rules[0]!, match: { user: { exact: 'a', regex: 'b' } as never } }] }), /^rules\[0\]\.match\.user: expected exactly one of exact, anyOf, regex/],
    ['unknown condition', (c) => ({ ...c, rules: [{ ...c.rules[0]!, match: { usr: { exact: 'a' } } as never }] }), /^rules\[0\]\.match\.usr: unknown condition/],
    ['empty tag list', (c) => ({ ...c, rules: [{ ...c.rules[0]!, match: { clientTags: { containsAll: [] } } }] }), /^rules\[0\]\.match\.clientTags\.containsAll: expected a non-empty list/],
    ['empty session properties', (c) => ({ ...c, rules: [{ ...c.rules[0]!, match: { sessionProperties: {} } }] }), /^rules\[0\]\.match\.sessionProperties: expected a non-empty map/],
    ['unknown default group', (c) => ({ ...c, defaultGroup: 'nope' }), /^defaultGroup: unknown group "nope"/],
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    const found = problems(change(sampleConfig()));
    expect(found.some((p) => expected.test(p)), found.join('\n')).toBe(true);
  });

  it('reports a fallback cycle once, at its first group, with the whole loop', () => {
    const cfg = sampleConfig();
    const groups = [
      { ...cfg.groups[0]!, fallback: 'etl' },
      { ...cfg.groups[1]!, fallback: 'only-a' },
      { ...cfg.groups[2]!, fallback: 'etl' },
    ];
    expect(problems({ ...cfg, groups })).toEqual(['groups[1].fallback: fallback chain forms a cycle: etl -> only-a -> etl']);
  });

  it('requires a positive weight in a weighted group but allows zeros beside it', () => {
    const cfg = sampleConfig();
    const weighted = (weights: number[]) => ({
      ...cfg,
      groups: [{ name: 'adhoc', strategy: 'weighted' as const, members: weights.map((weight, i) => ({ backend: i === 0 ? 'a' : 'b', weight })) }, ...cfg.groups.slice(1)],
    });
    expect(problems(weighted([0, 3]))).toEqual([]);
    expect(problems(weighted([0, 0]))).toEqual(['groups[0].members: a weighted group needs at least one backend with a weight above 0']);
  });
});

describe('field checks', () => {
  it.each([
    ['* * * * *', undefined],
    ['* 8-18 * * 1-5', undefined],
    ['*/15 0,12 1-31/2 JAN-jun sun,SAT', undefined],
    ['0 0 * * 7', undefined],
    ['* * * *', /expected five cron fields/],
    ['60 * * * *', /minute field "60"/],
    ['* 18-8 * * *', /runs backwards/],
    ['* * * * MON-XYZ', /"XYZ" is not a value/],
    ['*/0 * * * *', /step "0" must be a positive integer/],
    ['1-2-3 * * * *', /malformed range/],
    ['a/b/c * * * *', /malformed part/],
  ])('cron %j', (expression, expected) => {
    const problem = cronSyntaxProblem(expression);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('time zones come from Intl', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('UTC')).toBeUndefined();
    expect(timeZoneProblem('Europe/Atlantis')).toMatch(/unknown time zone/);
    expect(timeZoneProblem('')).toMatch(/expected an IANA time zone/);
  });

  it('regexes compile with the u flag the matchers use and stay short', () => {
    expect(regexProblem('^etl_\\d+$')).toBeUndefined();
    expect(regexProblem('\\p{L}+')).toBeUndefined();
    expect(regexProblem('\\-')).toMatch(/invalid regular expression/); // legal without u, not with it
    expect(regexProblem('a'.repeat(1000))).toBeUndefined();
    expect(regexProblem('a'.repeat(1001))).toMatch(/at most 1000/);
  });
});
