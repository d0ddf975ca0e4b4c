/**
 * `backends`: list, get, create, update, delete, enable, disable, drain.
 */
import { Option, type Command } from 'commander';
import type { Backend, DrainProgress } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { CliFailure, UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { block, orDash, table, when, yesNo } from '../output.js';
import { collect, positiveInteger, positiveNumber, schedule, seconds } from '../parse.js';
import { withSession, type CliRuntime, type Session } from '../session.js';

export function registerBackends(program: Command, runtime: CliRuntime): void {
  const backends = program.command('backends').description('Trino coordinators behind Envoy: list, change, enable, disable, drain');
  const run = (command: Command, action: (session: Session) => Promise<void>) => withSession(runtime, command, action);

  backends.command('list').description('every backend').action((_options, command: Command) => run(command, async (s) => {
    const response = await s.client.backends.listBackends({});
    s.print(response, () => backendTable(response.backends));
  }));

  backends.command('get').description('one backend').argument('<name>').action((name: string, _options, command: Command) => run(command, async (s) => {
    const response = await s.client.backends.getBackend({ name });
    s.print(response, () => backendBlock(response.backend));
  }));

  backends.command('create').description('add a backend (enabled unless --disabled)')
    .argument('<name>', 'the Envoy cluster name')
    .requiredOption('--url <url>', 'coordinator base URL, e.g. http://trino-c:8080')
    .option('--disabled', 'create it taking no new queries')
    .option('--prefix-routing', 'route follow-ups by signed URL prefix (Trino 458+)')
    .option('--max-load <n>', 'load at which it takes no new queries', positiveNumber)
    .option('--max-running-queries <n>', 'queries it runs at once before new ones queue in the router', positiveInteger)
    .option('--schedule <cron[@zone]>', 'in rotation during these minutes (repeatable)', collect(schedule))
    .action((name: string, options: BackendOptions, command: Command) => run(command, async (s) => {
      const response = await s.client.backends.createBackend({
        backend: {
          name,
          url: options.url ?? '',
          enabled: options.disabled !== true,
          prefixRouting: options.prefixRouting === true,
          maxLoad: typeof options.maxLoad === 'number' ? options.maxLoad : undefined,
          schedules: options.schedule ?? [],
          draining: false,
          maxRunningQueries: typeof options.maxRunningQueries === 'number' ? options.maxRunningQueries : undefined,
        },
      });
      s.print(response, () => `created backend ${name} (revision ${response.revision})`);
    }));

  backends.command('update').description('change the given fields of a backend')
    .argument('<name>')
    .option('--url <url>', 'coordinator base URL')
    .option('--prefix-routing', 'route follow-ups by signed URL prefix')
    .option('--no-prefix-routing', 'stop routing follow-ups by URL prefix')
    .option('--max-load <n>', 'load ceiling', positiveNumber)
    .option('--no-max-load', 'remove the load ceiling')
    .option('--max-running-queries <n>', 'queries it runs at once before new ones queue', positiveInteger)
    .option('--no-max-running-queries', 'remove the running-query limit')
    .option('--schedule <cron[@zone]>', 'replace the schedules (repeatable)', collect(schedule))
    .option('--clear-schedules', 'remove every schedule (always in rotation)')
    .action((name: string, options: BackendOptions, command: Command) => run(command, async (s) => {
      const mask: string[] = [];
      if (options.url !== undefined) mask.push('url');
      if (options.prefixRouting !== undefined) mask.push('prefix_routing');
      if (options.maxLoad !== undefined) mask.push('max_load');
      if (options.maxRunningQueries !== undefined) mask.push('max_running_queries');
      if (options.schedule !== undefined || options.clearSchedules === true) mask.push('schedules');
      if (options.schedule !== undefined && options.clearSchedules === true) throw new UsageError('give --schedule or --clear-schedules, not both');
      if (mask.length === 0) throw new UsageError('nothing to update: give --url, --[no-]prefix-routing, --max-load/--no-max-load, --schedule or --clear-schedules');
      const response = await s.client.backends.updateBackend({
        backend: {
          name,
          url: options.url ?? '',
          enabled: undefined,
          prefixRouting: options.prefixRouting === true,
          maxLoad: typeof options.maxLoad === 'number' ? options.maxLoad : undefined,
          schedules: options.schedule ?? [],
          draining: false,
          maxRunningQueries: typeof options.maxRunningQueries === 'number' ? options.maxRunningQueries : undefined,
        },
        updateMask: mask,
      });
      s.print(response, () => `updated backend ${name}: ${mask.join(', ')} (revision ${response.revision})`);
    }));

  backends.command('delete').description('remove a backend (it must be in no group)').argument('<name>')
    .action((name: string, _options, command: Command) => run(command, async (s) => {
      const response = await s.client.backends.deleteBackend({ name });
      s.print(response, () => `deleted backend ${name} (revision ${response.revision})`);
    }));

  backends.command('enable').description('put a backend (back) in rotation; ends a drain').argument('<name>')
    .action((name: string, _options, command: Command) => run(command, async (s) => {
      const response = await s.client.backends.enableBackend({ name });
      s.print(response, () => response.changed ? `enabled backend ${name} (revision ${response.revision})` : `backend ${name} was already enabled`);
    }));

  backends.command('disable').description('take a backend out of rotation now (running queries continue)').argument('<name>')
    .action((name: string, _options, command: Command) => run(command, async (s) => {
      const response = await s.client.backends.disableBackend({ name });
      s.print(response, () => response.changed ? `disabled backend ${name} (revision ${response.revision})` : `backend ${name} was already disabled`);
    }));

  backends.command('drain').description('send no new queries to a backend and report the queries still running')
    .argument('<name>')
    .option('--wait', 'wait until no query runs on it any more')
    // Parsed to milliseconds; the help shows the default in seconds, as the option is given.
    .addOption(new Option('--wait-timeout <seconds>', 'give up waiting after this long (exit 10)').argParser(seconds).default(600_000, '600'))
    .addOption(new Option('--interval <seconds>', 'how often to check while waiting').argParser(seconds).default(2_000, '2'))
    .action((name: string, options: DrainOptions, command: Command) => run(command, async (s) => {
      const response = await s.client.backends.drainBackend({ name });
      const started = response.changed ? `draining backend ${name} (revision ${response.revision})` : `backend ${name} is already draining`;
      if (options.wait !== true) {
        s.print(response, () => `${started}\n${describeDrain(response.progress)}`);
        return;
      }
      if (!s.json) s.output.out(`${started}\n${describeDrain(response.progress)}`);
      const final = await waitForDrain(s, name, options);
      s.print({ ...response, progress: final }, () => `backend ${name} is drained`);
    }));
}

interface BackendOptions {
  readonly url?: string;
  readonly disabled?: boolean;
  readonly prefixRouting?: boolean;
  readonly maxLoad?: number | false;
  readonly maxRunningQueries?: number | false;
  readonly schedule?: Backend['schedules'];
  readonly clearSchedules?: boolean;
}

interface DrainOptions {
  readonly wait?: boolean;
  readonly waitTimeout: number;
  readonly interval: number;
}

async function waitForDrain(s: Session, name: string, options: DrainOptions): Promise<DrainProgress> {
  const deadline = s.now() + options.waitTimeout;
  for (;;) {
    const status = await s.client.status.getStatus({ backends: [name], historyLimit: 0 });
    const progress = status.backends[0]?.drain;
    if (!status.monitored) {
      throw new CliFailure(EXIT.notAvailable, 'cannot wait for the drain: no health monitor runs on this router to count the remaining queries');
    }
    if (progress?.drained === true) return progress;
    if (s.now() >= deadline) {
      throw new CliFailure(EXIT.timedOut, `backend ${name} is still draining after ${Math.round(options.waitTimeout / 1000)}s: ${describeDrain(progress)}`);
    }
    if (!s.json && progress !== undefined) s.output.err(describeDrain(progress));
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.interval, Math.max(0, deadline - s.now()))));
  }
}

