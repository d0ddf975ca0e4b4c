/**
 * One contract for every store backend: the same tests run against SQLite and PostgreSQL
 * (sqlite-store.test.ts, postgres-store.test.ts), through the ports the router uses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BackendStateChange } from '../../src/health/status.js';
import { InvalidHistoryFilterError } from '../../src/history/errors.js';
import type { QueryRecord } from '../../src/history/query-record.js';
import * as edits from '../../src/routing/config-edits.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidRoutingError, NotFoundError } from '../../src/routing/edit-errors.js';
import type { RoutingConfig } from '../../src/routing/model.js';
import type { OwnershipChange } from '../../src/stickiness/ownership.js';
import { seedFromConfig, type Store } from '../../src/store/index.js';
import type { NewQueueEntry } from '../../src/queue/queue-store.js';
import { backend, sampleConfig } from '../unit/routing/fixtures.js';
import type { AuditRetention } from '../../src/config/index.js';
import { FILE_METHODS, type ChangeOrigin } from '../../src/routing/config-history.js';

/** A fresh, empty database per test; `open` may be called more than once (replicas, a reopen). */
export interface StoreBacking {
  open(options?: { readonly audit?: AuditRetention }): Promise<Store>;
  destroy(): Promise<void>;
}

export function storeContract(name: string, newBacking: () => Promise<StoreBacking>): void {
  let backing: StoreBacking;
  let opened: Store[];
  const open = async (options?: { readonly audit?: AuditRetention }): Promise<Store> => {
    const store = await backing.open(options);
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    backing = await newBacking();
    opened = [];
  });
  afterEach(async () => {
    for (const store of opened.reverse()) await store.close().catch(() => {});
    await backing.destroy();
  });

  /** One admin-style change: edit the current config, write it; resolves to the new revision. */
  const change = (store: Store, edit: (config: RoutingConfig) => RoutingConfig): Promise<number> =>
    store.routing.transaction(async (tx) => tx.write(edit((await tx.read()).config)));

  const seeded = async (): Promise<Store> => {
    const store = await open();
    await change(store, (c) => edits.replaceAll(c, sampleConfig()));
    return store;
  };

  /** Expects a typed refusal and checks that nothing changed. */
  const refuses = async <E extends Error>(store: Store, attempt: () => Promise<unknown>, type: new (...args: never[]) => E): Promise<E> => {
    const before = await store.routing.read();
    const caught = await attempt().then(() => undefined, (error: unknown) => error);
    expect(caught).toBeInstanceOf(type);
    expect(await store.routing.read()).toStrictEqual(before);
    return caught as E;
  };

  describe(`${name} store: routing`, () => {
    it('a new store is empty at revision 0', async () => {
      const store = await open();
      expect(await store.routing.read()).toStrictEqual({ config: { backends: [], groups: [], rules: [], defaultGroup: '' }, revision: 0 });
      expect(await store.routing.transaction((tx) => tx.read())).toMatchObject({ empty: true, revision: 0 });
    });

    it('a whole config written reads back exactly, order kept, and survives a reopen', async () => {
      const store = await open();
      const cfg: RoutingConfig = {
        ...sampleConfig(),
        backends: [
          backend('z', { maxLoad: 12.5, schedules: [{ cron: '* 8-18 * * 1-5', timeZone: 'Europe/Berlin' }] }),
          backend('a', { enabled: false, prefixRouting: false, draining: true }),
          backend('b'),
        ],
      };
      expect(await change(store, (c) => edits.replaceAll(c, cfg))).toBe(1);
      expect(await store.routing.read()).toStrictEqual({ config: cfg, revision: 1 });
      expect(await store.routing.transaction((tx) => tx.read())).toMatchObject({ empty: false });
      await store.close();
      const again = await open();
      expect(await again.routing.read()).toStrictEqual({ config: cfg, revision: 1 });
    });

    it('writing what is stored changes nothing and keeps the revision', async () => {
      const store = await seeded();
      expect(await change(store, () => sampleConfig())).toBe(1);
      expect(await store.routing.revision()).toBe(1);
    });

    it('create, update and delete each bump the revision once; refusals change nothing', async () => {
      const store = await seeded();
      expect(await change(store, (c) => edits.createBackend(c, backend('c', { maxLoad: 5 })))).toBe(2);
      expect(await change(store, (c) => edits.updateBackend(c, backend('c', { enabled: false })))).toBe(3);
      expect((await store.routing.read()).config.backends.map((b) => b.name)).toEqual(['a', 'b', 'c']);
      expect(await change(store, (c) => edits.deleteBackend(c, 'c'))).toBe(4);
      await refuses(store, () => change(store, (c) => edits.createBackend(c, backend('a'))), AlreadyExistsError);
      await refuses(store, () => change(store, (c) => edits.updateBackend(c, backend('x'))), NotFoundError);
      const inUse = await refuses(store, () => change(store, (c) => edits.deleteBackend(c, 'b')), FailedPreconditionError);
      expect(inUse.message).toMatch(/member of group\(s\) adhoc, etl/);
      const invalid = await refuses(store, () => change(store, (c) => edits.createBackend(c, backend('c', { url: 'ftp://c' }))), InvalidRoutingError);
      expect(invalid.issues.map((i) => i.path)).toEqual(['backend.url']);
      expect(await store.routing.revision()).toBe(4);
    });

    it('groups: members, weights and fallback round-trip; a group in use is refused with the reason', async () => {
      const store = await seeded();
      await change(store, (c) => edits.createGroup(c, { name: 'spare', strategy: 'weighted', members: [{ backend: 'b', weight: 3 }, { backend: 'a', weight: 0 }] }));
      await change(store, (c) => edits.updateGroup(c, { name: 'spare', strategy: 'random', members: [{ backend: 'a', weight: 1.5 }], fallback: 'adhoc' }));
      const { config } = await store.routing.read();
      expect(config.groups.find((g) => g.name === 'spare')).toStrictEqual({ name: 'spare', strategy: 'random', members: [{ backend: 'a', weight: 1.5 }], fallback: 'adhoc' });
      expect(config.groups.map((g) => g.name)).toEqual(['adhoc', 'etl', 'only-a', 'spare']);
      const adhoc = await refuses(store, () => change(store, (c) => edits.deleteGroup(c, 'adhoc')), FailedPreconditionError);
      expect(adhoc.message).toMatch(/it is the default group; group\(s\) etl, spare fall back to it/);
      const cycle = await refuses(store, () => change(store, (c) => edits.updateGroup(c, { ...sampleConfig().groups[0]!, fallback: 'etl' })), InvalidRoutingError);
      expect(cycle.issues[0]?.message).toMatch(/cycle: adhoc -> etl -> adhoc/);
      await change(store, (c) => edits.deleteGroup(c, 'spare'));
      expect((await store.routing.read()).config.groups.map((g) => g.name)).toEqual(['adhoc', 'etl', 'only-a']);
    });

    it('rules: match objects round-trip; bad ones are refused by field', async () => {
      const store = await seeded();
      const rule = { name: 'bi', priority: 1, group: 'only-a', match: { source: { anyOf: ['tableau', 'superset'] }, listenerPort: [8443] } };
      await change(store, (c) => edits.createRule(c, rule));
      await change(store, (c) => edits.updateRule(c, { ...rule, priority: 2, group: 'etl' }));
      const { config } = await store.routing.read();
      expect(config.rules.find((r) => r.name === 'bi')).toStrictEqual({ ...rule, priority: 2, group: 'etl' });
      expect(config.rules.map((r) => r.name)).toEqual(['etl-tags', 'airflow', 'admins', 'priority-session', 'bi']);
      const invalid = await refuses(store, () => change(store, (c) => edits.createRule(c, { name: 'r', priority: 1, group: 'ghost', match: { user: { regex: '(' } } })), InvalidRoutingError);
      expect(invalid.issues.map((i) => i.path)).toEqual(['rule.group', 'rule.match.user.regex']);
    });

    it('a store can be built entity by entity before a default group exists; then it is enforced', async () => {
      const store = await open();
      await change(store, (c) => edits.createBackend(c, backend('a')));
      await change(store, (c) => edits.createGroup(c, { name: 'adhoc', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] }));
      expect(await change(store, (c) => edits.setDefaultGroup(c, 'adhoc'))).toBe(3);
      await refuses(store, () => change(store, (c) => edits.deleteGroup(c, 'adhoc')), FailedPreconditionError);
      expect((await store.routing.read()).config.defaultGroup).toBe('adhoc');
    });

    it('write itself refuses an invalid config, whoever calls it', async () => {
      const store = await seeded();
      const error = await refuses(store, () => store.routing.transaction((tx) => tx.write({ ...sampleConfig(), defaultGroup: 'nope' })), InvalidRoutingError);
      expect(error.issues.map((i) => i.path)).toEqual(['defaultGroup']);
    });

    it('a failure after the write rolls back the change and its revision bump', async () => {
      const store = await seeded();
      const before = await store.routing.read();
      const failure = await store.routing.transaction(async (tx) => {
        await tx.write(edits.createBackend((await tx.read()).config, backend('c')));
        throw new Error('operator cancelled');
      }).catch((error: unknown) => error);
      expect((failure as Error).message).toBe('operator cancelled');
      expect(await store.routing.read()).toStrictEqual(before);
    });

    it('another handle on the same database sees each commit; concurrent writers serialize', async () => {
      const first = await seeded();
      const second = await open();
      expect(await second.routing.revision()).toBe(1);
      await change(first, (c) => edits.deleteRule(c, 'airflow'));
      expect((await second.routing.read()).config.rules.map((r) => r.name)).not.toContain('airflow');
      const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
      const revisions = await Promise.all(names.map((n, i) => change(i % 2 === 0 ? first : second, (c) => edits.createBackend(c, backend(n)))));
      expect(new Set(revisions).size).toBe(names.length);
      expect(Math.max(...revisions)).toBe(2 + names.length);
      expect((await first.routing.read()).config.backends.map((b) => b.name).sort()).toEqual(['a', 'b', ...names].sort());
    });

    it('seeding: if-empty seeds once; overwrite replaces but not when nothing differs; invalid seeds nothing', async () => {
      const store = await open();
      await expect(seedFromConfig(store.routing, { ...sampleConfig(), defaultGroup: 'nope' }, 'if-empty')).rejects.toThrow(/defaultGroup/);
      expect(await store.routing.revision()).toBe(0);
      expect(await seedFromConfig(store.routing, sampleConfig(), 'if-empty')).toStrictEqual({ seeded: true, revision: 1 });
      await change(store, (c) => edits.createBackend(c, backend('c')));
      expect(await seedFromConfig(store.routing, sampleConfig(), 'if-empty')).toStrictEqual({ seeded: false, revision: 2 });
      expect(await seedFromConfig(store.routing, sampleConfig(), 'overwrite')).toStrictEqual({ seeded: true, revision: 3 });
      expect(await seedFromConfig(store.routing, sampleConfig(), 'overwrite')).toStrictEqual({ seeded: false, revision: 3 });
      expect((await store.routing.read()).config).toStrictEqual(sampleConfig());
    });
  });

  describe(`${name} store: ownership`, () => {
    const owner = (i: number, at: number): OwnershipChange => ({
      kind: 'query', queryId: `20260101_000000_${String(i).padStart(5, '0')}_abcde`, backend: i % 2 === 0 ? 'trino-a' : 'trino-b', learnedBy: 'response', at,
    });

    it('a batch of mixed changes lands in order; the last word on a key wins', async () => {
      const store = await open();
      await store.ownership.applyChanges([
        { kind: 'query', queryId: 'q1', backend: 'trino-a', learnedBy: 'probe', at: 1 },
        { kind: 'query', queryId: 'q1', backend: 'trino-b', learnedBy: 'response', at: 2 },
        { kind: 'coordinator', coordinatorId: 'abcde', backend: 'trino-a', at: 1 },
        { kind: 'transaction_started', transactionId: 't1', backend: 'trino-a', at: 2 },
        { kind: 'transaction_started', transactionId: 't2', backend: 'trino-b', at: 2 },
        { kind: 'transaction_ended', transactionId: 't1', at: 3 },
      ]);
      expect(await store.ownership.findQueryOwner('q1')).toStrictEqual({ queryId: 'q1', backend: 'trino-b', learnedBy: 'response', at: 2 });
      expect(await store.ownership.findQueryOwner('unknown')).toBeUndefined();
      expect(await store.ownership.listCoordinators()).toStrictEqual([{ coordinatorId: 'abcde', backend: 'trino-a', at: 1 }]);
      expect((await store.ownership.listTransactions()).map((t) => t.transactionId)).toEqual(['t2']);
    });

    it('a large batch, read back newest first since a time, oldest first in the answer', async () => {
      const store = await open();
      await store.ownership.applyChanges(Array.from({ length: 2500 }, (_, i) => owner(i, 100 + i)));
      expect((await store.ownership.loadRecentQueryOwners(103, 4)).map((r) => r.at)).toEqual([2596, 2597, 2598, 2599]);
      expect((await store.ownership.loadRecentQueryOwners(2597, 100)).map((r) => r.at)).toEqual([2597, 2598, 2599]);
    });

    it('a batch is one transaction: a bad row leaves none of it', async () => {
      const store = await open();
      const bad = { kind: 'query', queryId: 'bad', backend: null as unknown as string, learnedBy: 'response', at: 5 } as const;
      await expect(store.ownership.applyChanges([owner(1, 1), bad])).rejects.toThrow();
      expect(await store.ownership.findQueryOwner(`20260101_000000_00001_abcde`)).toBeUndefined();
    });

    it('prunes by age, then by count; transactions and coordinators by their own age', async () => {
      const store = await open();
      await store.ownership.applyChanges([
        ...Array.from({ length: 10 }, (_, i) => owner(i, 100 + i)),
        { kind: 'transaction_started', transactionId: 'old', backend: 'trino-a', at: 10 },
        { kind: 'transaction_started', transactionId: 'new', backend: 'trino-a', at: 500 },
        { kind: 'coordinator', coordinatorId: 'gone1', backend: 'trino-a', at: 10 },
        { kind: 'coordinator', coordinatorId: 'live1', backend: 'trino-b', at: 500 },
      ]);
      expect(await store.ownership.prune({ olderThan: 102, maxRows: 5 })).toStrictEqual({ queryOwners: 5, transactions: 0, coordinators: 0, loginFlows: 0 });
      expect((await store.ownership.loadRecentQueryOwners(0, 100)).map((r) => r.at)).toEqual([105, 106, 107, 108, 109]);
      expect(await store.ownership.prune({ olderThan: 0, maxRows: 100, transactionsOlderThan: 100, coordinatorsOlderThan: 100 }))
        .toStrictEqual({ queryOwners: 0, transactions: 1, coordinators: 1, loginFlows: 0 });
      expect((await store.ownership.listTransactions()).map((t) => t.transactionId)).toEqual(['new']);
      expect((await store.ownership.listCoordinators()).map((c) => c.coordinatorId)).toEqual(['live1']);
    });

    it('login flows: the first challenge of a hash stays, another handle finds it, pruned by age then count', async () => {
      const writer = await open();
      const reader = await open();
      const flow = (i: number, backend: string, at: number): OwnershipChange => ({ kind: 'login_flow', authIdHash: String(i).padStart(64, '0'), backend, at });
      await writer.ownership.applyChanges([flow(1, 'trino-a', 10), flow(1, 'trino-b', 11), flow(2, 'trino-b', 20), flow(3, 'trino-a', 30), flow(4, 'trino-a', 40)]);
      expect(await reader.ownership.findLoginFlow(String(1).padStart(64, '0'))).toStrictEqual({ authIdHash: String(1).padStart(64, '0'), backend: 'trino-a', at: 10 });
      expect(await reader.ownership.findLoginFlow('f'.repeat(64))).toBeUndefined();
      expect((await reader.ownership.loadRecentLoginFlows(15, 2)).map((f) => f.at)).toEqual([30, 40]);
      expect(await writer.ownership.prune({ olderThan: 0, maxRows: 100, loginFlowsOlderThan: 15, maxLoginFlows: 2 }))
        .toStrictEqual({ queryOwners: 0, transactions: 0, coordinators: 0, loginFlows: 2 });
      expect((await reader.ownership.loadRecentLoginFlows(0, 10)).map((f) => f.at)).toEqual([30, 40]);
    });

    it('what one handle writes, another reads', async () => {
      const writer = await open();
      const reader = await open();
      await writer.ownership.applyChanges([owner(7, 70)]);
      expect((await reader.ownership.loadRecentQueryOwners(0, 10)).map((r) => r.backend)).toEqual(['trino-b']);
    });
  });

  describe(`${name} store: query history`, () => {
    let sequence = 0;
    const record = (fields: Partial<QueryRecord> & { submittedAt: number }): QueryRecord => ({
      queryId: `20260101_000000_${String(++sequence).padStart(5, '0')}_abcde`,
      backend: 'trino-a', group: 'adhoc', rule: null, mechanism: 'rules', user: 'alice', source: 'trino-cli', clientTags: [], statement: null, outcome: 'forwarded', message: null, queuedMs: null,
      ...fields,
    });

    it('appends once per query, lists newest first with every field, filters alone and together', async () => {
      const store = await open();
      const rows = [
        record({ submittedAt: 10, clientTags: ['etl', 'nightly'], rule: 'etl-tags', user: 'alice', source: 'cli', backend: 'trino-a', group: 'adhoc', queuedMs: 4321 }),
        record({
          submittedAt: 20, user: 'bob', source: 'airflow', backend: 'trino-b', group: 'etl',
          statement: { kind: 'insert', tablesRead: ['hive.raw.e'], tablesWritten: ['hive.etl.events'], parseMicros: 1234, unknownReason: null },
        }),
        record({ submittedAt: 30, user: 'alice', source: 'airflow', backend: 'trino-b', group: 'etl' }),
        record({ submittedAt: 40, user: null, source: null, group: null, mechanism: 'transaction', statement: { kind: 'unknown', tablesRead: [], tablesWritten: [], parseMicros: 0, unknownReason: 'too_large' } }),
      ];
      expect(await store.history.append(rows)).toBe(4);
      expect(await store.history.append(rows)).toBe(0);
      expect(await store.history.list({})).toStrictEqual([...rows].reverse());
      const at = async (filter: Parameters<Store['history']['list']>[0]) => (await store.history.list(filter)).map((r) => r.submittedAt);
      expect(await at({ user: 'alice' })).toEqual([30, 10]);
      expect(await at({ source: 'airflow' })).toEqual([30, 20]);
      expect(await at({ backend: 'trino-b' })).toEqual([30, 20]);
      expect(await at({ group: 'etl' })).toEqual([30, 20]);
      expect(await at({ from: 20, to: 30 })).toEqual([30, 20]);
      expect(await at({ user: 'alice', group: 'etl', from: 15 })).toEqual([30]);
      expect(await at({ limit: 1 })).toEqual([40]);
      await expect(store.history.list({ limit: -1 })).rejects.toThrow(InvalidHistoryFilterError);
    });

    it('keeps refused submissions with their reason and message, without a backend, and filters by outcome', async () => {
      const store = await open();
      const forwarded = record({ submittedAt: 10 });
      const refused = record({
        queryId: 'refused_0123456789abcdef0123456789abcdef', submittedAt: 20, backend: null, group: 'etl', rule: 'etl-tags',
        outcome: 'no_backend', message: 'No Trino cluster can take this query now (group etl: trino-b unhealthy)',
      });
      const unreadable = record({ queryId: 'refused_ffffffffffffffffffffffffffffffff', submittedAt: 30, backend: null, group: null, user: null, source: null, outcome: 'bad_headers', message: 'X-Trino-User: 2 values' });
      expect(await store.history.append([forwarded, refused, unreadable])).toBe(3);
      expect(await store.history.list({ outcome: 'no_backend' })).toStrictEqual([refused]);
      expect((await store.history.list({ outcome: 'forwarded' })).map((r) => r.submittedAt)).toEqual([10]);
      expect((await store.history.list({ group: 'etl' })).map((r) => r.outcome)).toEqual(['no_backend']);
      expect(await store.history.list({})).toStrictEqual([unreadable, refused, forwarded]);
      await expect(store.history.list({ outcome: 'lost' })).rejects.toThrow(InvalidHistoryFilterError);
      await expect(store.history.list({ outcome: 'constructor' })).rejects.toThrow(InvalidHistoryFilterError);
    });

    it('prunes past retention, then the oldest beyond the cap, at most `limit` per call', async () => {
      const store = await open();
      await store.history.append(Array.from({ length: 10 }, (_, i) => record({ submittedAt: i })));
      expect(await store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 3, cap: 0 });
      expect(await store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 1, cap: 2 });
      expect(await store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 0, cap: 2 });
      expect(await store.history.prune({ olderThan: 4, maxRows: 2, limit: 3 })).toStrictEqual({ retention: 0, cap: 0 });
      expect((await store.history.list({})).map((r) => r.submittedAt)).toEqual([9, 8]);
    });
  });

  describe(`${name} store: backend state history`, () => {
    const stateChange = (backendName: string, at: number, to: BackendStateChange['to'] = 'healthy'): BackendStateChange =>
      ({ backend: backendName, from: 'unknown', to, at, reason: `change at ${at}` });

    it('newest first per backend, capped per backend, pruned by age', async () => {
      const store = await open();
      const states = store.backendStates;
      await states.append(stateChange('other', 0), 3);
      for (let i = 1; i <= 10; i++) await states.append(stateChange('a', i, i % 2 === 0 ? 'healthy' : 'unhealthy'), 3);
      expect(await states.list('a', 100)).toStrictEqual([stateChange('a', 10), stateChange('a', 9, 'unhealthy'), stateChange('a', 8)]);
      expect(await states.list('a', 1)).toHaveLength(1);
      expect(await states.list('a', 0)).toEqual([]);
      expect(await states.list('other', 100)).toHaveLength(1);
      expect(await states.pruneOlderThan(9)).toBe(2);
      expect((await states.list('a', 100)).map((c) => c.at)).toEqual([10, 9]);
    });
  });

  describe(`${name} store: config history`, () => {
    const by = (method: string, peer = 'ipv4:10.0.0.7:5000'): ChangeOrigin => ({ method, author: { token: 'admin', peer } });
    const changeBy = (store: Store, origin: ChangeOrigin, edit: (config: RoutingConfig) => RoutingConfig): Promise<number> =>
      store.routing.transaction(async (tx) => tx.write(edit((await tx.read()).config), origin));

    it('every committed change is recorded with its origin, diff and the whole config; no-op writes and rollbacks are not', async () => {
      const store = await open();
      const seededAt = await changeBy(store, { method: FILE_METHODS.seed, author: { file: '/etc/router.yaml' } }, (c) => edits.replaceAll(c, sampleConfig()));
      const added = await changeBy(store, by('BackendService/CreateBackend'), (c) => edits.createBackend(c, backend('c')));
      await changeBy(store, by('BackendService/CreateBackend'), (c) => c); // nothing differs
      await store.routing.transaction(async (tx) => {
        await tx.write(edits.createBackend((await tx.read()).config, backend('d')), by('BackendService/CreateBackend'));
        throw new Error('after the write');
      }).catch(() => {});
      const page = await store.configHistory.list({ limit: 10 });
      expect(page.changes.map((c) => c.revision)).toEqual([added, seededAt]);
      expect(page.nextBeforeRevision).toBeUndefined();
      const [newest, first] = page.changes;
      expect(newest).toMatchObject({ method: 'BackendService/CreateBackend', author: { token: 'admin', peer: 'ipv4:10.0.0.7:5000' } });
      expect(newest!.diff).toStrictEqual({ backends: { added: ['c'], changed: [], removed: [] }, groups: { added: [], changed: [], removed: [] }, rules: { added: [], changed: [], removed: [] } });
      expect(first).toMatchObject({ method: FILE_METHODS.seed, author: { file: '/etc/router.yaml' }, diff: { defaultGroup: sampleConfig().defaultGroup } });
      expect(Math.abs(newest!.at - Date.now())).toBeLessThan(60_000);
      const revision = await store.configHistory.get(added);
      expect(revision?.config).toStrictEqual((await store.routing.read()).config);
      expect((await store.configHistory.get(seededAt))?.config).toStrictEqual(sampleConfig());
      expect(await store.configHistory.get(added + 1)).toBeUndefined();
      expect(await store.configHistory.range()).toStrictEqual({ oldest: seededAt, newest: added });
    });

    it('pages newest first; a write without an origin is still recorded', async () => {
      const store = await seeded();
      for (const name of ['c', 'd', 'e', 'f']) await change(store, (c) => edits.createBackend(c, backend(name)));
      const first = await store.configHistory.list({ limit: 2 });
      expect(first.changes.map((c) => c.revision)).toEqual([5, 4]);
      expect(first.changes[0]?.method).toBe('unknown');
      const second = await store.configHistory.list({ beforeRevision: first.nextBeforeRevision, limit: 2 });
      expect(second.changes.map((c) => c.revision)).toEqual([3, 2]);
      const last = await store.configHistory.list({ beforeRevision: second.nextBeforeRevision, limit: 2 });
      expect(last.changes.map((c) => c.revision)).toEqual([1]);
      expect(last.nextBeforeRevision).toBeUndefined();
    });

    it('keeps at most store.audit.maxRevisions, the newest; a reopened store keeps them', async () => {
      const store = await open({ audit: { maxRevisions: 3, maxAgeDays: 90 } });
      await change(store, (c) => edits.replaceAll(c, sampleConfig()));
      for (const name of ['c', 'd', 'e', 'f']) await change(store, (c) => edits.createBackend(c, backend(name)));
      expect((await store.configHistory.list({ limit: 100 })).changes.map((c) => c.revision)).toEqual([5, 4, 3]);
      expect(await store.configHistory.get(2)).toBeUndefined();
      const again = await open();
      expect(await again.configHistory.range()).toStrictEqual({ oldest: 3, newest: 5 });
    });
  });

  describe(`${name} store: gateway queue`, () => {
    let next = 0;
    const entry = (group: string, enqueuedAt: number, extra: Partial<NewQueueEntry> = {}): NewQueueEntry => ({
      id: `entry-${++next}`, group, rule: 'etl', user: 'alice', source: 'cli', priority: 0, userLimit: undefined, enqueuedAt, request: 'sealed', ...extra,
    });

    it('waits FIFO within a priority, higher priority first, and tells each poll how many go before it', async () => {
      const queue = (await open()).queue;
      const first = entry('g', 1);
      const second = entry('g', 2);
      const urgent = entry('g', 3, { priority: 5 });
      const elsewhere = entry('other', 0);
      for (const e of [first, second, urgent, elsewhere]) await queue.enqueue(e);
      expect((await queue.waiting('g', 10, 10)).map((e) => e.id)).toEqual([urgent.id, first.id, second.id]);
      expect((await queue.poll(second.id, 10))?.ahead).toBe(2);
      expect((await queue.poll(urgent.id, 10))?.ahead).toBe(0);
      expect((await queue.poll(elsewhere.id, 10))?.ahead).toBe(0);
      expect(await queue.poll('nope', 10)).toBeUndefined();
      expect(await queue.waitingGroups(10)).toEqual(new Map([['g', 3], ['other', 1]]));
      // The queue view shows no sealed request.
      const listed = await queue.list(10);
      expect(listed).toHaveLength(4);
      expect(JSON.stringify(listed)).not.toContain('sealed');
    });

    it('one claim per entry; a lease that ends gives the entry back to the queue', async () => {
      const store = await open();
      const queue = store.queue;
      const e = entry('g', 1);
      await queue.enqueue(e);
      const claimed = await queue.claim(e.id, 'replica-1', 100, 1_000, 'a');
      expect(claimed).toMatchObject({ id: e.id, state: 'claimed', request: 'sealed' });
      expect(await queue.claim(e.id, 'replica-2', 200, 1_200, 'a')).toBeUndefined();
      expect(await queue.waiting('g', 200, 10)).toEqual([]);
      // replica-1 died: past its lease another replica takes the entry and hands it over.
      expect((await queue.waiting('g', 1_001, 10)).map((w) => w.id)).toEqual([e.id]);
      expect(await queue.claim(e.id, 'replica-2', 1_001, 2_000, 'b')).toMatchObject({ id: e.id });
      expect(await queue.dispatched(e.id, 'replica-1', { backend: 'a', queryId: 'q1', answer: '{}', at: 1_002 })).toBe(false);
      expect(await queue.dispatched(e.id, 'replica-2', { backend: 'b', queryId: 'q2', answer: '{"id":"q2"}', at: 1_003 })).toBe(true);
      const polled = await queue.poll(e.id, 1_004);
      expect(polled?.entry).toMatchObject({ state: 'dispatched', backend: 'b', queryId: 'q2', answer: '{"id":"q2"}', endedAt: 1_003 });
      expect(await queue.admittedSince(1_003, 1_003)).toEqual([{ backend: 'b', rule: 'etl', user: 'alice', at: 1_003 }]);
      expect(await queue.admittedSince(1_004, 1_004)).toEqual([]);
      // The sealed request is gone once handed over: no claim can read it again.
      expect(await queue.claim(e.id, 'replica-3', 5_000, 6_000, 'a')).toBeUndefined();
    });

    it('concurrent claims of one entry: exactly one wins', async () => {
      const queue = (await open()).queue;
      const e = entry('g', 1);
      await queue.enqueue(e);
      const claims = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((r) => queue.claim(e.id, r, 10, 1_000, 'a')));
      expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
    });

    it('released claims keep their place; cancelled and abandoned entries leave the queue', async () => {
      const queue = (await open()).queue;
      const [a, b, c] = [entry('g', 1), entry('g', 2), entry('g', 3)];
      for (const e of [a, b, c]) await queue.enqueue(e);
      await queue.claim(a.id, 'r1', 10, 1_000, 'a');
      await queue.release(a.id, 'r1');
      expect((await queue.waiting('g', 10, 10)).map((w) => w.id)).toEqual([a.id, b.id, c.id]);
      expect(await queue.cancel(b.id, 20)).toBe('queued');
      expect(await queue.cancel(b.id, 21)).toBe('cancelled');
      expect(await queue.cancel('nope', 21)).toBeUndefined();
      expect(await queue.claim(b.id, 'r1', 30, 1_000, 'a')).toBeUndefined();
      await queue.poll(c.id, 500);
      expect(await queue.dropAbandoned(400, 600)).toEqual([a.id]);
      expect((await queue.waiting('g', 600, 10)).map((w) => w.id)).toEqual([c.id]);
      expect((await queue.poll(a.id, 700))?.entry.state).toBe('abandoned');
      expect(await queue.prune(601)).toBe(2);
      expect(await queue.poll(b.id, 800)).toBeUndefined();
    });

    it('a claim counts as running on its backend while its lease holds', async () => {
      const queue = (await open()).queue;
      const e = entry('g', 1);
      await queue.enqueue(e);
      await queue.claim(e.id, 'r1', 10, 1_000, 'a');
      expect(await queue.admittedSince(0, 500)).toEqual([{ backend: 'a', rule: 'etl', user: 'alice', at: 1_000 }]);
      expect(await queue.admittedSince(0, 1_001)).toEqual([]);
    });

    it('one admission pass at a time across the replicas sharing the store', async () => {
      const store = await open();
      const release = await store.queue.lockPass();
      expect(release).toBeDefined();
      if (store.kind === 'postgres') {
        const other = await open();
        expect(await other.queue.lockPass()).toBeUndefined();
        await release?.();
        const again = await other.queue.lockPass();
        expect(again).toBeDefined();
        await again?.();
      } else {
        await release?.();
      }
    });

    it('a failed entry keeps its answer for the client', async () => {
      const queue = (await open()).queue;
      const e = entry('g', 1);
      await queue.enqueue(e);
      await queue.claim(e.id, 'r1', 10, 1_000, 'a');
      expect(await queue.fail(e.id, 'r1', '{"error":true}', 11)).toBe(true);
      expect((await queue.poll(e.id, 12))?.entry).toMatchObject({ state: 'failed', answer: '{"error":true}' });
    });
  });
}
