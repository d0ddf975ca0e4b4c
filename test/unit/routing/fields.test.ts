/**
 * The rule field table's new entries and the new rule targets, as a user sees them: header
 * conditions and X-Trino-Routing-Group read from real header lists, a rule's own backend, the
 * group a client requests, and `fallback: false`.
 */
import { describe, expect, it } from 'vitest';
import { decide, describeRejection, type BackendConditions } from '../../../src/routing/engine.js';
import { RULE_FIELDS } from '../../../src/routing/fields.js';
import type { RoutingConfig, RoutingRule } from '../../../src/routing/model.js';
import { RequestRouter } from '../../../src/routing/request-router.js';
import { RuleIndex } from '../../../src/routing/rule-index.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { OwnershipIndex } from '../../../src/stickiness/ownership.js';
import type { ForwardInstruction } from '../../../src/routing/decision.js';
import { isTrinoHeaderError, parseTrinoHeaders } from '../../../src/trino/headers.js';
import { backend, facts } from './fixtures.js';
import { routeNow } from '../../support/route-fully.js';

function config(rules: RoutingRule[]): RoutingConfig {
  return {
    backends: [backend('a'), backend('b'), backend('c')],
    groups: [
      { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] },
      { name: 'etl', strategy: 'round_robin', members: [{ backend: 'b', weight: 1 }], fallback: 'adhoc' },
      { name: 'bi', strategy: 'round_robin', members: [{ backend: 'c', weight: 1 }] },
    ],
    rules,
    defaultGroup: 'adhoc',
  };
}

/** Routes a submission with these extra header lines; returns the backend or the refusal. */
function routeWith(rules: RoutingRule[], lines: [string, string][], conditions: BackendConditions = new Map()): string {
  const snapshot = compileSnapshot(config(rules), 1);
  const router = new RequestRouter({
    snapshot: () => snapshot,
    conditions: () => conditions,
    strategy: createStrategyState(() => 0),
    ownership: new OwnershipIndex({ maxQueries: 10, retentionMs: 1000, transactionRetentionMs: 1000 }),
    keyring: undefined,
    probe: undefined,
    headerOptions: {},
    unavailable: 'failed-query',
    now: () => 0,
  });
  const context = routeNow(router, {
    headers: [[':method', 'POST'], [':path', '/v1/statement'], [':authority', 'trino'], ['x-forwarded-proto', 'http'], ['x-trino-user', 'alice'], ...lines],
    listenerPort: 8080,
  });
  if (context instanceof Promise) throw new Error('unexpected probe');
  const instruction = context.instruction;
  return instruction.kind === 'forward' ? (instruction as ForwardInstruction).backend : `refused ${instruction.reason}`;
}

const rule = (name: string, extra: Partial<RoutingRule>): RoutingRule => ({ name, priority: 10, group: 'etl', match: {}, ...extra });

describe('header conditions', () => {
  it('match a header by name, whatever its case, with exact, anyOf, regex and present', () => {
    const exact = [rule('r', { match: { header: [{ name: 'X-Team', exact: 'data' }] } })];
    expect(routeWith(exact, [['x-team', 'data']])).toBe('b');
    expect(routeWith(exact, [['x-team', 'Data']])).toBe('a');
    const anyOf = [rule('r', { match: { header: [{ name: 'x-team', anyOf: ['data', 'ml'] }] } })];
    expect(routeWith(anyOf, [['x-team', 'ml']])).toBe('b');
    const regex = [rule('r', { match: { header: [{ name: 'x-team', regex: '^d' }] } })];
    expect(routeWith(regex, [['x-team', 'dev']])).toBe('b');
    expect(routeWith(regex, [])).toBe('a');
    const present = [rule('r', { match: { header: [{ name: 'x-canary', present: true }] } })];
    expect(routeWith(present, [['x-canary', '']])).toBe('b');
    expect(routeWith(present, [])).toBe('a');
    const absent = [rule('r', { match: { header: [{ name: 'x-canary', present: false }] } })];
    expect(routeWith(absent, [])).toBe('b');
    expect(routeWith(absent, [['x-canary', '1']])).toBe('a');
  });

  it('join repeated lines with "," as Envoy does for ext_authz, so both edges see one value', () => {
    const joined = [rule('r', { match: { header: [{ name: 'x-team', exact: 'data,ml' }] } })];
    expect(routeWith(joined, [['x-team', 'data'], ['x-team', 'ml']])).toBe('b');
  });

  it('need every header condition of a rule to hold', () => {
    const both = [rule('r', { match: { header: [{ name: 'x-team', exact: 'data' }, { name: 'x-env', exact: 'prod' }] } })];
    expect(routeWith(both, [['x-team', 'data'], ['x-env', 'prod']])).toBe('b');
    expect(routeWith(both, [['x-team', 'data']])).toBe('a');
  });

  it('keep only the headers some rule names in the facts', () => {
    const snapshot = compileSnapshot(config([rule('r', { match: { header: [{ name: 'X-Team', exact: 'data' }] } })]), 1);
    expect([...snapshot.headerNames]).toEqual(['x-team']);
    expect(compileSnapshot(config([]), 1).headerNames.size).toBe(0);
  });
});

