/**
 * Numbered schema migrations. Each runs once, in its own IMMEDIATE transaction that also sets
 * `PRAGMA user_version`, so a crash leaves the schema at a whole version and two routers
 * starting together do not both migrate. Append new migrations; never edit a released one.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { StoreError } from '../errors.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'routing tables, settings, ownership tables',
    // `position` keeps the operator's order so an export reads like the file it came from.
    // Foreign keys are deferred so a whole configuration can be replaced in any order.
    // Ownership tables have no foreign keys on purpose: a removed backend keeps its running
    // queries, and write-behind batches must never fail on a reference.
    sql: `
      CREATE TABLE backends (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        prefix_routing INTEGER NOT NULL CHECK (prefix_routing IN (0, 1)),
        max_load REAL,
        schedules TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(schedules)),
        position INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE routing_groups (
        name TEXT PRIMARY KEY,
        strategy TEXT NOT NULL CHECK (strategy IN ('round_robin', 'random', 'weighted', 'least_load')),
        fallback TEXT REFERENCES routing_groups (name) DEFERRABLE INITIALLY DEFERRED,
        position INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE group_members (
        group_name TEXT NOT NULL REFERENCES routing_groups (name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        backend TEXT NOT NULL REFERENCES backends (name) DEFERRABLE INITIALLY DEFERRED,
        weight REAL NOT NULL CHECK (weight >= 0),
        position INTEGER NOT NULL,
        PRIMARY KEY (group_name, backend)
      ) STRICT;
      CREATE INDEX group_members_by_backend ON group_members (backend);

      CREATE TABLE routing_rules (
        name TEXT PRIMARY KEY,
        priority INTEGER NOT NULL,
        group_name TEXT NOT NULL REFERENCES routing_groups (name) DEFERRABLE INITIALLY DEFERRED,
        match_json TEXT NOT NULL CHECK (json_valid(match_json)),
        position INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX routing_rules_by_group ON routing_rules (group_name);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value ANY NOT NULL
      ) STRICT;
      INSERT INTO settings (key, value) VALUES ('revision', 0);

      CREATE TABLE query_owners (
        query_id TEXT PRIMARY KEY,
        backend TEXT NOT NULL,
        learned_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX query_owners_by_created_at ON query_owners (created_at);

      CREATE TABLE coordinators (
        coordinator_id TEXT PRIMARY KEY,
        backend TEXT NOT NULL,
        seen_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE transactions (
        transaction_id TEXT PRIMARY KEY,
        backend TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'query history',
    // Rows are appended in batches and pruned oldest first, so `id` follows insertion order:
    // the row cap keeps the newest ids. One index per admin filter, each ending in
    // submitted_at so a filtered list is read newest first straight from the index.
    // query_id is unique so a retried batch cannot record a query twice.
    sql: `
      CREATE TABLE query_history (
        id INTEGER PRIMARY KEY,
        query_id TEXT NOT NULL UNIQUE,
        backend TEXT NOT NULL,
        group_name TEXT,
        rule TEXT,
        mechanism TEXT NOT NULL,
        user_name TEXT,
        source TEXT,
        client_tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(client_tags)),
        submitted_at INTEGER NOT NULL
      ) STRICT;
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
    // `draining` is the operator's switch (no new queries, running ones finish). The history
    // keeps one row per state change as the health monitor saw it; it is pruned by age and
    // by a per-backend cap (src/health/state-history.ts), newest first by id. No foreign key:
    // a removed backend keeps its history until it ages out.
    sql: `
      ALTER TABLE backends ADD COLUMN draining INTEGER NOT NULL DEFAULT 0 CHECK (draining IN (0, 1));

      CREATE TABLE backend_state_history (
        id INTEGER PRIMARY KEY,
        backend TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        reason TEXT NOT NULL,
        changed_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX backend_state_history_by_backend ON backend_state_history (backend, id);
      CREATE INDEX backend_state_history_by_time ON backend_state_history (changed_at);
    `,
  },
  {
    version: 4,
    description: 'rule targets: one backend, groups a client may request, no fallback',
    // Kept beside group_name (still the rule's group, and its fallback target) as one JSON
    // object, {} for a rule that names only its group.
    sql: `
      ALTER TABLE routing_rules ADD COLUMN target_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(target_json));
    `,
  },
  {
    version: 5,
    description: 'query history: the statement a statement rule read (kind, tables, parse time)',
    sql: `
      ALTER TABLE query_history ADD COLUMN statement TEXT CHECK (statement IS NULL OR json_valid(statement));
    `,
  },
  {
    version: 6,
    description: 'query history: refused submissions (outcome and message)',
    // Existing rows were all forwarded. A refusal has no backend: '' (the column is NOT NULL).
    sql: `
      ALTER TABLE query_history ADD COLUMN outcome TEXT NOT NULL DEFAULT 'forwarded';
      ALTER TABLE query_history ADD COLUMN message TEXT;
      CREATE INDEX query_history_by_outcome ON query_history (outcome, submitted_at);
    `,
  },
  {
    version: 7,
    description: 'OAuth2 login flows: the cluster that challenged each auth id (by its hash)',
    // Short-lived (Trino's challenge timeout); read by a replica that did not see the challenge.
    sql: `
      CREATE TABLE login_flows (
        auth_id_hash TEXT PRIMARY KEY,
        backend TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX login_flows_by_time ON login_flows (created_at);
    `,
  },
  {
    version: 8,
    description: 'config history: every routing change, who made it, what it changed, the config it left',
    sql: `
      CREATE TABLE config_history (
        revision INTEGER PRIMARY KEY,
        recorded_at INTEGER NOT NULL,
        method TEXT NOT NULL,
        author TEXT NOT NULL CHECK (json_valid(author)),
        diff TEXT NOT NULL CHECK (json_valid(diff)),
        config TEXT NOT NULL CHECK (json_valid(config))
      );
      CREATE INDEX config_history_by_time ON config_history (recorded_at);
    `,
  },
  {
    version: 9,
    description: 'queueing at the gateway: running-query limits per backend and group, the queue of held submissions',
    // seq orders the queue (FIFO within a priority); request is the sealed submission (headers
    // with credentials, body), NULL from hand-over or drop on; answer is what the client's next
    // poll of the router path gets once the query is handed to its cluster.
    sql: `
      ALTER TABLE backends ADD COLUMN max_running_queries INTEGER;
      ALTER TABLE routing_groups ADD COLUMN max_running_queries INTEGER;
      ALTER TABLE query_history ADD COLUMN queued_ms INTEGER;
      CREATE TABLE queue_entries (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        group_name TEXT NOT NULL,
        rule TEXT,
        user_name TEXT,
        source TEXT,
        priority INTEGER NOT NULL,
        user_limit INTEGER,
        state TEXT NOT NULL,
        enqueued_at INTEGER NOT NULL,
        last_poll_at INTEGER NOT NULL,
        claimed_by TEXT,
        lease_until INTEGER,
        backend TEXT,
        query_id TEXT,
        ended_at INTEGER,
        request TEXT,
        answer TEXT
      ) STRICT;
      CREATE INDEX queue_entries_waiting ON queue_entries (group_name, state, priority DESC, seq);
      CREATE INDEX queue_entries_ended ON queue_entries (state, ended_at);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the schema to the latest version; returns it. Refuses a database newer than the code. */
export function migrate(db: Database.Database, path: string, logger?: Pick<Logger, 'info'>): number {
  const found = schemaVersion(db);
  if (found > LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      'store_schema_too_new',
      `the store ${path} has schema version ${found}, but this router knows only up to ${LATEST_SCHEMA_VERSION}: ` +
        'it was written by a newer router. Run that version, or point store.path at another file.',
      { path, found, supported: LATEST_SCHEMA_VERSION },
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= found) continue;
    const applied = db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      if (schemaVersion(db) >= migration.version) return false;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
      return true;
    }).immediate();
    if (applied) logger?.info({ path, version: migration.version, description: migration.description }, 'store schema migrated');
  }
  return schemaVersion(db);
}
