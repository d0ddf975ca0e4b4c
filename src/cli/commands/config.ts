/**
 * `config export` and `config import`: the running configuration as the YAML file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ImportConfigResponse, NameDiff } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { UsageError } from '../errors.js';
import { staleNote } from '../output.js';
import { withSession, type CliRuntime } from '../session.js';

export function registerConfig(program: Command, runtime: CliRuntime): void {
  const config = program.command('config').description('the configuration as the YAML file: export it, import one');

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
