/**
 * `status`: each backend's state, health, load, last check and recent state changes.
 */
import type { Command } from 'commander';
import type { BackendStatus } from '../../gen/trino_envoy_router/admin/v1/admin.js';
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
        return lines.join('\n');
      });
    }));
}

function drainText(b: BackendStatus): string {
  if (b.drain?.known === true) return b.drain.drained ? 'drained' : `${b.drain.remaining} left`;
  return b.draining ? 'draining' : '-';
}
