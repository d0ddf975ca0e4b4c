/**
 * `explain`: what the router would do with a request now, and why.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { ExplainResponse, Header, RequestFacts, StatementFacts } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { UsageError } from '../errors.js';
import { block, table } from '../output.js';
import { collect, header, keyValue, port, text } from '../parse.js';
import { withSession, type CliRuntime } from '../session.js';

interface ExplainOptions {
  readonly method: string;
  readonly path: string;
  readonly header?: Header[];
  readonly user?: string;
  readonly source?: string;
  readonly clientTags?: string;
  readonly catalog?: string;
  readonly schema?: string;
  readonly session?: [string, string][];
  readonly host?: string;
  readonly listenerPort?: number;
  readonly sql?: string;
  readonly sqlFile?: string;
}

export function registerExplain(program: Command, runtime: CliRuntime): void {
  program.command('explain')
    .description('the decision the router would make for a request now: every rule tried, every backend\'s eligibility')
    .option('-X, --method <method>', 'HTTP method', 'POST')
    .option('--path <path>', 'request path (a new query by default)', '/v1/statement')
    .option('-H, --header <header>', '"Name: value" as the client sends it (repeatable)', collect(header))
    .option('-u, --user <user>', 'shorthand for -H "X-Trino-User: <user>"')
    .option('--source <source>', 'shorthand for -H "X-Trino-Source: <source>"')
    .option('--client-tags <tags>', 'shorthand for -H "X-Trino-Client-Tags: <tags>" (comma-separated)')
    .option('--catalog <catalog>', 'shorthand for -H "X-Trino-Catalog: <catalog>"')
    .option('--schema <schema>', 'shorthand for -H "X-Trino-Schema: <schema>"')
    .option('--session <key=value>', 'shorthand for a X-Trino-Session entry (repeatable)', collect(keyValue))
    .option('--host <authority>', 'the Host the client uses', text)
    .option('--listener-port <port>', 'Envoy listener port the request arrives on', port)
    .option('--sql <statement>', 'the submission\'s SQL, for rules on the statement (kind, tables, text)', text)
    .option('--sql-file <path>', 'read the SQL from a file (- for stdin)', text)
    .action((options: ExplainOptions, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.explain.explain({
        method: options.method,
        path: options.path,
        headers: headersOf(options),
        listenerPort: options.listenerPort,
        sql: await sqlOf(options),
      });
      s.print(response, () => describe(response, options));
    }));
}

async function sqlOf(options: ExplainOptions): Promise<string | undefined> {
  if (options.sql !== undefined && options.sqlFile !== undefined) throw new UsageError('give --sql or --sql-file, not both');
  if (options.sqlFile === undefined) return options.sql;
  try {
    return options.sqlFile === '-' ? await readStream(process.stdin) : await readFile(options.sqlFile, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --sql-file ${options.sqlFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function statementBlock(st: StatementFacts): string {
  if (st.status !== 'parsed') return block([['statement', `unknown (${st.unknownReason}): ${st.detail}`], ['rules see', 'statementKind unknown, no tables']]);
  const none = '(none)';
  return block([
    ['kind', st.kind],
    ['tables read', st.tablesRead.length === 0 ? none : st.tablesRead.join(', ')],
    ['tables written', st.tablesWritten.length === 0 ? none : st.tablesWritten.join(', ')],
    ...(st.preparedStatement === '' ? [] : [['prepared statement', st.preparedStatement] as [string, string]]),
    ['parse time', `${st.parseMicros} µs`],
  ]);
}

function headersOf(options: ExplainOptions): Header[] {
  const headers: Header[] = [];
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) headers.push({ name, value });
  };
  add('Host', options.host);
  add('X-Trino-User', options.user);
  add('X-Trino-Source', options.source);
  add('X-Trino-Client-Tags', options.clientTags);
  add('X-Trino-Catalog', options.catalog);
  add('X-Trino-Schema', options.schema);
  for (const [key, value] of options.session ?? []) add('X-Trino-Session', `${key}=${encodeURIComponent(value)}`);
  return [...headers, ...(options.header ?? [])];
}

function describe(e: ExplainResponse, options: ExplainOptions): string {
  const sections = [`${options.method} ${options.path}`, `decision: ${e.summary}`];
  if (e.facts !== undefined) sections.push(`request as the rules see it:\n${indent(factsBlock(e.facts))}`);
  if (e.statement !== undefined) sections.push(`statement:\n${indent(statementBlock(e.statement))}`);
  if (e.rules.length > 0) {
    sections.push(`rules (first match wins):\n${indent(table(
      ['RESULT', 'PRIORITY', 'RULE', 'GROUP', 'CONDITIONS'],
      e.rules.map((r) => [
        r.result === 'not_reached' ? `not reached${r.wouldMatch ? ' (would match)' : ''}` : r.result.replace('_', ' '),
        String(r.priority),
        r.name,
        r.group,
        r.conditions.length === 0
          ? '(none: matches every request)'
          : r.conditions.map((c) => `${c.field} ${c.expected}: ${c.matched ? 'yes' : `no, got ${c.actual}`}`).join('; '),
      ]),
    ))}`);
  } else if (e.facts !== undefined) {
    sections.push('rules: none configured');
  }
  if (e.groups.length > 0) {
    sections.push(`groups tried:\n${indent(e.groups.map((g) => `${g.group} (${g.strategy})\n${indent(table(
      ['BACKEND', 'ELIGIBLE', 'HEALTH', 'LOAD', 'WEIGHT', ''],
      g.backends.map((b) => [
        b.backend,
        b.eligible ? 'yes' : `no: ${b.reason.replaceAll('_', ' ')}`,
        b.health,
        String(b.load),
        String(b.weight),
        b.backend === g.picked ? '<- picked' : '',
      ]),
    ))}`).join('\n'))}`);
  }
  if (e.reply !== undefined) {
    sections.push(`reply:\n${indent(block([['http status', String(e.reply.httpStatus)], ['reason', e.reply.reason], ['message', e.reply.message]]))}`);
  }
  if (e.rewrittenPath !== '') sections.push(`path sent to the backend: ${e.rewrittenPath}`);
  sections.push(`(routing revision ${e.revision})`);
  return sections.join('\n\n');
}

function factsBlock(f: RequestFacts): string {
  // A router that labels its facts (every field of its rule table) is printed as it says.
  if (f.labeled.length > 0) return block(f.labeled.map((fact) => [fact.label, fact.value]));
  const absent = '(absent)';
  const session = Object.entries(f.sessionProperties).map(([k, v]) => `${k}=${v}`).join(', ');
  return block([
    ['method', f.method],
    ['path', f.path],
    ['host', f.host === '' ? absent : f.host],
    ['listener port', f.listenerPort === undefined ? absent : String(f.listenerPort)],
    ['user', f.user ?? absent],
    ['source', f.source ?? absent],
    ['catalog', f.catalog ?? absent],
    ['schema', f.schema ?? absent],
    ['client info', f.clientInfo ?? absent],
    ['client tags', f.clientTags.length === 0 ? absent : f.clientTags.join(', ')],
    ['session', session === '' ? absent : session],
  ]);
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}
