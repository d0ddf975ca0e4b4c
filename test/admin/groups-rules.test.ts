/**
 * GroupService and RuleService over a real gRPC connection: every call, every error code,
 * update masks, the default group and reordering in one change.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/cli/admin-client.js';
import type { Rule } from '../../src/gen/trino_envoy_router/admin/v1/admin.js';
import { failure, startRouterWithAdmin, type RouterWithAdmin, storedRule } from './support.js';

let fixture: RouterWithAdmin;
let admin: AdminClient;

beforeAll(async () => {
  fixture = await startRouterWithAdmin();
  admin = fixture.client();
});
afterAll(async () => {
  await fixture?.close();
});

const snapshotIsCurrent = async (): Promise<boolean> => !(await fixture.router.refreshRouting());

describe('GroupService', () => {
  it('lists groups with members, fallback and the default flag', async () => {
    const response = await admin.groups.listGroups({});
    expect(response.defaultGroup).toBe('adhoc');
    expect(response.groups).toEqual([
      { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'trino-a', weight: 1 }, { backend: 'trino-b', weight: 1 }], fallback: undefined, isDefault: true },
      { name: 'etl', strategy: 'round_robin', members: [{ backend: 'trino-b', weight: 1 }], fallback: 'adhoc', isDefault: false },
    ]);
    expect((await admin.groups.getGroup({ name: 'etl' })).group?.fallback).toBe('adhoc');
    await failure(admin.groups.getGroup({ name: 'nope' }), grpc.status.NOT_FOUND, /group "nope" does not exist/);
  });

  it('creates a group with defaults (round_robin, weight 1) and validates references', async () => {
    const created = await admin.groups.createGroup({
      group: { name: 'bi', strategy: '', members: [{ backend: 'trino-a', weight: undefined }, { backend: 'trino-b', weight: 3 }], fallback: 'adhoc', isDefault: false },
    });
    expect(created.group).toEqual({ name: 'bi', strategy: 'round_robin', members: [{ backend: 'trino-a', weight: 1 }, { backend: 'trino-b', weight: 3 }], fallback: 'adhoc', isDefault: false });
    expect(await snapshotIsCurrent()).toBe(true);
    await failure(admin.groups.createGroup({ group: { name: 'bi', strategy: '', members: [{ backend: 'trino-a' }], isDefault: false } }), grpc.status.ALREADY_EXISTS);
    await failure(admin.groups.createGroup({ group: { name: 'x', strategy: 'fastest', members: [{ backend: 'trino-a' }], isDefault: false } }), grpc.status.INVALID_ARGUMENT, /^group\.strategy: expected one of round_robin, random, weighted, least_load/);
    await failure(admin.groups.createGroup({ group: { name: 'x', strategy: '', members: [{ backend: 'trino-z' }], isDefault: false } }), grpc.status.INVALID_ARGUMENT, /^group\.members\[0\]\.backend: unknown backend "trino-z"/);
    await failure(admin.groups.createGroup({ group: { name: 'x', strategy: '', members: [], isDefault: false } }), grpc.status.INVALID_ARGUMENT, /^group\.members: a group needs at least one backend/);
    await failure(admin.groups.createGroup({ group: { name: 'x', strategy: 'weighted', members: [{ backend: 'trino-a', weight: 0 }], isDefault: false } }), grpc.status.INVALID_ARGUMENT, /weight above 0/);
    await failure(admin.groups.createGroup({ group: { name: 'x', strategy: '', members: [{ backend: 'trino-a' }], fallback: 'nope', isDefault: false } }), grpc.status.INVALID_ARGUMENT, /^group\.fallback: unknown group "nope"/);
  });

  it('updates masked fields; refuses a fallback cycle', async () => {
    const updated = await admin.groups.updateGroup({ group: { name: 'bi', strategy: 'weighted', members: [], isDefault: false }, updateMask: ['strategy'] });
    expect(updated.group).toMatchObject({ strategy: 'weighted', members: [{ backend: 'trino-a', weight: 1 }, { backend: 'trino-b', weight: 3 }], fallback: 'adhoc' });
    const cleared = await admin.groups.updateGroup({ group: { name: 'bi', strategy: '', members: [], isDefault: false }, updateMask: ['fallback'] });
    expect(cleared.group?.fallback).toBeUndefined();
    await failure(admin.groups.updateGroup({ group: { name: 'adhoc', strategy: '', members: [], fallback: 'etl', isDefault: false }, updateMask: ['fallback'] }), grpc.status.INVALID_ARGUMENT, /fallback chain forms a cycle/);
    await failure(admin.groups.updateGroup({ group: { name: 'bi', strategy: '', members: [], isDefault: false }, updateMask: ['backends'] }), grpc.status.INVALID_ARGUMENT, /^update_mask\[0\]/);
    await failure(admin.groups.updateGroup({ group: { name: 'nope', strategy: '', members: [], isDefault: false }, updateMask: ['strategy'] }), grpc.status.NOT_FOUND);
  });

  it('sets the default group; NOT_FOUND for an unknown one', async () => {
    const set = await admin.groups.setDefaultGroup({ name: 'bi' });
    expect((await admin.groups.listGroups({})).defaultGroup).toBe('bi');
    expect(set.revision).toBe((await fixture.router.store.routing.revision()));
    await failure(admin.groups.setDefaultGroup({ name: 'nope' }), grpc.status.NOT_FOUND);
    await failure(admin.groups.setDefaultGroup({ name: '' }), grpc.status.INVALID_ARGUMENT);
    await admin.groups.setDefaultGroup({ name: 'adhoc' });
  });

  it('refuses to delete a group in use (FAILED_PRECONDITION) and deletes a free one', async () => {
    await failure(admin.groups.deleteGroup({ name: 'etl' }), grpc.status.FAILED_PRECONDITION, /rule\(s\) etl-tags, airflow target it/);
    await failure(admin.groups.deleteGroup({ name: 'adhoc' }), grpc.status.FAILED_PRECONDITION, /it is the default group.*group\(s\) etl fall back to it/);
    await admin.groups.deleteGroup({ name: 'bi' });
    await failure(admin.groups.deleteGroup({ name: 'bi' }), grpc.status.NOT_FOUND);
  });
});

describe('RuleService', () => {
  const names = (rules: readonly Rule[]) => rules.map((r) => r.name);

  it('lists rules in evaluation order with their conditions', async () => {
    const response = await admin.rules.listRules({});
    expect(names(response.rules)).toEqual(['etl-tags', 'airflow']);
    expect(response.rules[0]).toEqual({
      name: 'etl-tags', priority: 10, group: 'etl', requestedGroups: [], noFallback: false,
      match: { listenerPort: [], sessionProperties: {}, header: [], clientTags: { kind: { $case: 'containsAny', value: { values: ['etl'] } } } },
    });
    expect((await admin.rules.getRule({ name: 'airflow' })).rule?.match?.source).toEqual({ kind: { $case: 'exact', value: 'airflow' } });
    await failure(admin.rules.getRule({ name: 'nope' }), grpc.status.NOT_FOUND, /rule "nope" does not exist/);
  });

  it('creates rules with every kind of condition, priority 100 by default', async () => {
    const created = await admin.rules.createRule({
      rule: {
        name: 'bi', group: 'adhoc', priority: undefined, requestedGroups: [], noFallback: false,
        match: {
          user: { kind: { $case: 'regex', value: '^bi_' } },
          catalog: { kind: { $case: 'anyOf', value: { values: ['hive', 'iceberg'] } } },
          listenerPort: [8443],
          clientTags: { kind: { $case: 'containsAll', value: { values: ['a', 'b'] } } },
          sessionProperties: { query_priority: '1' },
          header: [],
        },
      },
    });
    expect(created.rule?.priority).toBe(100);
    expect((await storedRule(fixture.router.store, 'bi')).match).toEqual({
      user: { regex: '^bi_' }, catalog: { anyOf: ['hive', 'iceberg'] }, listenerPort: [8443], clientTags: { containsAll: ['a', 'b'] }, sessionProperties: { query_priority: '1' },
    });
    expect(await snapshotIsCurrent()).toBe(true);
  });

  it('refuses bad rules naming the field', async () => {
    const rule = (extra: Partial<Rule>): Rule => ({ requestedGroups: [], noFallback: false, name: 'x', group: 'adhoc', priority: 1, match: { listenerPort: [], sessionProperties: {}, header: [] }, ...extra });
    await failure(admin.rules.createRule({ rule: rule({ name: 'bi' }) }), grpc.status.ALREADY_EXISTS);
    await failure(admin.rules.createRule({ rule: rule({ group: 'nope' }) }), grpc.status.INVALID_ARGUMENT, /^rule\.group: unknown group "nope"/);
    await failure(admin.rules.createRule({ rule: rule({ match: { listenerPort: [], sessionProperties: {}, header: [], user: { kind: { $case: 'regex', value: '(' } } } }) }), grpc.status.INVALID_ARGUMENT, /^rule\.match\.user\.regex: invalid regular expression/);
    await failure(admin.rules.createRule({ rule: rule({ match: { listenerPort: [], sessionProperties: {}, header: [], source: {} } }) }), grpc.status.INVALID_ARGUMENT, /^rule\.match\.source: set exactly one of exact, any_of, regex/);
    await failure(admin.rules.createRule({ rule: rule({ match: { listenerPort: [70000], sessionProperties: {}, header: [] } }) }), grpc.status.INVALID_ARGUMENT, /^rule\.match\.listener_port\[0\]: expected a port 1-65535/);
    await failure(admin.rules.createRule({ rule: rule({ match: { listenerPort: [], sessionProperties: {}, header: [], clientTags: { kind: { $case: 'containsAny', value: { values: [] } } } } }) }), grpc.status.INVALID_ARGUMENT, /^rule\.match\.client_tags\.contains_any: expected a non-empty list/);
    await failure(admin.rules.createRule({ rule: rule({ name: '' }) }), grpc.status.INVALID_ARGUMENT, /^rule\.name: required/);
  });

  it('updates masked fields and keeps the others', async () => {
    const updated = await admin.rules.updateRule({ rule: { requestedGroups: [], noFallback: false, name: 'bi', group: 'etl', priority: 5 }, updateMask: ['priority'] });
    expect(updated.rule).toMatchObject({ priority: 5, group: 'adhoc' });
    expect(updated.rule?.match?.user).toEqual({ kind: { $case: 'regex', value: '^bi_' } });
    const matchOnly = await admin.rules.updateRule({ rule: { requestedGroups: [], noFallback: false, name: 'bi', group: '', match: { listenerPort: [], sessionProperties: {}, header: [], user: { kind: { $case: 'exact', value: 'bob' } } } }, updateMask: ['match'] });
    expect((await storedRule(fixture.router.store, 'bi'))).toEqual({ name: 'bi', priority: 5, group: 'adhoc', match: { user: { exact: 'bob' } } });
    expect(matchOnly.revision).toBe((await fixture.router.store.routing.revision()));
    await failure(admin.rules.updateRule({ rule: { requestedGroups: [], noFallback: false, name: 'nope', group: 'adhoc' }, updateMask: [] }), grpc.status.NOT_FOUND);
    await failure(admin.rules.updateRule({ rule: { requestedGroups: [], noFallback: false, name: 'bi', group: 'nope' }, updateMask: ['group'] }), grpc.status.INVALID_ARGUMENT, /^rule\.group: unknown group/);
  });

  it('reorders every rule in one change; refuses a partial, repeated or unknown list', async () => {
    expect(names((await admin.rules.listRules({})).rules)).toEqual(['bi', 'etl-tags', 'airflow']);
    const reordered = await admin.rules.reorderRules({ names: ['airflow', 'bi', 'etl-tags'], firstPriority: 100, step: 5 });
    expect(reordered.rules.map((r) => [r.name, r.priority])).toEqual([['airflow', 100], ['bi', 105], ['etl-tags', 110]]);
    expect(reordered.revision).toBe((await fixture.router.store.routing.revision()));
    expect(await snapshotIsCurrent()).toBe(true);
    const defaults = await admin.rules.reorderRules({ names: ['etl-tags', 'airflow', 'bi'] });
    expect(defaults.rules.map((r) => r.priority)).toEqual([10, 20, 30]);
    await failure(admin.rules.reorderRules({ names: ['airflow'] }), grpc.status.INVALID_ARGUMENT, /^names: list every rule exactly once; missing: etl-tags, bi/);
    await failure(admin.rules.reorderRules({ names: ['airflow', 'airflow', 'bi', 'etl-tags'] }), grpc.status.INVALID_ARGUMENT, /^names\[1\]: rule "airflow" is listed twice/);
    await failure(admin.rules.reorderRules({ names: ['airflow', 'bi', 'nope'] }), grpc.status.NOT_FOUND);
    await failure(admin.rules.reorderRules({ names: ['airflow', 'bi', 'etl-tags'], step: 0 }), grpc.status.INVALID_ARGUMENT, /^step:/);
    // The failed calls changed nothing.
    expect(names((await admin.rules.listRules({})).rules)).toEqual(['etl-tags', 'airflow', 'bi']);
  });

  it('deletes a rule', async () => {
    await admin.rules.deleteRule({ name: 'bi' });
    await failure(admin.rules.deleteRule({ name: 'bi' }), grpc.status.NOT_FOUND);
    await failure(admin.rules.deleteRule({ name: '' }), grpc.status.INVALID_ARGUMENT);
  });
});
