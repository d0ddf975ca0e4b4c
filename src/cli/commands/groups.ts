/**
 * `groups`: list, get, create, update, delete, set-default.
 */
import type { Command } from 'commander';
import type { Group, GroupMember } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { UsageError } from '../errors.js';
import { block, orDash, table, yesNo } from '../output.js';
import { collect, member, positiveInteger } from '../parse.js';
import { withSession, type CliRuntime, type Session } from '../session.js';

const STRATEGY_HELP = 'round_robin, random, weighted or least_load';

export function registerGroups(program: Command, runtime: CliRuntime): void {
  const groups = program.command('groups').description('routing groups: which backends take a rule\'s queries, and how one is picked');
  const run = (command: Command, action: (session: Session) => Promise<void>) => withSession(runtime, command, action);

  groups.command('list').description('every group').action((_options, command: Command) => run(command, async (s) => {
    const response = await s.client.groups.listGroups({});
    s.print(response, () => groupTable(response.groups));
  }));

  groups.command('get').description('one group').argument('<name>').action((name: string, _options, command: Command) => run(command, async (s) => {
    const response = await s.client.groups.getGroup({ name });
    s.print(response, () => groupBlock(response.group));
  }));

  groups.command('create').description('add a group')
    .argument('<name>')
    .requiredOption('--backend <name[=weight]>', 'a member, in order (repeatable)', collect(member))
    .option('--strategy <strategy>', STRATEGY_HELP, 'round_robin')
    .option('--fallback <group>', 'group to try when no member can take a query')
    .option('--max-running-queries <n>', 'queries its backends run at once in total before new ones queue', positiveInteger)
    .action((name: string, options: GroupOptions, command: Command) => run(command, async (s) => {
      const response = await s.client.groups.createGroup({
        group: { name, strategy: options.strategy ?? '', members: options.backend ?? [], fallback: options.fallback || undefined, isDefault: false,
          maxRunningQueries: typeof options.maxRunningQueries === 'number' ? options.maxRunningQueries : undefined },
      });
      s.print(response, () => `created group ${name} (revision ${response.revision})`);
    }));

  groups.command('update').description('change the given fields of a group')
    .argument('<name>')
    .option('--backend <name[=weight]>', 'replace the members, in order (repeatable)', collect(member))
    .option('--strategy <strategy>', STRATEGY_HELP)
    .option('--fallback <group>', 'group to try when no member can take a query')
    .option('--no-fallback', 'remove the fallback')
    .option('--max-running-queries <n>', 'queries its backends run at once in total before new ones queue', positiveInteger)
    .option('--no-max-running-queries', 'remove the running-query limit')
    .action((name: string, options: GroupOptions, command: Command) => run(command, async (s) => {
      const mask: string[] = [];
      if (options.backend !== undefined) mask.push('members');
      if (options.strategy !== undefined) mask.push('strategy');
      if (options.fallback !== undefined) mask.push('fallback');
      if (options.maxRunningQueries !== undefined) mask.push('max_running_queries');
      if (mask.length === 0) throw new UsageError('nothing to update: give --backend, --strategy, --fallback or --no-fallback');
      const response = await s.client.groups.updateGroup({
        group: {
          name,
          strategy: options.strategy ?? '',
          members: options.backend ?? [],
          fallback: typeof options.fallback === 'string' ? options.fallback : undefined,
          isDefault: false,
          maxRunningQueries: typeof options.maxRunningQueries === 'number' ? options.maxRunningQueries : undefined,
        },
        updateMask: mask,
      });
      s.print(response, () => `updated group ${name}: ${mask.join(', ')} (revision ${response.revision})`);
    }));

  groups.command('delete').description('remove a group (no rule, fallback or default may use it)').argument('<name>')
    .action((name: string, _options, command: Command) => run(command, async (s) => {
      const response = await s.client.groups.deleteGroup({ name });
      s.print(response, () => `deleted group ${name} (revision ${response.revision})`);
    }));

  groups.command('set-default').description('the group for requests no rule matches').argument('<name>')
    .action((name: string, _options, command: Command) => run(command, async (s) => {
      const response = await s.client.groups.setDefaultGroup({ name });
      s.print(response, () => `default group is now ${name} (revision ${response.revision})`);
    }));
}

interface GroupOptions {
  readonly backend?: GroupMember[];
  readonly strategy?: string;
  readonly fallback?: string | false;
  readonly maxRunningQueries?: number | false;
}

function membersText(members: readonly GroupMember[]): string {
  return members.map((m) => (m.weight === undefined || m.weight === 1 ? m.backend : `${m.backend}=${m.weight}`)).join(', ');
}

function groupTable(groups: readonly Group[]): string {
  return table(
    ['NAME', 'STRATEGY', 'MEMBERS', 'FALLBACK', 'DEFAULT'],
    groups.map((g) => [g.name, g.strategy, membersText(g.members), orDash(g.fallback), g.isDefault ? 'yes' : '']),
  );
}

function groupBlock(group: Group | undefined): string {
  if (group === undefined) return '';
  return block([
    ['name', group.name],
    ['strategy', group.strategy],
    ['members', membersText(group.members)],
    ['fallback', orDash(group.fallback)],
    ['default', yesNo(group.isDefault)],
  ]);
}
