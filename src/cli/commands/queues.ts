/**
 * `queues`: the gateway queue of limited groups (issue 22), the whole fleet's.
 */
import type { Command } from 'commander';
import { orDash, table, when } from '../output.js';
import { text } from '../parse.js';
import { withSession, type CliRuntime } from '../session.js';

export function registerQueues(program: Command, runtime: CliRuntime): void {
  const queues = program.command('queues').description('queries waiting in the gateway queue of limited groups');

  queues.command('list').description('waiting queries in queue order per group: position, age, user (never SQL or credentials)')
    .option('--group <group>', 'only this group', text)
    .action((options: { readonly group?: string }, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.queries.listQueued({ group: options.group ?? '' });
      s.print(response, () => {
        const now = s.now();
        return table(
          ['GROUP', 'POSITION', 'QUEUED', 'AGE', 'USER', 'SOURCE', 'RULE', 'PRIORITY', 'STATE', 'ID'],
          response.queued.map((q) => [
            q.group, String(q.position), when(q.enqueuedAt, now), `${(q.ageMs / 1000).toFixed(1)}s`, orDash(q.user), orDash(q.source),
            orDash(q.rule), String(q.priority), q.state, q.id,
          ]),
        );
      });
    }));
}
