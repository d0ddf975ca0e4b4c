/**
 * The routing configuration in PostgreSQL (the RoutingStore port). A change runs in one
 * transaction that first locks the `revision` row (SELECT ... FOR UPDATE): writers on every
 * replica queue there, so each reads the config the previous one committed. The commit
 * announces the new revision on ROUTING_CHANNEL (NOTIFY is delivered at commit, never for a
 * rolled-back change).
 */
import type pg from 'pg';
import { storableIssues, throwIfInvalid } from '../../routing/config-edits.js';
import type { RoutingConfig } from '../../routing/model.js';
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
import type { PostgresConnection, Queryable } from './connection.js';
import { ROUTING_CHANNEL } from './notifications.js';
import type { AuditRetention } from '../../config/router-config.js';
import { UNKNOWN_ORIGIN, type ChangeOrigin } from '../../routing/config-history.js';
import { DEFAULT_AUDIT_RETENTION, historyParams } from '../config-history-rows.js';
import { recordChange } from './config-history.js';


// Booleans and JSON are read back in the shapes routing-rows.ts converts (as SQLite stores them).
const SELECT_BACKENDS = 'SELECT name, url, enabled::int AS enabled, prefix_routing::int AS prefix_routing, max_load, schedules::text AS schedules, draining::int AS draining, max_running_queries FROM backends ORDER BY position, name';
const SELECT_GROUPS = 'SELECT name, strategy, fallback, max_running_queries FROM routing_groups ORDER BY position, name';
const SELECT_MEMBERS = 'SELECT group_name, backend, weight FROM group_members ORDER BY group_name, position';
const SELECT_RULES = 'SELECT name, priority, group_name, match_json::text AS match_json, target_json::text AS target_json FROM routing_rules ORDER BY position, name';
const SELECT_SETTINGS = "SELECT key, value FROM settings WHERE key IN ('revision', 'default_group')";

export class PostgresRoutingStore implements RoutingStore {
  constructor(
    private readonly connection: PostgresConnection,
    private readonly now: () => number = Date.now,
    private readonly retention: AuditRetention = DEFAULT_AUDIT_RETENTION,
  ) {}

