/**
 * The new rule conditions and targets in the config file: what a file may say, what it loads
 * as, and the errors an operator reads for bad header names, bad regexes and unknown names.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { renderConfigYaml } from '../../../src/config/render.js';
import { issuesOf, withRules } from './fixtures.js';

describe('rule fields in the config file', () => {
  it('loads header conditions (one or a list), routingGroup, backend, requestedGroups and fallback: false', () => {
    const config = parseConfig(withRules(`  - name: team
    group: adhoc
    match:
      header: { name: X-Team, anyOf: [data, ml] }
  - name: canary
    group: adhoc
    backend: trino-b
    fallback: false
    match:
      header:
        - { name: x-canary, present: true }
        - { name: x-env, regex: "^prod" }
      routingGroup: canary
  - name: by-header
    group: adhoc
    requestedGroups: [adhoc]
`), 'router.yaml', { env: {} });
    const [team, canary, byHeader] = config.routing.rules;
    expect(team).toEqual({ name: 'team', priority: 100, group: 'adhoc', match: { header: [{ name: 'X-Team', anyOf: ['data', 'ml'] }] } });
    expect(canary).toEqual({
      name: 'canary', priority: 100, group: 'adhoc', backend: 'trino-b', fallback: false,
      match: { header: [{ name: 'x-canary', present: true }, { name: 'x-env', regex: '^prod' }], routingGroup: { exact: 'canary' } },
    });
    expect(byHeader).toEqual({ name: 'by-header', priority: 100, group: 'adhoc', requestedGroups: ['adhoc'], match: {} });
    // What the router writes back loads as the same rules.
    const again = parseConfig(renderConfigYaml(config), 'router.yaml', { env: {} });
    expect(again.routing.rules).toEqual(config.routing.rules);
  });

  it.each([
    ['a header name with a space', '      header: { name: "x team", exact: a }', /rules\[0\]\.match\.header\.name: not a header name: "x team"/],
    ['a pseudo-header', '      header: { name: ":path", exact: a }', /not a header name: ":path"/],
    ['a bad header regex', '      header: { name: x-team, regex: "(" }', /rules\[0\]\.match\.header\.regex: invalid regular expression/],
    ['a bad routingGroup regex', '      routingGroup: { regex: "[" }', /rules\[0\]\.match\.routingGroup\.regex.*invalid regular expression/],
    ['two kinds in one header condition', '      header: { name: x-team, exact: a, present: true }', /rules\[0\]\.match\.header/],
  ])('refuses %s, naming the field', (_name, line, message) => {
    const issues = issuesOf(withRules(`  - name: r\n    group: adhoc\n    match:\n${line}\n`));
    expect(issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(message);
  });

  it('refuses fallback: true (falling back is the default)', () => {
    const issues = issuesOf(withRules('  - name: t\n    group: adhoc\n    fallback: true\n'));
    expect(issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(/rules\[0\]\.fallback: expected/);
  });

  it('refuses an unknown backend and unknown requested groups', () => {
    const issues = issuesOf(withRules(`  - name: r
    group: adhoc
    backend: trino-z
  - name: s
    group: adhoc
    requestedGroups: [adhoc, nope]
`));
    const text = issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(text).toMatch(/rules\[0\]\.backend: unknown backend "trino-z"/);
    expect(text).toMatch(/rules\[1\]\.requestedGroups\[1\]: unknown group "nope"/);
  });
});
