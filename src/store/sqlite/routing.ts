/**
 * The routing configuration in SQLite (the RoutingStore port). A change runs in one
 * BEGIN IMMEDIATE transaction: read the current config, let the caller compute the next one,
 * validate it, write only what differs and bump `revision`; any failure rolls it all back.
 */
import type Database from 'better-sqlite3';
import type { RoutingConfig } from '../../routing/model.js';
import { storableIssues, throwIfInvalid } from '../../routing/config-edits.js';
import type { RoutingStore, RoutingTransaction, VersionedRoutingConfig } from '../../routing/routing-store.js';
import {
  backendFromRow,
  backendParams,
  groupFromRow,
  groupParams,
  memberFromRow,
  ruleFromRow,
  ruleParams,
  type BackendRow,
  type GroupRow,
  type MemberRow,
  type RuleRow,
} from '../routing-rows.js';
import { routingWrites } from '../routing-writes.js';
import type { AuditRetention } from '../../config/router-config.js';
import { UNKNOWN_ORIGIN, type ChangeOrigin } from '../../routing/config-history.js';
import { DEFAULT_AUDIT_RETENTION, historyParams } from '../config-history-rows.js';
import { prepareHistoryWrites } from './config-history.js';
import type { SqliteConnection } from './connection.js';

export class SqliteRoutingStore implements RoutingStore {
  private readonly sql: RoutingStatements;
  private readonly recordChange: (params: ReturnType<typeof historyParams>) => void;

  constructor(
    private readonly connection: SqliteConnection,
    private readonly now: () => number = Date.now,
    retention: AuditRetention = DEFAULT_AUDIT_RETENTION,
  ) {
    this.sql = prepareRoutingStatements(connection.db);
    this.recordChange = prepareHistoryWrites(connection.db, retention);
  }

  read(): Promise<VersionedRoutingConfig> {
    // One read transaction: another process's commit cannot land between the SELECTs.
    return this.connection.run('read routing', (db) => db.transaction(() => this.readNow())());
  }

  revision(): Promise<number> {
    return this.connection.run('read routing revision', () => this.revisionNow());
  }

  transaction<T>(work: (tx: RoutingTransaction) => Promise<T>): Promise<T> {
    return this.connection.transaction('routing change', () => work({
      read: async () => ({ ...this.readNow(), empty: this.sql.anyRouting.get()?.found !== 1 }),
      write: async (next, origin) => this.writeNow(next, origin ?? UNKNOWN_ORIGIN),
    }));
  }

  private revisionNow(): number {
    return Number(this.sql.setting.get('revision')?.value ?? 0);
  }

  private readNow(): VersionedRoutingConfig {
    const membersByGroup = new Map<string, { backend: string; weight: number }[]>();
    for (const row of this.sql.members.all()) {
      let list = membersByGroup.get(row.group_name);
      if (list === undefined) membersByGroup.set(row.group_name, (list = []));
      list.push(memberFromRow(row));
    }
    const config: RoutingConfig = {
      backends: this.sql.backends.all().map(backendFromRow),
      groups: this.sql.groups.all().map((row) => groupFromRow(row, membersByGroup.get(row.name) ?? [])),
      rules: this.sql.rules.all().map(ruleFromRow),
      defaultGroup: String(this.sql.setting.get('default_group')?.value ?? ''),
    };
    return { config, revision: this.revisionNow() };
  }

  private writeNow(next: RoutingConfig, origin: ChangeOrigin): number {
    const { config: current } = this.readNow();
    throwIfInvalid(storableIssues(next, current));
    const writes = routingWrites(current, next, this.sql.setting.get('default_group') !== undefined);
    // Nothing differs: the revision stays, so no replica reloads for nothing.
    if (!writes.changed) return this.revisionNow();
    const updatedAt = this.now();
    for (const name of writes.rules.remove) this.sql.deleteRule.run(name);
    for (const name of writes.groups.remove) this.sql.deleteGroup.run(name);
    for (const name of writes.backends.remove) this.sql.deleteBackend.run(name);
    for (const { entity, position } of writes.backends.upsert) {
      this.sql.upsertBackend.run({ ...backendParams(entity), position, updated_at: updatedAt });
    }
    for (const { entity, position } of writes.groups.upsert) {
      this.sql.upsertGroup.run({ ...groupParams(entity), position, updated_at: updatedAt });
      this.sql.deleteMembers.run(entity.name);
      entity.members.forEach((member, at) => this.sql.insertMember.run(entity.name, member.backend, member.weight, at));
    }
    for (const { entity, position } of writes.rules.upsert) {
      this.sql.upsertRule.run({ ...ruleParams(entity), position, updated_at: updatedAt });
    }
    if (writes.defaultGroup !== undefined) this.sql.putSetting.run('default_group', writes.defaultGroup);
    const bumped = this.sql.bumpRevision.get();
    if (bumped === undefined) throw new Error('settings row "revision" is missing');
    const revision = Number(bumped.value);
    this.recordChange(historyParams(revision, updatedAt, origin, current, next));
    return revision;
  }
}

