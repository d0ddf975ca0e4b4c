/**
 * The PostgreSQL schema, in numbered migrations; 1-3 follow the SQLite ones version for version
 * (the same tables and meaning; 4 on are the fleet's own; types are PostgreSQL's own, and JSON columns are `json`, which keeps the text as written, so an export lists keys in the operator's order). Replicas starting together never
 * race: all migrations run in one transaction that first takes a transaction-scoped advisory
 * lock, then re-reads the version; DDL is transactional here, so a failure leaves no half.
 * A database whose version is newer than this code is refused with a message that says so.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { StoreError } from '../errors.js';
import type { PostgresConnection } from './connection.js';

interface PostgresMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'routing tables, settings, ownership tables',
    // Foreign keys are deferred so a whole configuration can be replaced in any order; the
    // ownership tables have none on purpose (a removed backend keeps its running queries).
    sql: `
      CREATE TABLE backends (
        name text PRIMARY KEY,
        url text NOT NULL,
        enabled boolean NOT NULL,
        prefix_routing boolean NOT NULL,
        max_load double precision,
        schedules json NOT NULL DEFAULT '[]',
        position integer NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE TABLE routing_groups (
        name text PRIMARY KEY,
        strategy text NOT NULL CHECK (strategy IN ('round_robin', 'random', 'weighted', 'least_load')),
        fallback text REFERENCES routing_groups (name) DEFERRABLE INITIALLY DEFERRED,
        position integer NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE TABLE group_members (
        group_name text NOT NULL REFERENCES routing_groups (name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        backend text NOT NULL REFERENCES backends (name) DEFERRABLE INITIALLY DEFERRED,
        weight double precision NOT NULL CHECK (weight >= 0),
        position integer NOT NULL,
        PRIMARY KEY (group_name, backend)
      );
      CREATE INDEX group_members_by_backend ON group_members (backend);
      CREATE TABLE routing_rules (
        name text PRIMARY KEY,
        priority integer NOT NULL,
        group_name text NOT NULL REFERENCES routing_groups (name) DEFERRABLE INITIALLY DEFERRED,
        match_json json NOT NULL,
        position integer NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE INDEX routing_rules_by_group ON routing_rules (group_name);
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value text NOT NULL
      );
      INSERT INTO settings (key, value) VALUES ('revision', '0');
      CREATE TABLE query_owners (
        query_id text PRIMARY KEY,
        backend text NOT NULL,
        learned_by text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX query_owners_by_created_at ON query_owners (created_at);
      CREATE TABLE coordinators (
        coordinator_id text PRIMARY KEY,
        backend text NOT NULL,
        seen_at bigint NOT NULL
      );
      CREATE TABLE transactions (
        transaction_id text PRIMARY KEY,
        backend text NOT NULL,
        created_at bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'query history',
    sql: `
      CREATE TABLE query_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        query_id text NOT NULL UNIQUE,
        backend text NOT NULL,
        group_name text,
        rule text,
        mechanism text NOT NULL,
        user_name text,
        source text,
        client_tags json NOT NULL DEFAULT '[]',
        submitted_at bigint NOT NULL
      );
      CREATE INDEX query_history_by_time ON query_history (submitted_at);
      CREATE INDEX query_history_by_user ON query_history (user_name, submitted_at);
      CREATE INDEX query_history_by_source ON query_history (source, submitted_at);
      CREATE INDEX query_history_by_backend ON query_history (backend, submitted_at);
      CREATE INDEX query_history_by_group ON query_history (group_name, submitted_at);
    `,
  },
  {
    version: 3,
    description: 'operator drain of backends, backend state history',
    sql: `
      ALTER TABLE backends ADD COLUMN draining boolean NOT NULL DEFAULT false;
      CREATE TABLE backend_state_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        backend text NOT NULL,
        from_state text NOT NULL,
        to_state text NOT NULL,
        reason text NOT NULL,
        changed_at bigint NOT NULL
      );
      CREATE INDEX backend_state_history_by_backend ON backend_state_history (backend, id);
      CREATE INDEX backend_state_history_by_time ON backend_state_history (changed_at);
    `,
  },
  {
    version: 4,
    description: 'the fleet health leader\'s newest report per backend',
    // One row per backend, replaced by every round of the leader; followers read it.
    sql: `
      CREATE TABLE backend_health (
        backend text PRIMARY KEY,
        url text NOT NULL,
        sequence bigint NOT NULL,
        observed_at bigint NOT NULL,
        leader text NOT NULL,
        report json NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: 'rule targets: one backend, groups a client may request, no fallback',
    // Kept beside group_name (still the rule's group, and its fallback target) as one JSON
    // object, {} for a rule that names only its group.
    sql: `
      ALTER TABLE routing_rules ADD COLUMN target_json json NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 6,
    description: 'query history: the statement a statement rule read (kind, tables, parse time)',
    sql: `
      ALTER TABLE query_history ADD COLUMN statement json;
    `,
  },
  {
    version: 7,
    description: 'query history: refused submissions (outcome and message)',
    sql: `
      ALTER TABLE query_history ADD COLUMN outcome text NOT NULL DEFAULT 'forwarded';
      ALTER TABLE query_history ADD COLUMN message text;
      CREATE INDEX query_history_by_outcome ON query_history (outcome, submitted_at);
    `,
  },
  {
    version: 8,
    description: 'OAuth2 login flows: the cluster that challenged each auth id (by its hash)',
    // Short-lived (Trino's challenge timeout); read by a replica that did not see the challenge.
    sql: `
      CREATE TABLE login_flows (
        auth_id_hash text PRIMARY KEY,
        backend text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX login_flows_by_time ON login_flows (created_at);
    `,
  },
  {
    version: 9,
    description: 'config history: every routing change, who made it, what it changed, the config it left',
    sql: `
      CREATE TABLE config_history (
        revision bigint PRIMARY KEY,
        recorded_at bigint NOT NULL,
        method text NOT NULL,
        author json NOT NULL,
        diff json NOT NULL,
        config json NOT NULL
      );
      CREATE INDEX config_history_by_time ON config_history (recorded_at);
    `,
  },
  {
    version: 10,
    description: 'queueing at the gateway: running-query limits per backend and group, the queue of held submissions',
    // As SQLite's version 6 (see there).
    sql: `
      ALTER TABLE backends ADD COLUMN max_running_queries integer;
      ALTER TABLE routing_groups ADD COLUMN max_running_queries integer;
      ALTER TABLE query_history ADD COLUMN queued_ms bigint;
      CREATE TABLE queue_entries (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        group_name text NOT NULL,
        rule text,
        user_name text,
        source text,
        priority integer NOT NULL,
        user_limit integer,
        state text NOT NULL,
        enqueued_at bigint NOT NULL,
        last_poll_at bigint NOT NULL,
        claimed_by text,
        lease_until bigint,
        backend text,
        query_id text,
        ended_at bigint,
        request text,
        answer text
      );
      CREATE INDEX queue_entries_waiting ON queue_entries (group_name, state, priority DESC, seq);
      CREATE INDEX queue_entries_ended ON queue_entries (state, ended_at);
    `,
  },
];

export const POSTGRES_LATEST_SCHEMA_VERSION = POSTGRES_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** Any fixed 64-bit number the router alone uses: "trino-router migrate". */
const MIGRATION_LOCK = 0x7472_6d69_6772_7465n;

