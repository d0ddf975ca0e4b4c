/**
 * `queries`: the history of routed queries, and who owns one query.
 */
import { Option, type Command } from 'commander';
import { FORWARDED, ROUTER_ERROR_KINDS } from '../../routing/replies.js';
import type { StatementFacts } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { block, orDash, table, when, yesNo } from '../output.js';
import { nonNegativeInteger, pointInTime, text } from '../parse.js';
import { withSession, type CliRuntime } from '../session.js';

interface ListOptions {
  readonly user?: string;
  readonly source?: string;
  readonly backend?: string;
  readonly group?: string;
  readonly outcome?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit: number;
}

export function registerQueries(program: Command, runtime: CliRuntime): void {
  const queries = program.command('queries').description('routed queries: history, and which backend owns a query');
  const time = pointInTime(runtime.now);

  queries.command('list').description('routed and refused queries, newest first')
    .option('--user <user>', 'only this user', text)
    .option('--source <source>', 'only this source', text)
    .option('--backend <backend>', 'only queries routed to this backend', text)
    .option('--group <group>', 'only queries routed through this group', text)
    .addOption(new Option('--outcome <outcome>', 'only this outcome: forwarded, or why the router refused the submission').choices([FORWARDED, ...ROUTER_ERROR_KINDS]))
    .option('--since <time>', 'submitted at or after: ISO 8601, or an age such as 15m, 2h, 7d', time)
    .option('--until <time>', 'submitted at or before: ISO 8601, or an age', time)
    .option('--limit <n>', 'at most this many (up to 10000)', nonNegativeInteger, 100)
    .action((options: ListOptions, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.queries.listQueries({
        user: options.user,
        source: options.source,
        backend: options.backend,
        group: options.group,
        outcome: options.outcome,
        from: options.since,
        to: options.until,
        limit: options.limit,
      });
      s.print(response, () => {
        const now = s.now();
        // The refusal message only when a row has one: it is long, and most listings have none.
        const refusals = response.queries.some((q) => q.outcome !== FORWARDED);
        return table(
          ['SUBMITTED', 'QUERY ID', 'OUTCOME', 'BACKEND', 'GROUP', 'RULE', 'MECHANISM', 'USER', 'SOURCE', 'STATEMENT', ...(refusals ? ['MESSAGE'] : [])],
          response.queries.map((q) => [
            when(q.submittedAt, now), q.queryId, q.outcome, orDash(q.backend), orDash(q.group), orDash(q.rule), q.mechanism, orDash(q.user),
            orDash(q.source), statementCell(q.statement), ...(refusals ? [orDash(q.message)] : []),
          ]),
        );
      });
    }));

  queries.command('owner').description('which backend owns a query and how the router knows it')
    .argument('<queryId>')
    .action((queryId: string, _options, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.queries.getQueryOwner({ queryId });
      s.print(response, () => [
        response.summary,
        '',
        block([
          ['backend', response.backend + (response.backendConfigured ? '' : ' (no longer configured; follow-ups still go there)')],
          ['known by', response.knownBy],
          ['learned by', orDash(response.learnedBy)],
          ['learned at', when(response.learnedAt, s.now())],
          ['coordinator id', response.coordinatorId],
          ['in memory', yesNo(response.inMemory)],
          ['in store', yesNo(response.inStore)],
        ]),
      ].join('\n'));
    }));
}

/** The statement a rule read: its kind and the tables it writes (reads, if none), or why it was unknown. */
function statementCell(st: StatementFacts | undefined): string {
  if (st === undefined) return '-';
  if (st.status !== 'parsed') return `unknown (${st.unknownReason})`;
  const tables = st.tablesWritten.length > 0 ? ` -> ${st.tablesWritten.join(',')}` : st.tablesRead.length > 0 ? ` <- ${st.tablesRead.join(',')}` : '';
  return `${st.kind}${tables}`;
}
