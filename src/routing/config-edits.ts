/**
 * Every admin change of the routing configuration as a pure function: current config in,
 * next config out, or a typed refusal (NotFound, AlreadyExists, FailedPrecondition,
 * InvalidRouting). The store only writes what these return, so every backend of the store
 * refuses and accepts exactly the same changes.
 */
import type { Backend, RoutingConfig, RoutingGroup, RoutingRule } from './model.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidRoutingError, NotFoundError, type RoutingEntityKind } from './edit-errors.js';
import { formatPath, validateRoutingConfig, type PathSegment, type ValidationIssue } from './validate.js';

/** Which list of the config an entity kind lives in. */
const LIST_OF = { backend: 'backends', group: 'groups', rule: 'rules' } as const;

/**
 * The issues that forbid storing `next`. While no default group was ever set (a store built
 * up through the admin API), its absence is not held against a change.
 */
export function storableIssues(next: RoutingConfig, current: RoutingConfig): ValidationIssue[] {
  const issues = validateRoutingConfig(next);
  return next.defaultGroup === '' && current.defaultGroup === '' ? issues.filter((i) => i.path !== 'defaultGroup') : issues;
}

export function throwIfInvalid(issues: readonly ValidationIssue[]): void {
  if (issues.length > 0) throw new InvalidRoutingError(issues);
}

/** The whole configuration replaced (import, seeding): checked as a whole, default group included. */
export function replaceAll(_current: RoutingConfig, next: RoutingConfig): RoutingConfig {
  throwIfInvalid(validateRoutingConfig(next));
  return next;
}

export function setDefaultGroup(current: RoutingConfig, name: string): RoutingConfig {
  return checked(current, { ...current, defaultGroup: name });
}

export function createBackend(current: RoutingConfig, backend: Backend): RoutingConfig {
  if (current.backends.some((b) => b.name === backend.name)) throw new AlreadyExistsError('backend', backend.name);
  return checked(current, { ...current, backends: [...current.backends, backend] }, 'backend', current.backends.length);
}

/** Replaces the backend with the same name. */
export function updateBackend(current: RoutingConfig, backend: Backend): RoutingConfig {
  const index = indexOf(current.backends, 'backend', backend.name);
  return checked(current, { ...current, backends: replaced(current.backends, index, backend) }, 'backend', index);
}

export function deleteBackend(current: RoutingConfig, name: string): RoutingConfig {
  indexOf(current.backends, 'backend', name);
  const groups = current.groups.filter((g) => g.members.some((m) => m.backend === name)).map((g) => g.name);
  if (groups.length > 0) {
    throw new FailedPreconditionError(
      `backend ${JSON.stringify(name)} is a member of group(s) ${groups.join(', ')}; remove it from them first (or disable it)`,
      { backend: name, groups },
    );
  }
  return checked(current, { ...current, backends: current.backends.filter((b) => b.name !== name) });
}

export function createGroup(current: RoutingConfig, group: RoutingGroup): RoutingConfig {
  if (current.groups.some((g) => g.name === group.name)) throw new AlreadyExistsError('group', group.name);
  return checked(current, { ...current, groups: [...current.groups, group] }, 'group', current.groups.length);
}

/** Replaces the group with the same name, members included. */
export function updateGroup(current: RoutingConfig, group: RoutingGroup): RoutingConfig {
  const index = indexOf(current.groups, 'group', group.name);
  return checked(current, { ...current, groups: replaced(current.groups, index, group) }, 'group', index);
}

export function deleteGroup(current: RoutingConfig, name: string): RoutingConfig {
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
  return checked(current, { ...current, groups: current.groups.filter((g) => g.name !== name) });
}

export function createRule(current: RoutingConfig, rule: RoutingRule): RoutingConfig {
  if (current.rules.some((r) => r.name === rule.name)) throw new AlreadyExistsError('rule', rule.name);
  return checked(current, { ...current, rules: [...current.rules, rule] }, 'rule', current.rules.length);
}

export function updateRule(current: RoutingConfig, rule: RoutingRule): RoutingConfig {
  const index = indexOf(current.rules, 'rule', rule.name);
  return checked(current, { ...current, rules: replaced(current.rules, index, rule) }, 'rule', index);
}

export function deleteRule(current: RoutingConfig, name: string): RoutingConfig {
  indexOf(current.rules, 'rule', name);
  return checked(current, { ...current, rules: current.rules.filter((r) => r.name !== name) });
}

export function findEntity<T extends { readonly name: string }>(items: readonly T[], kind: RoutingEntityKind, name: string): T {
  return items[indexOf(items, kind, name)] as T;
}

/**
 * Returns `next` when it may be stored. Issues about the changed entity are labelled
 * `backend.url` rather than `backends[3].url`.
 */
function checked(current: RoutingConfig, next: RoutingConfig, kind?: RoutingEntityKind, index?: number): RoutingConfig {
  let issues = storableIssues(next, current);
  if (kind !== undefined && index !== undefined) issues = issues.map((i) => relabel(i, LIST_OF[kind], index, kind));
  throwIfInvalid(issues);
  return next;
}

function indexOf(items: readonly { readonly name: string }[], kind: RoutingEntityKind, name: string): number {
  const index = items.findIndex((item) => item.name === name);
  if (index < 0) throw new NotFoundError(kind, name, items.map((item) => item.name));
  return index;
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