/** Brings the schema to the latest version; resolves to it. */
export async function migrate(connection: PostgresConnection, logger?: Pick<Logger, 'info'>): Promise<number> {
  const schema = connection.schema;
  return connection.transaction('migrate the schema', async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (
      version integer NOT NULL, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const found = await versionOf(client, schema);
    if (found > POSTGRES_LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        'store_schema_too_new',
        `the PostgreSQL store ${connection.location} (schema ${schema}) has schema version ${found}, but this router knows only up to ` +
          `${POSTGRES_LATEST_SCHEMA_VERSION}: it was migrated by a newer router. Run that version (every replica), or point store.schema elsewhere.`,
        { store: 'postgres', location: connection.location, schema, found, supported: POSTGRES_LATEST_SCHEMA_VERSION },
      );
    }
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= found) continue;
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${schema}.schema_version (version, description) VALUES ($1, $2)`, [migration.version, migration.description]);
      logger?.info({ store: connection.location, schema, version: migration.version, description: migration.description }, 'store schema migrated');
    }
    return Math.max(found, POSTGRES_LATEST_SCHEMA_VERSION);
  });
}

async function versionOf(client: pg.PoolClient, schema: string): Promise<number> {
  const result = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${schema}.schema_version`);
  return result.rows[0]?.version ?? 0;
}
