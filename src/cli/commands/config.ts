/**
 * `config export` and `config import`: the running configuration as the YAML file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ConfigChange, ConfigDiff, ImportConfigResponse, NameDiff } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { UsageError } from '../errors.js';
import { staleNote, table, when } from '../output.js';
import { nonNegativeInteger } from '../parse.js';
import { lineDiff } from '../line-diff.js';
import { summarizeDiff } from '../../routing/routing-diff.js';
import { describeAuthor, type ChangeAuthor } from '../../routing/config-history.js';
import { withSession, type CliRuntime } from '../session.js';

export function registerConfig(program: Command, runtime: CliRuntime): void {
  const config = program.command('config').description('the configuration as the YAML file: export, import, history, show a revision, roll back');

  config.command('export').description('the running configuration with the routing the store holds now')
    .option('--include-secrets', 'write inline secrets instead of REDACTED (an import of REDACTED keeps the running secret)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action((options: { includeSecrets?: boolean; output?: string }, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.config.exportConfig({ includeSecrets: options.includeSecrets === true });
      if (options.output !== undefined) {
        writeLocal(options.output, response.yaml);
        s.print({ revision: response.revision, freshness: response.freshness, file: options.output }, () => `wrote ${options.output} (revision ${response.revision})`);
        return;
      }
      if (s.json) s.print(response, () => '');
      else {
        s.output.out(response.yaml);
        const note = staleNote(response, s.now());
        if (note !== undefined) s.output.err(note);
      }
    }));

  config.command('import').description('replace backends, groups, rules and the default group with a file\'s, in one change')
    .argument('<file>', 'YAML config file; - reads stdin')
    .option('--dry-run', 'validate and show what would change, change nothing')
    .action((file: string, options: { dryRun?: boolean }, command: Command) => withSession(runtime, command, async (s) => {
      const yaml = readLocal(file);
      const response = await s.client.config.importConfig({ yaml, dryRun: options.dryRun === true, sourceName: file === '-' ? 'stdin' : file });
      for (const setting of response.restartRequired) {
        s.output.err(`note: ${setting} differs from the running configuration; it applies only when the router restarts with this file`);
      }
      s.print(response, () => describeImport(response, options.dryRun === true));
    }));

  config.command('history').description('recorded routing changes, newest first: revision, time, method, who, what changed')
    .option('--limit <n>', 'at most this many (up to 1000)', nonNegativeInteger, 50)
    .option('--before <revision>', 'only revisions below this one (the next page)', nonNegativeInteger)
    .action((options: { limit: number; before?: number }, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.config.listConfigHistory({ limit: options.limit, beforeRevision: options.before });
      s.print(response, () => {
        const now = s.now();
        const rows = response.changes.map((c) => [String(c.revision), when(c.at, now), c.method, whoOf(c), diffLine(c.diff)]);
        const more = response.nextBeforeRevision === undefined ? '' : `\nolder: config history --before ${response.nextBeforeRevision}`;
        return response.changes.length === 0 ? 'no recorded changes' : table(['REVISION', 'AT', 'METHOD', 'WHO', 'CHANGE'], rows) + more;
      });
    }));

  config.command('show').description('the configuration as of one revision (routing from the history, other sections as running)')
    .requiredOption('--revision <n>', 'the revision (see config history)', nonNegativeInteger)
    .option('--diff', 'show what that revision changed instead: the change and a line diff against the revision before')
    .action((options: { revision: number; diff?: boolean }, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.config.getConfigRevision({ revision: options.revision });
      if (options.diff !== true) {
        if (s.json) s.print(response, () => '');
        else s.output.out(response.yaml);
        return;
      }
      // The revision before may be pruned (or never recorded): then the change alone is shown.
      const before = options.revision > 1
        ? await s.client.config.getConfigRevision({ revision: options.revision - 1 }).catch(() => undefined)
        : undefined;
      const change = response.change;
      const lines = before === undefined ? undefined : lineDiff(before.yaml, response.yaml);
      s.print({ change, previousRevision: before === undefined ? undefined : options.revision - 1, lines }, () => [
        change === undefined ? `revision ${options.revision}` : `revision ${change.revision} at ${change.at?.toISOString() ?? '?'}: ${change.method} by ${whoOf(change)}`,
        `  ${diffLine(change?.diff)}`,
        ...(lines === undefined ? ['(the revision before is not in the history: no line diff)'] : ['', `--- revision ${options.revision - 1}`, `+++ revision ${options.revision}`, ...lines]),
      ].join('\n'));
    }));

  config.command('rollback').description('make an earlier revision\'s routing current again, as a new (recorded) revision')
    .requiredOption('--to <revision>', 'the revision to return to (see config history)', nonNegativeInteger)
    .action((options: { to: number }, command: Command) => withSession(runtime, command, async (s) => {
      const response = await s.client.config.rollback({ toRevision: options.to });
      s.print(response, () => response.changed
        ? `rolled back to revision ${options.to}: now revision ${response.revision} (${diffLine(response.diff)})`
        : `no change: the routing already equals revision ${options.to} (revision ${response.revision})`);
    }));
}

/** The change's author as the router words it ("admin token, from 127.0.0.1:5000", "file /etc/router.yaml"). */
function whoOf(change: ConfigChange): string {
  const a = change.author;
  const given = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);
  return describeAuthor({
    token: given(a?.token) as ChangeAuthor['token'],
    certificateSubject: given(a?.certificateSubject),
    peer: given(a?.peer),
    file: given(a?.file),
  });
}

function diffLine(diff: ConfigDiff | undefined): string {
  const none: NameDiff = { added: [], changed: [], removed: [] };
  return summarizeDiff({ backends: diff?.backends ?? none, groups: diff?.groups ?? none, rules: diff?.rules ?? none, defaultGroup: diff?.defaultGroup });
}

function describeImport(response: ImportConfigResponse, dryRun: boolean): string {
  if (!response.changed) return `no change: the routing already matches (revision ${response.revision})`;
  const diff = response.diff;
  const lines = [dryRun ? 'would change (dry run, nothing written):' : `imported (revision ${response.revision}):`];
  const kinds: [string, NameDiff | undefined][] = [['backends', diff?.backends], ['groups', diff?.groups], ['rules', diff?.rules]];
  for (const [kind, names] of kinds) {
    if (names === undefined) continue;
    const parts = [
      ...names.added.map((n) => `+${n}`),
      ...names.changed.map((n) => `~${n}`),
      ...names.removed.map((n) => `-${n}`),
    ];
    if (parts.length > 0) lines.push(`  ${kind}: ${parts.join(' ')}`);
  }
  if (diff?.defaultGroup !== undefined) lines.push(`  default group: ${diff.defaultGroup}`);
  if (lines.length === 1) lines.push('  order of entries only');
  return lines.join('\n');
}

function readLocal(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function writeLocal(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw new UsageError(`cannot write ${file}: ${(error as Error).message}`);
  }
}
