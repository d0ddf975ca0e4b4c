/**
 * `rules`: list, get, create, update, delete, reorder.
 */
import type { Command } from 'commander';
import type { Rule, RuleMatch } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { UsageError } from '../errors.js';
import { block, table } from '../output.js';
import { integer, text } from '../parse.js';
import { describeMatch, EVERY_REQUEST, noConditions, parseMatch } from '../rule-match.js';
import { withSession, type CliRuntime, type Session } from '../session.js';

const MATCH_HELP = 'conditions as in the config file, e.g. \'{user: {regex: "^etl_"}, clientTags: {containsAny: [etl]}}\'';

export function registerRules(program: Command, runtime: CliRuntime): void {
  const rules = program.command('rules').description('routing rules: the first match by priority names the group of a new query');
  const run = (command: Command, action: (session: Session) => Promise<void>) => withSession(runtime, command, action);

  rules.command('list').description('every rule, in evaluation order').action((_options, command: Command) => run(command, async (s) => {
    const response = await s.client.rules.listRules({});
    s.print(response, () => ruleTable(response.rules));
  }));

  rules.command('get').description('one rule').argument('<name>').action((name: string, _options, command: Command) => run(command, async (s) => {
    const response = await s.client.rules.getRule({ name });
    s.print(response, () => ruleBlock(response.rule));
  }));

  rules.command('create').description('add a rule')
    .argument('<name>')
    .requiredOption('--group <group>', 'the group its queries go to')
    .option('--priority <n>', 'lower runs first (default 100)', integer)
    .option('--match <yaml>', MATCH_HELP, text)
    .option('--match-all', MATCH_ALL_HELP)
    .option('--backend <backend>', BACKEND_HELP, text)
    .option('--requested-groups <groups>', REQUESTED_HELP, list)
    .option('--no-fallback', NO_FALLBACK_HELP)
    .action((name: string, options: RuleOptions, command: Command) => run(command, async (s) => {
      checkConditions(name, options, 'create');
      const response = await s.client.rules.createRule({ rule: ruleOf(name, options) });
      s.print(response, () => `created rule ${name} (revision ${response.revision})`);
    }));

  rules.command('update').description('change the given fields of a rule')
    .argument('<name>')
    .option('--group <group>', 'the group its queries go to')
    .option('--priority <n>', 'lower runs first', integer)
    .option('--match <yaml>', `replace the conditions; ${MATCH_HELP}`, text)
    .option('--match-all', `remove every condition; ${MATCH_ALL_HELP}`)
    .option('--backend <backend>', `${BACKEND_HELP}; "" removes it`)
    .option('--requested-groups <groups>', `${REQUESTED_HELP}; "" removes them`, list)
    .option('--no-fallback', NO_FALLBACK_HELP)
    .option('--fallback', 'fall back again (undoes --no-fallback)')
    .action((name: string, options: RuleOptions, command: Command) => run(command, async (s) => {
      const mask: string[] = [];
      if (options.group !== undefined) mask.push('group');
      if (options.priority !== undefined) mask.push('priority');
      if (options.match !== undefined || options.matchAll === true) {
        checkConditions(name, options, 'update');
        mask.push('match');
      }
      if (options.backend !== undefined) mask.push('backend');
      if (options.requestedGroups !== undefined) mask.push('requested_groups');
      if (command.getOptionValueSource('fallback') === 'cli') mask.push('no_fallback');
      if (mask.length === 0) throw new UsageError('nothing to update: give --group, --priority, --match, --backend, --requested-groups or --[no-]fallback');
      const response = await s.client.rules.updateRule({ rule: ruleOf(name, options), updateMask: mask });
      s.print(response, () => `updated rule ${name}: ${mask.join(', ')} (revision ${response.revision})`);
    }));

  rules.command('delete').description('remove a rule').argument('<name>')
    .action((name: string, _options, command: Command) => run(command, async (s) => {
      const response = await s.client.rules.deleteRule({ name });
      s.print(response, () => `deleted rule ${name} (revision ${response.revision})`);
    }));

  rules.command('reorder').description('give every rule a new priority in the order listed (all rules, once each)')
    .argument('<names...>')
    .option('--first <n>', 'priority of the first rule', integer, 10)
    .option('--step <n>', 'distance between priorities', integer, 10)
    .action((names: string[], options: { first: number; step: number }, command: Command) => run(command, async (s) => {
      const response = await s.client.rules.reorderRules({ names, firstPriority: options.first, step: options.step });
      s.print(response, () => `${ruleTable(response.rules)}\n(revision ${response.revision})`);
    }));
}