function describeDrain(progress: DrainProgress | undefined): string {
  if (progress === undefined || !progress.known) return 'progress: not reported yet (the health monitor counts the remaining queries)';
  if (progress.drained) return `progress: drained (since ${when(progress.since)})`;
  return `progress: ${progress.remaining} quer${progress.remaining === 1 ? 'y' : 'ies'} still running or queued (draining since ${when(progress.since)})`;
}

function backendTable(backends: readonly Backend[]): string {
  return table(
    ['NAME', 'ENABLED', 'DRAINING', 'PREFIX', 'MAX LOAD', 'SCHEDULES', 'URL'],
    backends.map((b) => [
      b.name,
      yesNo(b.enabled !== false),
      yesNo(b.draining),
      yesNo(b.prefixRouting),
      orDash(b.maxLoad),
      b.schedules.length === 0 ? 'always' : b.schedules.map(scheduleText).join('; '),
      b.url,
    ]),
  );
}

function backendBlock(backend: Backend | undefined): string {
  if (backend === undefined) return '';
  return block([
    ['name', backend.name],
    ['url', backend.url],
    ['enabled', yesNo(backend.enabled !== false)],
    ['draining', yesNo(backend.draining)],
    ['prefix routing', yesNo(backend.prefixRouting)],
    ['max load', orDash(backend.maxLoad)],
    ['schedules', backend.schedules.length === 0 ? 'always in rotation' : backend.schedules.map(scheduleText).join('; ')],
  ]);
}

function scheduleText(s: { readonly cron: string; readonly timeZone: string }): string {
  return `${s.cron}@${s.timeZone}`;
}
