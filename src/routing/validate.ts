/**
 * The one check of a routing configuration's meaning, shared by the config loader and the
 * admin API: names, value ranges, references between backends, groups and rules, fallback
 * cycles, and whether regexes, cron expressions and time zones would work at run time.
 * Pure: it returns every problem found, each with the field path it concerns.
 */
import { didYouMean } from '../did-you-mean.js';
import { RULE_FIELD_KEYS, RULE_FIELDS, type FieldKind, type FieldKinds } from './fields.js';
import type { HeaderMatch, RoutingConfig, RuleMatch, StringMatch, TagsMatch, UptimeSchedule } from './model.js';

export type PathSegment = string | number;

export interface ValidationIssue {
  /** Rendered field path, e.g. `groups[1].members[0].weight`. */
  readonly path: string;
  /** The same path as segments, for callers that map it onto another shape (the YAML file). */
  readonly segments: readonly PathSegment[];
  readonly message: string;
}

/** Backend names are Envoy cluster names and appear in signed URL prefixes. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
export const MAX_REGEX_LENGTH = 1000;
const STRATEGIES: ReadonlySet<string> = new Set(['round_robin', 'random', 'weighted', 'least_load']);
const MATCH_FIELDS: ReadonlySet<string> = new Set<string>(RULE_FIELD_KEYS);
/** An HTTP field name (RFC 9110 token); pseudo-headers such as :path have fields of their own. */
export const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** Collects issues; `at` builds a child collector whose paths start with the given segments. */
class IssueList {
  constructor(
    private readonly issues: ValidationIssue[],
    private readonly base: readonly PathSegment[] = [],
  ) {}

  at(...segments: PathSegment[]): IssueList {
    return new IssueList(this.issues, [...this.base, ...segments]);
  }

  add(message: string, ...segments: PathSegment[]): void {
    const full = [...this.base, ...segments];
    this.issues.push({ path: formatPath(full), segments: full, message });
  }
}

export function validateRoutingConfig(cfg: RoutingConfig): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const root = new IssueList(issues);
  const backendNames = checkNames(cfg.backends, 'backend', root.at('backends'));
  const groupNames = checkNames(cfg.groups, 'group', root.at('groups'));
  checkNames(cfg.rules, 'rule', root.at('rules'));

  cfg.backends.forEach((backend, i) => {
    const at = root.at('backends', i);
    checkUrl(backend.url, at);
    if (backend.maxLoad !== undefined && !(Number.isFinite(backend.maxLoad) && backend.maxLoad > 0)) {
      at.add(`expected a positive number or no ceiling, got ${String(backend.maxLoad)}`, 'maxLoad');
    }
    checkLimit(backend.maxRunningQueries, at, 'maxRunningQueries');
    if (!Array.isArray(backend.schedules)) at.add('expected a list of schedules', 'schedules');
    else backend.schedules.forEach((schedule, k) => checkSchedule(schedule, at.at('schedules', k)));
  });

  cfg.groups.forEach((group, i) => {
    const at = root.at('groups', i);
    if (!STRATEGIES.has(group.strategy)) {
      at.add(`expected one of ${[...STRATEGIES].join(', ')}, got ${JSON.stringify(group.strategy)}`, 'strategy');
    }
    checkMembers(group.members, group.strategy, backendNames, at);
    checkLimit(group.maxRunningQueries, at, 'maxRunningQueries');
    if (group.fallback !== undefined) {
      if (group.fallback === group.name) at.add('a group cannot fall back to itself', 'fallback');
      else if (!groupNames.has(group.fallback)) at.add(`unknown group ${JSON.stringify(group.fallback)}${didYouMean(group.fallback, groupNames)}`, 'fallback');
    }
  });
  checkFallbackCycles(cfg, root);

  cfg.rules.forEach((rule, i) => {
    const at = root.at('rules', i);
    if (!Number.isSafeInteger(rule.priority)) at.add(`expected an integer, got ${String(rule.priority)}`, 'priority');
    if (!groupNames.has(rule.group)) at.add(`unknown group ${JSON.stringify(rule.group)}${didYouMean(rule.group, groupNames)}`, 'group');
    if (rule.backend !== undefined && !backendNames.has(rule.backend)) at.add(`unknown backend ${JSON.stringify(rule.backend)}${didYouMean(rule.backend, backendNames)}`, 'backend');
    if (rule.requestedGroups !== undefined) {
      if (!Array.isArray(rule.requestedGroups) || rule.requestedGroups.length === 0) {
        at.add('expected a non-empty list of the groups a client may name in X-Trino-Routing-Group', 'requestedGroups');
      } else {
        rule.requestedGroups.forEach((name, k) => {
          if (!groupNames.has(name)) at.add(`unknown group ${JSON.stringify(name)}${didYouMean(name, groupNames)}`, 'requestedGroups', k);
        });
      }
      if (rule.backend !== undefined) at.add('a rule names either one backend or the groups a client may request, not both', 'requestedGroups');
    }
    if (rule.fallback !== undefined && rule.fallback !== false) at.add('expected false (no fallback) or no value', 'fallback');
    checkLimit(rule.maxRunningPerUser, at, 'maxRunningPerUser');
    if (rule.queuePriority !== undefined && !Number.isSafeInteger(rule.queuePriority)) at.add(`expected an integer, got ${String(rule.queuePriority)}`, 'queuePriority');
    checkMatch(rule.match, at.at('match'));
  });

  if (!groupNames.has(cfg.defaultGroup)) {
    root.add(`unknown group ${JSON.stringify(cfg.defaultGroup)}${didYouMean(cfg.defaultGroup, groupNames)}: the default group must be one of the groups`, 'defaultGroup');
  }
  return issues;
}

