import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { RoutingConfig } from '../../../src/routing/model.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidRoutingError,
  NotFoundError,
  openStore,
  type Store,
} from '../../../src/store/index.js';
import { backend, sampleConfig } from '../routing/fixtures.js';
import { onCleanup, tempDir, tempStore } from './temp-store.js';

function seeded(): Store {
  const store = tempStore();
  store.routing.replaceAll(sampleConfig());
  return store;
}

/** Runs `change` expecting a typed rejection, and checks that nothing changed. */
function rejects<E extends Error>(store: Store, change: () => unknown, type: new (...args: never[]) => E): E {
  const before = store.routing.loadWithRevision();
  let caught: unknown;
  try {
    change();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  expect(store.routing.loadWithRevision()).toStrictEqual(before);
  return caught as E;
}

describe('RoutingRepository: whole config', () => {
  it('a new store is empty at revision 0', () => {
    const store = tempStore();
    expect(store.routing.isEmpty()).toBe(true);
    expect(store.routing.revision()).toBe(0);
    expect(store.routing.load()).toStrictEqual({ backends: [], groups: [], rules: [], defaultGroup: '' });
  });

  it('replaceAll then load gives back exactly the same config, order kept', () => {
    const store = tempStore();
    const cfg: RoutingConfig = {
      ...sampleConfig(),
      backends: [
        backend('z', { maxLoad: 12.5, schedules: [{ cron: '* 8-18 * * 1-5', timeZone: 'Europe/Berlin' }] }),
        backend('a', { enabled: false, prefixRouting: false }),
        backend('b'),
      ],
    };
    expect(store.routing.replaceAll(cfg)).toBe(1);
    expect(store.routing.isEmpty()).toBe(false);
    expect(store.routing.load()).toStrictEqual(cfg);
    expect(store.routing.loadWithRevision()).toStrictEqual({ config: cfg, revision: 1 });
  });

  it('the config survives a reopen', () => {
    const path = join(tempDir(), 'router.db');
    const first = openStore(path);
    first.routing.replaceAll(sampleConfig());
    first.close();
    const second = openStore(path);
    onCleanup(() => second.close());
    expect(second.routing.load()).toStrictEqual(sampleConfig());
    expect(second.routing.revision()).toBe(1);
  });

  it('replaceAll rejects an invalid config with every issue and changes nothing', () => {
    const store = seeded();
    const bad = { ...sampleConfig(), defaultGroup: 'nope', rules: [{ name: 'r', priority: 1, group: 'ghost', match: {} }] };
    const error = rejects(store, () => store.routing.replaceAll(bad), InvalidRoutingError);
    expect(error.code).toBe('invalid_argument');
    expect(error.issues.map((i) => i.path)).toEqual(['rules[0].group', 'defaultGroup']);
  });

  it('setDefaultGroup validates the target', () => {
    const store = seeded();
    expect(store.routing.setDefaultGroup('etl')).toBe(2);
    expect(store.routing.load().defaultGroup).toBe('etl');
    const error = rejects(store, () => store.routing.setDefaultGroup('ghost'), InvalidRoutingError);
    expect(error.issues[0]?.path).toBe('defaultGroup');
  });
});

describe('RoutingRepository: backends', () => {
  it('create, get, list, update, delete; each bumps the revision', () => {
    const store = seeded();
    expect(store.routing.createBackend(backend('c', { maxLoad: 5 }))).toBe(2);
    expect(store.routing.getBackend('c')).toStrictEqual(backend('c', { maxLoad: 5 }));
    expect(store.routing.listBackends().map((b) => b.name)).toEqual(['a', 'b', 'c']);
    expect(store.routing.updateBackend(backend('c', { enabled: false }))).toBe(3);
    expect(store.routing.getBackend('c')).toStrictEqual(backend('c', { enabled: false }));
    expect(store.routing.deleteBackend('c')).toBe(4);
    expect(store.routing.listBackends().map((b) => b.name)).toEqual(['a', 'b']);
    expect(store.routing.revision()).toBe(4);
  });

  it('typed errors: not found, already exists, in use, invalid (labelled by entity)', () => {
    const store = seeded();
    expect(rejects(store, () => store.routing.getBackend('x'), NotFoundError).code).toBe('not_found');
    rejects(store, () => store.routing.updateBackend(backend('x')), NotFoundError);
    rejects(store, () => store.routing.deleteBackend('x'), NotFoundError);
    const exists = rejects(store, () => store.routing.createBackend(backend('a')), AlreadyExistsError);
    expect(exists.code).toBe('already_exists');
    const inUse = rejects(store, () => store.routing.deleteBackend('b'), FailedPreconditionError);
    expect(inUse.code).toBe('failed_precondition');
    expect(inUse.message).toMatch(/member of group\(s\) adhoc, etl/);
    const invalid = rejects(store, () => store.routing.createBackend(backend('c', { url: 'ftp://c' })), InvalidRoutingError);
    expect(invalid.issues.map((i) => i.path)).toEqual(['backend.url']);
    const badSchedule = rejects(store, () => store.routing.updateBackend(backend('a', { schedules: [{ cron: '* *', timeZone: 'Mars/Olympus' }] })), InvalidRoutingError);
    expect(badSchedule.issues.map((i) => i.path)).toEqual(['backend.schedules[0].cron', 'backend.schedules[0].timeZone']);
  });
});

describe('RoutingRepository: groups', () => {
  it('create, get, update members and fallback, delete', () => {
    const store = seeded();
    store.routing.createGroup({ name: 'spare', strategy: 'weighted', members: [{ backend: 'b', weight: 3 }, { backend: 'a', weight: 0 }] });
    expect(store.routing.getGroup('spare')).toStrictEqual({ name: 'spare', strategy: 'weighted', members: [{ backend: 'b', weight: 3 }, { backend: 'a', weight: 0 }] });
    store.routing.updateGroup({ name: 'spare', strategy: 'random', members: [{ backend: 'a', weight: 1 }], fallback: 'adhoc' });
    expect(store.routing.getGroup('spare')).toStrictEqual({ name: 'spare', strategy: 'random', members: [{ backend: 'a', weight: 1 }], fallback: 'adhoc' });
    expect(store.routing.listGroups().map((g) => g.name)).toEqual(['adhoc', 'etl', 'only-a', 'spare']);
    store.routing.deleteGroup('spare');
    expect(store.routing.listGroups().map((g) => g.name)).toEqual(['adhoc', 'etl', 'only-a']);
    expect(store.routing.revision()).toBe(4);
  });

  it('refuses to delete a group still in use, saying why', () => {
    const store = seeded();
    // adhoc: default group and etl's fallback; etl: targeted by two rules.
    const adhoc = rejects(store, () => store.routing.deleteGroup('adhoc'), FailedPreconditionError);
    expect(adhoc.message).toMatch(/it is the default group; group\(s\) etl fall back to it/);
    const etl = rejects(store, () => store.routing.deleteGroup('etl'), FailedPreconditionError);
    expect(etl.message).toMatch(/rule\(s\) etl-tags, airflow target it/);
    expect(etl.context).toMatchObject({ rules: ['etl-tags', 'airflow'] });
  });

  it('typed errors for unknown members, cycles, duplicates, missing groups', () => {
    const store = seeded();
    const unknown = rejects(store, () => store.routing.createGroup({ name: 'g', strategy: 'random', members: [{ backend: 'ghost', weight: 1 }] }), InvalidRoutingError);
    expect(unknown.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['group.members[0].backend: unknown backend "ghost"']);
    const cycle = rejects(store, () => store.routing.updateGroup({ ...sampleConfig().groups[0]!, fallback: 'etl' }), InvalidRoutingError);
    expect(cycle.issues[0]?.message).toMatch(/cycle: adhoc -> etl -> adhoc/);
    rejects(store, () => store.routing.createGroup(sampleConfig().groups[0]!), AlreadyExistsError);
    rejects(store, () => store.routing.updateGroup({ name: 'ghost', strategy: 'random', members: [{ backend: 'a', weight: 1 }] }), NotFoundError);
    rejects(store, () => store.routing.deleteGroup('ghost'), NotFoundError);
    rejects(store, () => store.routing.getGroup('ghost'), NotFoundError);
  });
});

describe('RoutingRepository: rules', () => {
  it('create, get, update, delete', () => {
    const store = seeded();
    const rule = { name: 'bi', priority: 1, group: 'only-a', match: { source: { anyOf: ['tableau', 'superset'] }, listenerPort: [8443] } };
    store.routing.createRule(rule);
    expect(store.routing.getRule('bi')).toStrictEqual(rule);
    store.routing.updateRule({ ...rule, priority: 2, group: 'etl' });
    expect(store.routing.getRule('bi')).toStrictEqual({ ...rule, priority: 2, group: 'etl' });
    expect(store.routing.listRules().map((r) => r.name)).toEqual(['etl-tags', 'airflow', 'admins', 'priority-session', 'bi']);
    store.routing.deleteRule('bi');
    expect(store.routing.listRules()).toHaveLength(4);
    expect(store.routing.revision()).toBe(4);
  });

  it('typed errors', () => {
    const store = seeded();
    rejects(store, () => store.routing.createRule({ name: 'airflow', priority: 1, group: 'etl', match: {} }), AlreadyExistsError);
    rejects(store, () => store.routing.updateRule({ name: 'ghost', priority: 1, group: 'etl', match: {} }), NotFoundError);
    rejects(store, () => store.routing.deleteRule('ghost'), NotFoundError);
    rejects(store, () => store.routing.getRule('ghost'), NotFoundError);
    const invalid = rejects(store, () => store.routing.createRule({ name: 'r', priority: 1, group: 'ghost', match: { user: { regex: '(' } } }), InvalidRoutingError);
    expect(invalid.issues.map((i) => i.path)).toEqual(['rule.group', 'rule.match.user.regex']);
  });
});

describe('RoutingRepository: atomicity and building from scratch', () => {
  it('a change that fails inside an outer transaction leaves everything as it was', () => {
    const store = seeded();
    const before = store.routing.loadWithRevision();
    expect(() => store.transaction(() => {
      store.routing.createBackend(backend('c'));
      store.routing.createGroup({ name: 'g', strategy: 'random', members: [{ backend: 'c', weight: 1 }] });
      store.routing.createRule({ name: 'r', priority: 1, group: 'g', match: { user: { regex: '[' } } });
    })).toThrow(InvalidRoutingError);
    expect(store.routing.loadWithRevision()).toStrictEqual(before);
  });

  it('a constraint failure in SQL rolls back the change and its revision bump', () => {
    const store = seeded();
    const before = store.routing.loadWithRevision();
    // Bypass validation to provoke the CHECK on weight (the repository validates first in real use).
    const db = (store.routing as unknown as { db: Database.Database }).db;
    expect(() => store.transaction(() => {
      db.prepare("UPDATE settings SET value = value + 1 WHERE key = 'revision'").run();
      db.prepare("UPDATE group_members SET weight = -1 WHERE group_name = 'adhoc'").run();
    })).toThrow(/CHECK constraint/);
    expect(store.routing.loadWithRevision()).toStrictEqual(before);
  });

  it('a store can be built entity by entity through the API before a default group exists', () => {
    const store = tempStore();
    store.routing.createBackend(backend('a'));
    store.routing.createGroup({ name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] });
    store.routing.setDefaultGroup('adhoc');
    // Once set, the default group is enforced like any other reference.
    expect(() => store.routing.deleteGroup('adhoc')).toThrow(FailedPreconditionError);
    expect(store.routing.load()).toStrictEqual({
      backends: [backend('a')],
      groups: [{ name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] }],
      rules: [],
      defaultGroup: 'adhoc',
    });
    expect(store.routing.revision()).toBe(3);
  });

  it('a second connection sees the revision move', () => {
    const path = join(tempDir(), 'router.db');
    const writer = openStore(path);
    const reader = openStore(path);
    onCleanup(() => {
      writer.close();
      reader.close();
    });
    writer.routing.replaceAll(sampleConfig());
    expect(reader.routing.revision()).toBe(1);
    writer.routing.deleteRule('airflow');
    expect(reader.routing.loadWithRevision().revision).toBe(2);
    expect(reader.routing.load().rules.map((r) => r.name)).not.toContain('airflow');
  });
});