interface RuleOptions {
  readonly group?: string;
  readonly priority?: number;
  readonly match?: string;
  readonly matchAll?: boolean;
  readonly backend?: string;
  readonly requestedGroups?: string[];
  /** false with --no-fallback. */
  readonly fallback?: boolean;
}

const MATCH_ALL_HELP = 'the rule has no conditions: it takes every query that reaches its priority';
const BACKEND_HELP = 'send the rule\'s queries to this one backend; its group takes those it cannot';
const REQUESTED_HELP = 'groups a client may name in X-Trino-Routing-Group (comma-separated); the named one replaces the group';
const NO_FALLBACK_HELP = 'refuse what the rule\'s backend (or its group alone) cannot take instead of falling back';

function list(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * A rule without conditions takes every query from the rules after it, so it must be asked
 * for with --match-all (an omitted or empty --match is refused).
 */
function checkConditions(name: string, options: RuleOptions, verb: 'create' | 'update'): void {
  if (options.matchAll === true) {
    if (options.match !== undefined) throw new UsageError('give --match or --match-all, not both');
    return;
  }
  const match = options.match === undefined ? undefined : parseMatch(options.match);
  if (match === undefined || describeMatch(match) === EVERY_REQUEST) {
    const given = options.match === undefined ? 'no --match' : `--match ${JSON.stringify(options.match)} has no conditions`;
    throw new UsageError(
      `rule ${name}: ${given}; a rule without conditions takes every query that reaches its priority. `
      + `Give the conditions with --match '{user: {regex: "^etl_"}}' (as in the config file), or --match-all if every query is meant${verb === 'create' ? '' : ' (it replaces the conditions)'}`,
    );
  }
}

function ruleOf(name: string, options: RuleOptions): Rule {
  return {
    name,
    group: options.group ?? '',
    priority: options.priority,
    match: options.matchAll === true ? noConditions() : matchOf(options.match),
    backend: options.backend === '' ? undefined : options.backend,
    requestedGroups: options.requestedGroups ?? [],
    noFallback: options.fallback === false,
  };
}

function target(rule: Rule): string {
  const parts = [rule.backend === undefined ? rule.group : `backend ${rule.backend}, else ${rule.group}`];
  if (rule.requestedGroups.length > 0) parts.push(`or the requested one of ${rule.requestedGroups.join(', ')}`);
  if (rule.noFallback) parts.push('no fallback');
  return parts.join('; ');
}

function matchOf(text: string | undefined): RuleMatch | undefined {
  return text === undefined ? undefined : parseMatch(text);
}

function ruleTable(rules: readonly Rule[]): string {
  return table(['PRIORITY', 'NAME', 'GROUP', 'MATCH'], rules.map((r) => [String(r.priority ?? ''), r.name, target(r), describeMatch(r.match)]));
}

function ruleBlock(rule: Rule | undefined): string {
  if (rule === undefined) return '';
  return block([
    ['name', rule.name],
    ['priority', String(rule.priority ?? '')],
    ['group', rule.group],
    ...(rule.backend === undefined ? [] : [['backend', rule.backend] as [string, string]]),
    ...(rule.requestedGroups.length === 0 ? [] : [['requested groups', rule.requestedGroups.join(', ')] as [string, string]]),
    ...(rule.noFallback ? [['fallback', 'no'] as [string, string]] : []),
    ['match', describeMatch(rule.match)],
  ]);
}