  read(): Promise<VersionedRoutingConfig> {
    // REPEATABLE READ: the five SELECTs see one snapshot, never half of another replica's commit.
    return this.connection.transaction('read routing', async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return (await readConfig(client)).versioned;
    });
  }

  async revision(): Promise<number> {
    const result = await this.connection.query<{ value: string }>('read routing revision', "SELECT value FROM settings WHERE key = 'revision'");
    return Number(result.rows[0]?.value ?? 0);
  }

  transaction<T>(work: (tx: RoutingTransaction) => Promise<T>): Promise<T> {
    return this.connection.transaction('routing change', async (client) => {
      await client.query("SELECT value FROM settings WHERE key = 'revision' FOR UPDATE");
      return work({
        read: async () => {
          const { versioned } = await readConfig(client);
          const any = await client.query<{ found: boolean }>(
            "SELECT EXISTS (SELECT 1 FROM backends) OR EXISTS (SELECT 1 FROM routing_groups) OR EXISTS (SELECT 1 FROM routing_rules) OR EXISTS (SELECT 1 FROM settings WHERE key = 'default_group') AS found");
          return { ...versioned, empty: any.rows[0]?.found !== true };
        },
        write: (next, origin) => this.write(client, next, origin ?? UNKNOWN_ORIGIN),
      });
    });
  }

  private async write(client: pg.PoolClient, next: RoutingConfig, origin: ChangeOrigin): Promise<number> {
    const { versioned, defaultGroupStored } = await readConfig(client);
    throwIfInvalid(storableIssues(next, versioned.config));
    const writes = routingWrites(versioned.config, next, defaultGroupStored);
    // Nothing differs: the revision stays, so no replica reloads for nothing.
    if (!writes.changed) return versioned.revision;
    const updatedAt = this.now();
    const run = (text: string, values: readonly unknown[]) => client.query(text, values as unknown[]);
    for (const name of writes.rules.remove) await run('DELETE FROM routing_rules WHERE name = $1', [name]);
    for (const name of writes.groups.remove) await run('DELETE FROM routing_groups WHERE name = $1', [name]);
    for (const name of writes.backends.remove) await run('DELETE FROM backends WHERE name = $1', [name]);
    for (const { entity, position } of writes.backends.upsert) {
      const p = backendParams(entity);
      await run(
        `INSERT INTO backends (name, url, enabled, prefix_routing, max_load, schedules, draining, position, updated_at, max_running_queries)
         VALUES ($1, $2, $3::int <> 0, $4::int <> 0, $5, $6::json, $7::int <> 0, $8, $9, $10)
         ON CONFLICT (name) DO UPDATE SET url = excluded.url, enabled = excluded.enabled, prefix_routing = excluded.prefix_routing,
           max_load = excluded.max_load, schedules = excluded.schedules, draining = excluded.draining,
           max_running_queries = excluded.max_running_queries, position = excluded.position, updated_at = excluded.updated_at`,
        [p.name, p.url, p.enabled, p.prefix_routing, p.max_load, p.schedules, p.draining, position, updatedAt, p.max_running_queries]);
    }
    for (const { entity, position } of writes.groups.upsert) {
      const p = groupParams(entity);
      await run(
        `INSERT INTO routing_groups (name, strategy, fallback, position, updated_at, max_running_queries) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET strategy = excluded.strategy, fallback = excluded.fallback,
           max_running_queries = excluded.max_running_queries, position = excluded.position, updated_at = excluded.updated_at`,
        [p.name, p.strategy, p.fallback, position, updatedAt, p.max_running_queries]);
      await run('DELETE FROM group_members WHERE group_name = $1', [entity.name]);
      if (entity.members.length > 0) {
        await run(
          `INSERT INTO group_members (group_name, backend, weight, position)
           SELECT $1, m.backend, m.weight, m.position - 1 FROM unnest($2::text[], $3::float8[]) WITH ORDINALITY AS m (backend, weight, position)`,
          [entity.name, entity.members.map((m) => m.backend), entity.members.map((m) => m.weight)]);
      }
    }
    for (const { entity, position } of writes.rules.upsert) {
      const p = ruleParams(entity);
      await run(
        `INSERT INTO routing_rules (name, priority, group_name, match_json, target_json, position, updated_at) VALUES ($1, $2, $3, $4::json, $5::json, $6, $7)
         ON CONFLICT (name) DO UPDATE SET priority = excluded.priority, group_name = excluded.group_name,
           match_json = excluded.match_json, target_json = excluded.target_json, position = excluded.position, updated_at = excluded.updated_at`,
        [p.name, p.priority, p.group_name, p.match_json, p.target_json, position, updatedAt]);
    }
    if (writes.defaultGroup !== undefined) {
      await run("INSERT INTO settings (key, value) VALUES ('default_group', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [writes.defaultGroup]);
    }
    const bumped = await client.query<{ value: string }>("UPDATE settings SET value = (value::bigint + 1)::text WHERE key = 'revision' RETURNING value");
    const revision = Number(bumped.rows[0]?.value);
    if (!Number.isFinite(revision)) throw new Error('settings row "revision" is missing');
    await recordChange(client, this.retention, historyParams(revision, updatedAt, origin, versioned.config, next));
    await client.query('SELECT pg_notify($1, $2)', [ROUTING_CHANNEL, String(revision)]);
    return revision;
  }
}

async function readConfig(client: Queryable): Promise<{ versioned: VersionedRoutingConfig; defaultGroupStored: boolean }> {
  const backends = await client.query<BackendRow>(SELECT_BACKENDS);
  const groups = await client.query<GroupRow>(SELECT_GROUPS);
  const members = await client.query<MemberRow>(SELECT_MEMBERS);
  const rules = await client.query<RuleRow>(SELECT_RULES);
  const settings = await client.query<{ key: string; value: string }>(SELECT_SETTINGS);
  const setting = new Map(settings.rows.map((row) => [row.key, row.value]));
  const membersByGroup = new Map<string, { backend: string; weight: number }[]>();
  for (const row of members.rows) {
    let list = membersByGroup.get(row.group_name);
    if (list === undefined) membersByGroup.set(row.group_name, (list = []));
    list.push(memberFromRow(row));
  }
  const config: RoutingConfig = {
    backends: backends.rows.map(backendFromRow),
    groups: groups.rows.map((row) => groupFromRow(row, membersByGroup.get(row.name) ?? [])),
    rules: rules.rows.map(ruleFromRow),
    defaultGroup: setting.get('default_group') ?? '',
  };
  return { versioned: { config, revision: Number(setting.get('revision') ?? 0) }, defaultGroupStored: setting.has('default_group') };
}