/** A concurrency limit: a positive integer, or absent for none. */
function checkLimit(limit: number | undefined, at: IssueList, field: string): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) at.add(`expected a positive integer or no limit, got ${String(limit)}`, field);
}

/** Checks name syntax and uniqueness; returns the set of names. */
function checkNames(items: readonly { readonly name: string }[], kind: string, at: IssueList): Set<string> {
  const firstIndex = new Map<string, number>();
  items.forEach((item, i) => {
    if (typeof item.name !== 'string' || !NAME_PATTERN.test(item.name)) {
      at.add(`a ${kind} name must be 1-128 of A-Z a-z 0-9 _ . -, got ${JSON.stringify(item.name)}`, i, 'name');
      return;
    }
    const first = firstIndex.get(item.name);
    if (first !== undefined) at.add(`duplicate ${kind} name ${JSON.stringify(item.name)} (first at index ${first})`, i, 'name');
    else firstIndex.set(item.name, i);
  });
  return new Set(firstIndex.keys());
}

function checkUrl(url: string, at: IssueList): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    at.add(`expected an http or https URL, got ${JSON.stringify(url)}`, 'url');
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    at.add(`expected an http or https URL, got scheme ${JSON.stringify(parsed.protocol.slice(0, -1))}`, 'url');
  } else if (parsed.username !== '' || parsed.password !== '') {
    // Credentials in a URL end up in logs and exports.
    at.add('the URL must not carry credentials', 'url');
  } else if (parsed.search !== '' || parsed.hash !== '') {
    at.add('expected a base URL without query or fragment', 'url');
  }
}

function checkMembers(
  members: RoutingConfig['groups'][number]['members'],
  strategy: string,
  backendNames: ReadonlySet<string>,
  at: IssueList,
): void {
  if (members.length === 0) {
    at.add('a group needs at least one backend', 'members');
    return;
  }
  const seen = new Set<string>();
  let positive = 0;
  members.forEach((member, j) => {
    if (!backendNames.has(member.backend)) at.add(`unknown backend ${JSON.stringify(member.backend)}${didYouMean(member.backend, backendNames)}`, 'members', j, 'backend');
    else if (seen.has(member.backend)) at.add(`backend ${JSON.stringify(member.backend)} is listed twice`, 'members', j, 'backend');
    seen.add(member.backend);
    if (!(Number.isFinite(member.weight) && member.weight >= 0)) {
      at.add(`expected a weight >= 0, got ${String(member.weight)}`, 'members', j, 'weight');
    } else if (member.weight > 0) {
      positive++;
    }
  });
  if (strategy === 'weighted' && positive === 0) {
    at.add('a weighted group needs at least one backend with a weight above 0', 'members');
  }
}

/** Reports each fallback cycle once, at the group of the cycle that comes first. */
function checkFallbackCycles(cfg: RoutingConfig, root: IssueList): void {
  const fallbackOf = new Map(cfg.groups.map((g) => [g.name, g.fallback]));
  const indexOf = new Map(cfg.groups.map((g, i) => [g.name, i]));
  const reported = new Set<string>();
  for (const group of cfg.groups) {
    const chain: string[] = [];
    let name: string | undefined = group.name;
    while (name !== undefined && !chain.includes(name)) {
      chain.push(name);
      name = fallbackOf.get(name);
    }
    if (name === undefined) continue;
    const cycle = chain.slice(chain.indexOf(name));
    // Self-fallback already has its own message; a chain leading into a cycle is reported by the cycle.
    if (cycle.length < 2 || cycle[0] !== group.name) continue;
    const key = [...cycle].sort().join('\n');
    if (reported.has(key)) continue;
    reported.add(key);
    const first = Math.min(...cycle.map((n) => indexOf.get(n) ?? 0));
    root.add(`fallback chain forms a cycle: ${[...cycle, cycle[0]].join(' -> ')}`, 'groups', first, 'fallback');
  }
}