/** Every statement prepared once, when the store is opened. */
function prepareRoutingStatements(db: Database.Database) {
  const prepare = <R = unknown>(text: string) => db.prepare<unknown[], R>(text);
  return {
    backends: prepare<BackendRow>('SELECT name, url, enabled, prefix_routing, max_load, schedules, draining, max_running_queries FROM backends ORDER BY position, name'),
    groups: prepare<GroupRow>('SELECT name, strategy, fallback, max_running_queries FROM routing_groups ORDER BY position, name'),
    members: prepare<MemberRow>('SELECT group_name, backend, weight FROM group_members ORDER BY group_name, position'),
    rules: prepare<RuleRow>('SELECT name, priority, group_name, match_json, target_json FROM routing_rules ORDER BY position, name'),
    setting: prepare<{ value: unknown }>('SELECT value FROM settings WHERE key = ?'),
    putSetting: prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    bumpRevision: prepare<{ value: number }>("UPDATE settings SET value = value + 1 WHERE key = 'revision' RETURNING value"),
    anyRouting: prepare<{ found: number }>(
      "SELECT EXISTS (SELECT 1 FROM backends) OR EXISTS (SELECT 1 FROM routing_groups) OR EXISTS (SELECT 1 FROM routing_rules) OR EXISTS (SELECT 1 FROM settings WHERE key = 'default_group') AS found"),
    upsertBackend: prepare(
      `INSERT INTO backends (name, url, enabled, prefix_routing, max_load, schedules, draining, max_running_queries, position, updated_at)
       VALUES (@name, @url, @enabled, @prefix_routing, @max_load, @schedules, @draining, @max_running_queries, @position, @updated_at)
       ON CONFLICT (name) DO UPDATE SET url = excluded.url, enabled = excluded.enabled, prefix_routing = excluded.prefix_routing,
         max_load = excluded.max_load, schedules = excluded.schedules, draining = excluded.draining, max_running_queries = excluded.max_running_queries,
         position = excluded.position, updated_at = excluded.updated_at`),
    deleteBackend: prepare('DELETE FROM backends WHERE name = ?'),
    upsertGroup: prepare(
      `INSERT INTO routing_groups (name, strategy, fallback, max_running_queries, position, updated_at)
       VALUES (@name, @strategy, @fallback, @max_running_queries, @position, @updated_at)
       ON CONFLICT (name) DO UPDATE SET strategy = excluded.strategy, fallback = excluded.fallback, max_running_queries = excluded.max_running_queries,
         position = excluded.position, updated_at = excluded.updated_at`),
    deleteGroup: prepare('DELETE FROM routing_groups WHERE name = ?'),
    insertMember: prepare('INSERT INTO group_members (group_name, backend, weight, position) VALUES (?, ?, ?, ?)'),
    deleteMembers: prepare('DELETE FROM group_members WHERE group_name = ?'),
    upsertRule: prepare(
      `INSERT INTO routing_rules (name, priority, group_name, match_json, target_json, position, updated_at)
       VALUES (@name, @priority, @group_name, @match_json, @target_json, @position, @updated_at)
       ON CONFLICT (name) DO UPDATE SET priority = excluded.priority, group_name = excluded.group_name,
         match_json = excluded.match_json, target_json = excluded.target_json, position = excluded.position, updated_at = excluded.updated_at`),
    deleteRule: prepare('DELETE FROM routing_rules WHERE name = ?'),
  };
}

type RoutingStatements = ReturnType<typeof prepareRoutingStatements>;
