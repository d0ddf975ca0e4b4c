/**
 * `status`: each backend's state, health, load, last check and recent state changes.
 */
import type { Command } from 'commander';
import type { BackendStatus, ConfigFileStatus } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { orDash, table, when, yesNo } from '../output.js';
import { nonNegativeInteger } from '../parse.js';
import { withSession, type CliRuntime } from '../session.js';

export function registerStatus(program: Command, runtime: CliRuntime): void {
  program.command('status')
    .description('backend health, load, last check, drains and state history')
    .argument('[backends...]', 'only these backends')
    .option('--history <n>', 'state changes to show per backend (newest first)', nonNegativeInteger, 0)
    .action((backends: string[], options: { history: number }, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.status.getStatus({ backends, historyLimit: options.history });
      s.print(response, () => {
        const now = s.now();
        const lines = [table(
          ['BACKEND', 'STATE', 'HEALTH', 'ENABLED', 'LOAD', 'DRAIN', 'LAST CHECK', 'LAST ERROR'],
          response.backends.map((b) => [
            b.backend,
            b.state,
            b.health,
            yesNo(b.enabled),
            b.load === undefined ? '-' : `${b.load.running} running, ${b.load.queued} queued`,
            drainText(b),
            when(b.lastCheckAt, now),
            orDash(b.lastError),
          ]),
        )];
        for (const b of response.backends) {
          if (b.history.length === 0) continue;
          lines.push('', `${b.backend} state changes:`);
          for (const change of b.history) lines.push(`  ${when(change.at, now)}  ${change.from} -> ${change.to}  ${change.reason}`);
        }
        if (!response.monitored) lines.push('', 'note: no health monitor runs on this router; health and load are unknown');
        lines.push(...configFileLines(response.configFile, now));
        return lines.join('\n');
      });
    }));
}

/** Where the routing comes from (store.seed) and the last apply or refused edit of the file. */
function configFileLines(file: ConfigFileStatus | undefined, now: number): string[] {
  if (file === undefined) return [];
  const applied = file.lastAppliedAt === undefined ? 'not applied by this router' : `applied ${when(file.lastAppliedAt, now)} as revision ${file.lastAppliedRevision ?? '?'}`;
  const lines = ['', `config file ${file.path} (store.seed: ${file.mode}): ${applied}`];
  if (file.lastError !== '') lines.push(`  last edit refused ${when(file.lastErrorAt, now)} (the last good configuration stays): ${file.lastError}`);
  if (file.restartRequired.length > 0) lines.push(`  needs a restart to apply: ${file.restartRequired.join(', ')}`);
  if (file.differsFromStore !== '') lines.push(`  note: ${file.differsFromStore}`);
  return lines;
}

function drainText(b: BackendStatus): string {
  if (b.drain?.known === true) return b.drain.drained ? 'drained' : `${b.drain.remaining} left`;
  return b.draining ? 'draining' : '-';
}