function checkSchedule(schedule: UptimeSchedule, at: IssueList): void {
  const cronProblem = cronSyntaxProblem(schedule.cron);
  if (cronProblem !== undefined) at.add(cronProblem, 'cron');
  const zoneProblem = timeZoneProblem(schedule.timeZone);
  if (zoneProblem !== undefined) at.add(zoneProblem, 'timeZone');
}

type Checker<K extends FieldKind> = (spec: FieldKinds[K]['spec'], at: IssueList) => void;

/** How each kind of condition is checked; the fields come from the table. */
const CHECKERS: { readonly [K in FieldKind]: Checker<K> } = {
  string: checkStringMatch,
  tags: checkTagsMatch,
  ports: (ports, at) => {
    if (!Array.isArray(ports) || ports.length === 0) {
      at.add('expected a port or a non-empty list of ports');
      return;
    }
    ports.forEach((port, k) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535) at.add(`expected a port 1-65535, got ${String(port)}`, k);
    });
  },
  properties: (props, at) => {
    if (props === null || typeof props !== 'object' || Object.keys(props).length === 0) {
      at.add('expected a non-empty map of session property names to values');
      return;
    }
    for (const [name, value] of Object.entries(props)) {
      if (typeof value !== 'string') at.add(`expected a string value, got ${typeof value}`, name);
    }
  },
  headers: (conditions, at) => {
    if (!Array.isArray(conditions) || conditions.length === 0) {
      at.add('expected a header condition or a non-empty list of them');
      return;
    }
    conditions.forEach((condition, k) => checkHeaderMatch(condition, at.at(k)));
  },
  names: (spec, at) => {
    const keys = spec !== null && typeof spec === 'object' ? Object.keys(spec) : [];
    if (keys.length !== 1 || !['glob', 'regex'].includes(keys[0] ?? '')) {
      at.add('expected exactly one of glob, regex');
      return;
    }
    if ('glob' in spec) {
      if (!Array.isArray(spec.glob) || spec.glob.length === 0) at.add('expected a non-empty list of globs such as hive.etl.*', 'glob');
      else spec.glob.forEach((g, k) => { if (typeof g !== 'string' || g === '') at.add('expected a non-empty glob such as hive.etl.*', 'glob', k); });
      return;
    }
    const problem = regexProblem(spec.regex);
    if (problem !== undefined) at.add(problem, 'regex');
  },
};

/** A field with a closed set of values (statement kinds): exact / anyOf must name one of them. */
function checkClosedValues(spec: unknown, values: readonly string[], at: IssueList): void {
  if (spec === null || typeof spec !== 'object') return;
  const named = 'exact' in spec ? [spec.exact] : 'anyOf' in spec && Array.isArray(spec.anyOf) ? spec.anyOf : [];
  named.forEach((value: unknown, k: number) => {
    if (typeof value === 'string' && !values.includes(value)) {
      at.add(`unknown value ${JSON.stringify(value)}; expected one of ${values.join(', ')}`, 'exact' in spec ? 'exact' : 'anyOf', ...('exact' in spec ? [] : [k]));
    }
  });
}

function checkMatch(match: RuleMatch, at: IssueList): void {
  if (match === null || typeof match !== 'object') {
    at.add('expected an object of conditions');
    return;
  }
  for (const key of Object.keys(match)) {
    if (!MATCH_FIELDS.has(key)) at.add(`unknown condition; expected one of ${[...MATCH_FIELDS].join(', ')}`, key);
  }
  for (const definition of RULE_FIELDS) {
    const spec = match[definition.key];
    if (spec === undefined) continue;
    (CHECKERS[definition.kind] as Checker<FieldKind>)(spec as never, at.at(definition.key));
    if (definition.values !== undefined) checkClosedValues(spec, definition.values, at.at(definition.key));
  }
}

function checkHeaderMatch(condition: HeaderMatch, at: IssueList): void {
  if (condition === null || typeof condition !== 'object') {
    at.add('expected {name, exact | anyOf | regex | present}');
    return;
  }
  const { name, ...rest } = condition as HeaderMatch & Record<string, unknown>;
  if (typeof name !== 'string' || !HEADER_NAME_PATTERN.test(name)) {
    at.add(`not a header name: ${JSON.stringify(name)} (letters, digits and !#$%&'*+.^_\`|~- only; pseudo-headers have their own conditions)`, 'name');
  }
  if ('present' in rest) {
    if (Object.keys(rest).length !== 1) at.add('expected exactly one of exact, anyOf, regex, present');
    else if (typeof rest.present !== 'boolean') at.add('expected true or false', 'present');
    return;
  }
  checkStringMatch(rest as StringMatch, at, ', present');
}