describe('X-Trino-Routing-Group', () => {
  const byHeader = [rule('by-header', { group: 'adhoc', requestedGroups: ['etl', 'bi'] })];

  it('sends the query to the group the client names when the rule lists it', () => {
    expect(routeWith(byHeader, [['x-trino-routing-group', 'bi']])).toBe('c');
    expect(routeWith(byHeader, [['x-trino-routing-group', ' etl ']])).toBe('b');
  });

  it('keeps the rule group for no header or a group the rule does not list', () => {
    expect(routeWith(byHeader, [])).toBe('a');
    expect(routeWith(byHeader, [['x-trino-routing-group', 'secret']])).toBe('a');
  });

  it('is read from X-Presto-Routing-Group too, and can be a condition of its own', () => {
    const presto = parseTrinoHeaders([['x-presto-user', 'alice'], ['x-presto-routing-group', 'bi']]);
    expect(isTrinoHeaderError(presto) ? presto.message : presto.routingGroup).toBe('bi');
    const condition = [rule('r', { group: 'bi', match: { routingGroup: { exact: 'reports' } } })];
    expect(routeWith(condition, [['x-trino-routing-group', 'reports']])).toBe('c');
    expect(routeWith(condition, [])).toBe('a');
  });
});

describe('a rule naming one backend', () => {
  const pinned = [rule('pinned', { backend: 'c' })];
  const unhealthy = (name: string): BackendConditions => new Map([[name, { health: 'unhealthy', load: 0, inSchedule: true }]]);

  it('sends its queries to that backend, not to its group', () => {
    expect(routeWith(pinned, [])).toBe('c');
  });

  it('falls back to its group (and the group fallback) when the backend cannot take a query', () => {
    expect(routeWith(pinned, [], unhealthy('c'))).toBe('b');
  });

  it('with fallback: false is refused, naming the backend, when the backend cannot take a query', () => {
    const strict = [rule('strict', { backend: 'c', fallback: false })];
    expect(routeWith(strict, [], unhealthy('c'))).toBe('refused no_backend');
    const snapshot = compileSnapshot(config(strict), 1);
    const decision = decide(snapshot, facts({}), unhealthy('c'), createStrategyState(() => 0));
    expect(decision.outcome).toBe('rejected');
    if (decision.outcome === 'rejected') expect(describeRejection(decision)).toBe('No Trino cluster can take this query now (rule backend c unhealthy)');
  });

  it('fallback: false on a group stops at the group itself', () => {
    expect(routeWith([rule('r', {})], [], unhealthy('b'))).toBe('a');
    expect(routeWith([rule('r', { fallback: false })], [], unhealthy('b'))).toBe('refused no_backend');
  });
});

describe('the rule index over the new fields', () => {
  it('gives the walk answer for header and routing-group rules among many', () => {
    const rules: RoutingRule[] = [];
    for (let i = 0; i < 30; i++) {
      rules.push(rule(`h${i}`, { priority: i, match: { header: [{ name: 'x-team', anyOf: [`t${i}`, `u${i}`] }] } }));
      rules.push(rule(`g${i}`, { priority: i, group: 'bi', match: { routingGroup: { exact: `g${i}` } } }));
    }
    const snapshot = compileSnapshot(config(rules), 1);
    const index = new RuleIndex(snapshot.rules);
    for (const probe of [
      facts({ headers: new Map([['x-team', 'u7']]) }),
      facts({ routingGroup: 'g12' }),
      facts({ headers: new Map([['x-team', 't3']]), routingGroup: 'g2' }),
      facts({ headers: new Map([['x-team', 'nobody']]) }),
    ]) {
      const walked = snapshot.rules.find((r) => r.matches(probe));
      expect(index.first(probe)?.rule.name).toBe(walked?.rule.name);
    }
  });
});

describe('the field table', () => {
  it('has one entry per key and an API name and label for each', () => {
    const keys = RULE_FIELDS.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const f of RULE_FIELDS) {
      expect(f.apiName).toMatch(/^[a-z_]+$/);
      expect(f.label).not.toBe('');
    }
  });
});
