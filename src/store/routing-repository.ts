/**
 * The routing configuration in SQLite: the source of truth once seeded. Every change runs in
 * one IMMEDIATE transaction that reads the current config, checks the would-be config with
 * validateRoutingConfig, writes, and bumps `revision`; any failure rolls the whole change back.
 */
import type Database from 'better-sqlite3';
import type { Backend, RoutingConfig, RoutingGroup, RoutingRule } from '../routing/model.js';
import { formatPath, validateRoutingConfig, type PathSegment, type ValidationIssue } from '../routing/validate.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidRoutingError,
  NotFoundError,
  type RoutingEntityKind,
} from './errors.js';
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
} from './routing-rows.js';

export interface VersionedRoutingConfig {
  readonly config: RoutingConfig;
  readonly revision: number;
}

/** Which list of the config an entity kind lives in. */
const LIST_OF = { backend: 'backends', group: 'groups', rule: 'rules' } as const;

export class RoutingRepository {
  private readonly sql: RoutingStatements;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.sql = prepareRoutingStatements(db);
  }

  // ---- whole configuration ----

  /** The stored config. An empty store gives empty lists and defaultGroup "". */
  load(): RoutingConfig {
    // One read transaction: another process's commit cannot land between the four SELECTs.
    return this.db.transaction(() => this.read())();
  }

  /** Config and revision read together, so a snapshot is labelled with the revision it shows. */
  loadWithRevision(): VersionedRoutingConfig {
    return this.db.transaction(() => ({ config: this.read(), revision: this.revision() }))();
  }

  /** Increases with every change of the routing tables (never reset). */
  revision(): number {
    return Number(this.sql.setting.get('revision')?.value ?? 0);
  }

  /** True when nothing routing-related was ever stored (the file then seeds the store). */
  isEmpty(): boolean {
    return this.sql.anyRouting.get()?.found !== 1;
  }

  /** Replaces the whole routing configuration atomically; returns the new revision. */
  replaceAll(cfg: RoutingConfig): number {
    return this.change(() => {
      throwIfInvalid(validateRoutingConfig(cfg));
      this.sql.clearMembers.run();
      this.sql.clearRules.run();
      this.sql.clearGroups.run();
      this.sql.clearBackends.run();
      for (const backend of cfg.backends) this.writeBackend(backend, 'insert');
      for (const group of cfg.groups) this.writeGroup(group, 'insert');
      for (const rule of cfg.rules) this.writeRule(rule, 'insert');
      this.sql.putSetting.run('default_group', cfg.defaultGroup);
    });
  }

  /** Sets the group used when no rule matches; returns the new revision. */
  setDefaultGroup(name: string): number {
    return this.change((current) => {
      this.validateNext({ ...current, defaultGroup: name });
      this.sql.putSetting.run('default_group', name);
    });
  }

  // ---- backends ----

  listBackends(): Backend[] {
    return this.sql.backends.all().map(backendFromRow);
  }

  getBackend(name: string): Backend {
    return find(this.listBackends(), 'backend', name);
  }

  createBackend(backend: Backend): number {
    return this.change((current) => {
      if (current.backends.some((b) => b.name === backend.name)) throw new AlreadyExistsError('backend', backend.name);
      this.validateNext({ ...current, backends: [...current.backends, backend] }, 'backend', current.backends.length);
      this.writeBackend(backend, 'insert');
    });
  }

  /** Replaces the backend with the same name. */
  updateBackend(backend: Backend): number {
    return this.change((current) => {
      const index = indexOf(current.backends, 'backend', backend.name);
      this.validateNext({ ...current, backends: replaced(current.backends, index, backend) }, 'backend', index);
      this.writeBackend(backend, 'update');
    });
  }

  deleteBackend(name: string): number {
    return this.change((current) => {
      indexOf(current.backends, 'backend', name);
      const groups = current.groups.filter((g) => g.members.some((m) => m.backend === name)).map((g) => g.name);
      if (groups.length > 0) {
        throw new FailedPreconditionError(
          `backend ${JSON.stringify(name)} is a member of group(s) ${groups.join(', ')}; remove it from them first (or disable it)`,
          { backend: name, groups },
        );
      }
      this.validateNext({ ...current, backends: current.backends.filter((b) => b.name !== name) });
      this.sql.deleteBackend.run(name);
    });
  }

  // ---- groups ----

  listGroups(): RoutingGroup[] {
    return this.load().groups.slice();
  }

  getGroup(name: string): RoutingGroup {
    return find(this.listGroups(), 'group', name);
  }

  createGroup(group: RoutingGroup): number {
    return this.change((current) => {
      if (current.groups.some((g) => g.name === group.name)) throw new AlreadyExistsError('group', group.name);
      this.validateNext({ ...current, groups: [...current.groups, group] }, 'group', current.groups.length);
      this.writeGroup(group, 'insert');
    });
  }

  /** Replaces the group with the same name, members included. */
  updateGroup(group: RoutingGroup): number {
    return this.change((current) => {
      const index = indexOf(current.groups, 'group', group.name);
      this.validateNext({ ...current, groups: replaced(current.groups, index, group) }, 'group', index);
      this.writeGroup(group, 'update');
    });
  }

  deleteGroup(name: string): number {
    return this.change((current) => {
      indexOf(current.groups, 'group', name);
      const rules = current.rules.filter((r) => r.group === name).map((r) => r.name);
      const fallingBack = current.groups.filter((g) => g.fallback === name).map((g) => g.name);
      const reasons = [
        ...(current.defaultGroup === name ? ['it is the default group'] : []),
        ...(rules.length > 0 ? [`rule(s) ${rules.join(', ')} target it`] : []),
        ...(fallingBack.length > 0 ? [`group(s) ${fallingBack.join(', ')} fall back to it`] : []),
      ];
      if (reasons.length > 0) {
        throw new FailedPreconditionError(`group ${JSON.stringify(name)} is still in use: ${reasons.join('; ')}`, {
          group: name, rules, fallbackOf: fallingBack, isDefault: current.defaultGroup === name,
        });
      }
      this.validateNext({ ...current, groups: current.groups.filter((g) => g.name !== name) });
      this.sql.deleteGroup.run(name);
    });
  }

  // ---- rules ----

  listRules(): RoutingRule[] {
    return this.sql.rules.all().map(ruleFromRow);
  }

  getRule(name: string): RoutingRule {
    return find(this.listRules(), 'rule', name);
  }

  createRule(rule: RoutingRule): number {
    return this.change((current) => {
      if (current.rules.some((r) => r.name === rule.name)) throw new AlreadyExistsError('rule', rule.name);
      this.validateNext({ ...current, rules: [...current.rules, rule] }, 'rule', current.rules.length);
      this.writeRule(rule, 'insert');
    });
  }

  updateRule(rule: RoutingRule): number {
    return this.change((current) => {
      const index = indexOf(current.rules, 'rule', rule.name);
      this.validateNext({ ...current, rules: replaced(current.rules, index, rule) }, 'rule', index);
      this.writeRule(rule, 'update');
    });
  }

  deleteRule(name: string): number {
    return this.change((current) => {
      indexOf(current.rules, 'rule', name);
      this.validateNext({ ...current, rules: current.rules.filter((r) => r.name !== name) });
      this.sql.deleteRule.run(name);
    });
  }

  // ---- internals ----

  /** Runs one change in an IMMEDIATE transaction (nested: a savepoint) and bumps the revision. */
  private change(apply: (current: RoutingConfig) => void): number {
    return this.db.transaction(() => {
      apply(this.read());
      const bumped = this.sql.bumpRevision.get();
      if (bumped === undefined) throw new Error('settings row "revision" is missing');
      return Number(bumped.value);
    }).immediate();
  }

  /**
   * Throws InvalidRoutingError when the would-be config is invalid. Issues about the changed
   * entity are labelled `backend.url` rather than `backends[3].url`. While no default group was
   * ever set (a store built up through the admin API), its absence is not held against a change.
   */
  private validateNext(next: RoutingConfig, kind?: RoutingEntityKind, index?: number): void {
    let issues = validateRoutingConfig(next);
    if (next.defaultGroup === '' && this.sql.setting.get('default_group') === undefined) {
      issues = issues.filter((i) => i.path !== 'defaultGroup');
    }
    if (kind !== undefined && index !== undefined) issues = issues.map((i) => relabel(i, LIST_OF[kind], index, kind));
    throwIfInvalid(issues);
  }

  private read(): RoutingConfig {
    const membersByGroup = new Map<string, { backend: string; weight: number }[]>();
    for (const row of this.sql.members.all()) {
      let list = membersByGroup.get(row.group_name);
      if (list === undefined) membersByGroup.set(row.group_name, (list = []));
      list.push(memberFromRow(row));
    }
    return {
      backends: this.sql.backends.all().map(backendFromRow),
      groups: this.sql.groups.all().map((row) => groupFromRow(row, membersByGroup.get(row.name) ?? [])),
      rules: this.sql.rules.all().map(ruleFromRow),
      defaultGroup: String(this.sql.setting.get('default_group')?.value ?? ''),
    };
  }

  private writeBackend(backend: Backend, mode: 'insert' | 'update'): void {
    const params = { ...backendParams(backend), updated_at: this.now() };
    (mode === 'insert' ? this.sql.insertBackend : this.sql.updateBackend).run(params);
  }

  private writeGroup(group: RoutingGroup, mode: 'insert' | 'update'): void {
    const params = { ...groupParams(group), updated_at: this.now() };
    (mode === 'insert' ? this.sql.insertGroup : this.sql.updateGroup).run(params);
    this.sql.deleteMembers.run(group.name);
    group.members.forEach((member, position) => this.sql.insertMember.run(group.name, member.backend, member.weight, position));
  }

  private writeRule(rule: RoutingRule, mode: 'insert' | 'update'): void {
    const params = { ...ruleParams(rule), updated_at: this.now() };
    (mode === 'insert' ? this.sql.insertRule : this.sql.updateRule).run(params);
  }
}