function checkStringMatch(spec: StringMatch, at: IssueList, more = ''): void {
  const keys = spec !== null && typeof spec === 'object' ? Object.keys(spec) : [];
  if (keys.length !== 1 || !['exact', 'anyOf', 'regex'].includes(keys[0] ?? '')) {
    at.add(`expected exactly one of exact, anyOf, regex${more}`);
    return;
  }
  if ('exact' in spec) {
    if (typeof spec.exact !== 'string') at.add('expected a string', 'exact');
  } else if ('anyOf' in spec) {
    if (!Array.isArray(spec.anyOf) || spec.anyOf.length === 0) at.add('expected a non-empty list of strings', 'anyOf');
    else spec.anyOf.forEach((v, k) => { if (typeof v !== 'string') at.add('expected a string', 'anyOf', k); });
  } else {
    const problem = regexProblem(spec.regex);
    if (problem !== undefined) at.add(problem, 'regex');
  }
}

function checkTagsMatch(spec: TagsMatch, at: IssueList): void {
  const keys = spec !== null && typeof spec === 'object' ? Object.keys(spec) : [];
  if (keys.length !== 1 || !['containsAll', 'containsAny'].includes(keys[0] ?? '')) {
    at.add('expected exactly one of containsAll, containsAny');
    return;
  }
  const [key, tags] = 'containsAll' in spec ? ['containsAll', spec.containsAll] : ['containsAny', spec.containsAny];
  if (!Array.isArray(tags) || tags.length === 0) at.add('expected a non-empty list of tags', key);
  else tags.forEach((tag, k) => { if (typeof tag !== 'string' || tag === '') at.add('expected a non-empty string', key, k); });
}

/** Why a rule regex cannot be used, or undefined. Compiled with the flags the matchers use. */
export function regexProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'expected a regular expression string';
  // Long patterns are where catastrophic backtracking hides; nothing legitimate needs more.
  if (pattern.length > MAX_REGEX_LENGTH) return `regular expression is ${pattern.length} characters; at most ${MAX_REGEX_LENGTH} allowed`;
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
}

/** Why a time zone is not usable, or undefined. Asks the runtime's own time zone data. */
export function timeZoneProblem(timeZone: unknown): string | undefined {
  if (typeof timeZone !== 'string' || timeZone === '') return 'expected an IANA time zone such as Europe/Berlin or UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(timeZone)}; expected an IANA name such as Europe/Berlin or UTC`;
  }
}

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 7 is Sunday too, as in most cron implementations.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/**
 * Why a five-field cron expression is malformed, or undefined. Checks syntax and ranges
 * (`*`, `a`, `a-b`, `x/step`, lists, month and weekday names); evaluation is the monitor's job.
 */
export function cronSyntaxProblem(expression: unknown): string | undefined {
  if (typeof expression !== 'string') return 'expected a five-field cron expression';
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `expected five cron fields (minute hour day-of-month month day-of-week), got ${fields.length} in ${JSON.stringify(expression)}`;
  }
  for (let i = 0; i < 5; i++) {
    const field = CRON_FIELDS[i] as CronField;
    for (const part of (fields[i] as string).split(',')) {
      const problem = cronPartProblem(part, field);
      if (problem !== undefined) return `cron ${field.name} field ${JSON.stringify(fields[i])}: ${problem}`;
    }
  }
  return undefined;
}

function cronPartProblem(part: string, field: CronField): string | undefined {
  const [range, step, extra] = part.split('/');
  if (range === undefined || range === '' || extra !== undefined) return `malformed part ${JSON.stringify(part)}`;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) return `step ${JSON.stringify(step)} must be a positive integer`;
  if (range === '*') return undefined;
  const [from, to, more] = range.split('-');
  if (more !== undefined) return `malformed range ${JSON.stringify(range)}`;
  const low = cronValue(from ?? '', field);
  if (low === undefined) return `${JSON.stringify(from)} is not a value in ${field.min}-${field.max}`;
  if (to === undefined) return undefined;
  const high = cronValue(to, field);
  if (high === undefined) return `${JSON.stringify(to)} is not a value in ${field.min}-${field.max}`;
  if (high < low) return `range ${JSON.stringify(range)} runs backwards`;
  return undefined;
}

function cronValue(token: string, field: CronField): number | undefined {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    return value >= field.min && value <= field.max ? value : undefined;
  }
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return field.min + index;
}