function throwIfInvalid(issues: readonly ValidationIssue[]): void {
  if (issues.length > 0) throw new InvalidRoutingError(issues);
}

function indexOf(items: readonly { readonly name: string }[], kind: RoutingEntityKind, name: string): number {
  const index = items.findIndex((item) => item.name === name);
  if (index < 0) throw new NotFoundError(kind, name);
  return index;
}

function find<T extends { readonly name: string }>(items: readonly T[], kind: RoutingEntityKind, name: string): T {
  return items[indexOf(items, kind, name)] as T;
}

function replaced<T>(items: readonly T[], index: number, item: T): T[] {
  return items.map((existing, i) => (i === index ? item : existing));
}

function relabel(issue: ValidationIssue, list: string, index: number, label: string): ValidationIssue {
  const [head, at, ...rest] = issue.segments;
  if (head !== list || at !== index) return issue;
  const segments: PathSegment[] = [label, ...rest];
  return { path: formatPath(segments), segments, message: issue.message };
}

/** Every statement prepared once, when the repository is created. */
function prepareRoutingStatements(db: Database.Database) {
  const prepare = <R = unknown>(text: string) => db.prepare<unknown[], R>(text);
  return {
    backends: prepare<BackendRow>('SELECT name, url, enabled, prefix_routing, max_load, schedules, draining FROM backends ORDER BY position, name'),
    groups: prepare<GroupRow>('SELECT name, strategy, fallback FROM routing_groups ORDER BY position, name'),
    members: prepare<MemberRow>('SELECT group_name, backend, weight FROM group_members ORDER BY group_name, position'),
    rules: prepare<RuleRow>('SELECT name, priority, group_name, match_json FROM routing_rules ORDER BY position, name'),
    setting: prepare<{ value: unknown }>('SELECT value FROM settings WHERE key = ?'),
    putSetting: prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    bumpRevision: prepare<{ value: number }>("UPDATE settings SET value = value + 1 WHERE key = 'revision' RETURNING value"),
    anyRouting: prepare<{ found: number }>(
      "SELECT EXISTS (SELECT 1 FROM backends) OR EXISTS (SELECT 1 FROM routing_groups) OR EXISTS (SELECT 1 FROM routing_rules) OR EXISTS (SELECT 1 FROM settings WHERE key = 'default_group') AS found"),
    insertBackend: prepare(
      `INSERT INTO backends (name, url, enabled, prefix_routing, max_load, schedules, draining, position, updated_at)
       VALUES (@name, @url, @enabled, @prefix_routing, @max_load, @schedules, @draining,
               (SELECT coalesce(max(position), -1) + 1 FROM backends), @updated_at)`),
    updateBackend: prepare(
      `UPDATE backends SET url = @url, enabled = @enabled, prefix_routing = @prefix_routing, max_load = @max_load,
       schedules = @schedules, draining = @draining, updated_at = @updated_at WHERE name = @name`),
    deleteBackend: prepare('DELETE FROM backends WHERE name = ?'),
    insertGroup: prepare(
      `INSERT INTO routing_groups (name, strategy, fallback, position, updated_at)
       VALUES (@name, @strategy, @fallback, (SELECT coalesce(max(position), -1) + 1 FROM routing_groups), @updated_at)`),
    updateGroup: prepare('UPDATE routing_groups SET strategy = @strategy, fallback = @fallback, updated_at = @updated_at WHERE name = @name'),
    deleteGroup: prepare('DELETE FROM routing_groups WHERE name = ?'),
    insertMember: prepare('INSERT INTO group_members (group_name, backend, weight, position) VALUES (?, ?, ?, ?)'),
    deleteMembers: prepare('DELETE FROM group_members WHERE group_name = ?'),
    insertRule: prepare(
      `INSERT INTO routing_rules (name, priority, group_name, match_json, position, updated_at)
       VALUES (@name, @priority, @group_name, @match_json, (SELECT coalesce(max(position), -1) + 1 FROM routing_rules), @updated_at)`),
    updateRule: prepare(
      'UPDATE routing_rules SET priority = @priority, group_name = @group_name, match_json = @match_json, updated_at = @updated_at WHERE name = @name'),
    deleteRule: prepare('DELETE FROM routing_rules WHERE name = ?'),
    clearMembers: prepare('DELETE FROM group_members'),
    clearRules: prepare('DELETE FROM routing_rules'),
    clearGroups: prepare('DELETE FROM routing_groups'),
    clearBackends: prepare('DELETE FROM backends'),
  };
}

type RoutingStatements = ReturnType<typeof prepareRoutingStatements>;
