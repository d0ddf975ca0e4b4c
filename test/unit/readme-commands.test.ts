/**
 * Every command the READMEs show is checked, so they cannot drift from the code:
 *
 * - `trino-envoy-router ...` (also as `npx trino-envoy-router`, `node dist/src/main.js`, or a
 *   subcommand named inline without the program): each subcommand and option is one the CLI's
 *   commander program (src/cli/program.ts) accepts, with no surplus arguments; and `--help` of
 *   every command path a code block runs is run in-process and exits 0;
 * - `npm run <script>` names a script of package.json (`npm run bench -- --only X` a scenario
 *   bench/run.ts knows); `npm ci`, `npm start`, `npm test` are npm's own;
 * - every repository path a command names exists.
 *
 * Commands this machine cannot run (Docker, kubectl, helm, a PostgreSQL server ...) must sit
 * right after `<!-- commands: not run here: <reason> -->`; their paths are still checked, and
 * the test reports them with the reason. A mark on a block or paragraph with nothing unrunnable
 * in it is refused, so marks cannot hide checkable commands.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../../src/cli/program.js';
import { markdownCommands, simpleCommands, type MarkdownCommand } from '../support/markdown-commands.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Docs that must show commands; the pages under docs/ are checked for those they have. */
const DOCS_WITH_COMMANDS = ['README.md', 'bench/README.md', 'test/README.md'];
const DOCS = [...DOCS_WITH_COMMANDS, ...readdirSync(resolve(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

const silent = { out: () => undefined, err: () => undefined };
const PROGRAM = buildProgram({ output: silent, now: Date.now, server: '', serving: false });
const CLI_COMMANDS = new Set(PROGRAM.commands.map((c) => c.name()));
const SCRIPTS = new Set(Object.keys((JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts));
/** `npm run bench -- --only <name>`: the names bench/run.ts accepts. */
const BENCH_ONLY = new Set([...(/const ONLY_SCENARIOS = \[([^\]]*)\]/.exec(readFileSync(resolve(ROOT, 'bench/run.ts'), 'utf8'))?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1] as string));
/** Commands npm itself has (the rest go through `npm run`). */
const NPM_COMMANDS = new Set(['ci', 'install', 'start', 'test']);
/** Shell builtins a command line may use. */
const BUILTINS = new Set(['export', 'echo', 'cd']);
/** Repository paths a command may name (user files such as router.yaml are not checked). */
const REPO_PATH = /^(?:\.\/)?((?:config|deploy|envoy|test|bench|demo|src|proto|scripts|bin)\/[A-Za-z0-9_./-]*|Dockerfile|docker-compose\.yml|package\.json)$/;

interface Located extends MarkdownCommand {
  readonly file: string;
}

const COMMANDS: Located[] = DOCS.flatMap((file) => markdownCommands(readFileSync(resolve(ROOT, file), 'utf8'), CLI_COMMANDS).map((c) => ({ ...c, file })));

/** What checking one simple command found: problems, and whether it is runnable here at all. */
interface Verdict {
  readonly problems: string[];
  readonly runnable: boolean;
  /** Command paths (`backends drain`) whose --help to run. */
  readonly helpPaths: string[][];
}

function optionOf(chain: readonly Command[], flag: string): Option | 'help' | undefined {
  if (flag === '-h' || flag === '--help') return 'help';
  for (const command of chain) {
    const found = command.options.find((o) => o.long === flag || o.short === flag);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `args` after the program name, checked against the commander tree. */
function checkCli(args: readonly string[], complete: boolean): Verdict {
  const problems: string[] = [];
  const chain: Command[] = [PROGRAM];
  let positionals = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const command = chain[chain.length - 1] as Command;
    if (arg.startsWith('-') && arg.length > 1) {
      const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
      const option = optionOf(chain, flag);
      if (option === undefined) problems.push(`${command.name()} has no option ${flag}`);
      else if (option !== 'help' && option.required && inline === undefined) i++; // its value
      continue;
    }
    if (/^<[^>]+>$/.test(arg) && command.commands.length > 0 && positionals === 0) break; // `<command>`: any
    if (command.commands.length > 0 && positionals === 0) {
      const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
      if (sub === undefined) problems.push(`${command.name()} has no command ${arg} (it has ${command.commands.map((c) => c.name()).join(', ')})`);
      else chain.push(sub);
      if (sub === undefined) break;
      continue;
    }
    positionals++;
    const declared = command.registeredArguments;
    const variadic = declared.length > 0 && (declared[declared.length - 1] as { variadic: boolean }).variadic;
    if (positionals > declared.length && !variadic) problems.push(`${command.name()} takes ${declared.length} argument(s), given ${arg} too`);
  }
  const last = chain[chain.length - 1] as Command;
  if (complete) {
    const required = last.registeredArguments.filter((a) => a.required).length;
    if (last.commands.length === 0 && positionals < required) problems.push(`${last.name()} needs ${required} argument(s)`);
  }
  return { problems, runnable: true, helpPaths: [chain.slice(1).map((c) => c.name())] };
}

function checkPaths(words: readonly string[]): string[] {
  const problems: string[] = [];
  for (const word of words) {
    for (const candidate of [word, word.split('=', 2)[1] ?? '']) {
      const path = REPO_PATH.exec(candidate)?.[1];
      if (path !== undefined && !existsSync(resolve(ROOT, path.replace(/\/$/, '')))) problems.push(`names ${path}, which does not exist`);
    }
  }
  return problems;
}

function checkSimple(words: readonly string[], complete: boolean): Verdict {
  let rest = [...words];
  while (rest.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0] as string)) rest = rest.slice(1);
  const paths = checkPaths(rest);
  const [program, ...args] = rest;
  const verdict = (problems: string[], runnable: boolean, helpPaths: string[][] = []): Verdict => ({ problems: [...paths, ...problems], runnable, helpPaths });
  if (program === undefined || BUILTINS.has(program)) return verdict([], true);
  if (program === 'trino-envoy-router') return addPaths(checkCli(args, complete), paths);
  if (program === 'npx' && args[0] === 'trino-envoy-router') return addPaths(checkCli(args.slice(1), complete), paths);
  if (program === 'npx' && args[0] === 'vitest') return verdict(args[1] === 'run' ? [] : ['npx vitest: use `npx vitest run <files>`'], true);
  if (program === 'node' && args[0] === 'dist/src/main.js') return addPaths(checkCli(args.slice(1), complete), paths);
  if (program === 'npm') {
    const [verb, script, ...more] = args;
    if (verb === 'run') {
      if (script !== undefined && /^<[^>]+>$/.test(script)) return verdict([], true); // `npm run <script>`
      if (script === undefined || !SCRIPTS.has(script)) return verdict([`npm run ${script ?? ''}: no such script in package.json (${[...SCRIPTS].join(', ')})`], true);
      const only = more.indexOf('--only');
      if (script === 'bench' && only >= 0 && !BENCH_ONLY.has(more[only + 1] ?? '')) return verdict([`npm run bench -- --only ${more[only + 1] ?? ''}: bench/run.ts knows ${[...BENCH_ONLY].join(', ')}`], true);
      return verdict([], true);
    }
    return verdict(verb !== undefined && NPM_COMMANDS.has(verb) ? [] : [`npm ${verb ?? ''}: not an npm command the READMEs may use`], true);
  }
  // Not runnable here; inside it, `... node dist/src/main.js status` is still the router's CLI.
  const cli = rest.indexOf('dist/src/main.js');
  const inner = cli > 0 && rest[cli - 1] === 'node' ? checkCli(rest.slice(cli + 1), complete).problems : [];
  return verdict(inner, false);
}

function addPaths(v: Verdict, paths: string[]): Verdict {
  return { ...v, problems: [...paths, ...v.problems] };
}

function judge(command: Located): Verdict {
  const verdicts = simpleCommands(command.text).map((words) => checkSimple(words, command.source === 'block'));
  return {
    problems: verdicts.flatMap((v) => v.problems),
    runnable: verdicts.every((v) => v.runnable),
    helpPaths: verdicts.flatMap((v) => v.helpPaths),
  };
}

const where = (c: Located): string => `${c.file}:${c.line}: ${c.text}`;

describe('README commands', () => {
  it('README.md stays a README an operator can skim: under 700 lines (benchmarks and test matrices live in bench/ and test/)', () => {
    expect(readFileSync(resolve(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(700);
  });

  it('finds the commands of every README (code blocks and inline)', () => {
    for (const file of DOCS_WITH_COMMANDS) expect(COMMANDS.filter((c) => c.file === file).length, file).toBeGreaterThan(0);
    expect(COMMANDS.some((c) => c.source === 'inline')).toBe(true);
    expect(COMMANDS.map((c) => c.text)).toContain('npm ci && npm run demo');
  });

  it('catches drift: a misspelt command, an unknown option, a missing script or path, a surplus argument', () => {
    const sample = [
      '```sh',
      'trino-envoy-router backend list',
      'trino-envoy-router rules create r1 --group adhoc --matches "{user: a}"',
      'npm run demos',
      'kubectl apply -k deploy/kubernetes/nope',
      'trino-envoy-router backends drain trino-a trino-b',
      'trino-envoy-router --server 127.0.0.1:9002 backends drain',
      '```',
      'Inline: `backends enable --now trino-a`.',
    ].join('\n');
    const found = markdownCommands(sample, CLI_COMMANDS).map((c) => ({ ...c, file: 'sample.md' }));
    expect(found.map((c) => judge(c).problems.join('; '))).toEqual([
      'trino-envoy-router has no command backend (it has serve, backends, groups, rules, explain, status, queries, queues, config)',
      'create has no option --matches; create takes 1 argument(s), given {user: a} too',
      `npm run demos: no such script in package.json (${[...SCRIPTS].join(', ')})`,
      'names deploy/kubernetes/nope, which does not exist',
      'drain takes 1 argument(s), given trino-b too',
      'drain needs 1 argument(s)',
      'enable has no option --now',
    ]);
    expect(found.map((c) => judge(c).runnable)).toEqual([true, true, true, false, true, true, true]);
  });

  it('names only subcommands, options, scripts and paths that exist', () => {
    const problems = COMMANDS.flatMap((c) => judge(c).problems.map((p) => `${where(c)}\n    ${p}`));
    expect(problems).toEqual([]);
  });

  it('runs only what runs here: every other command is marked, with the reason', () => {
    const unmarked = COMMANDS.filter((c) => c.notRunHere === undefined && !judge(c).runnable).map(where);
    expect(unmarked, 'commands that need something this machine lacks must follow <!-- commands: not run here: <reason> -->').toEqual([]);
  });

  it('marks nothing that could be checked: every mark covers a command that cannot run here', () => {
    const groups = new Map<string, Located[]>();
    for (const c of COMMANDS.filter((x) => x.notRunHere !== undefined)) {
      const key = `${c.file}#${c.notRunHere ?? ''}#${c.source}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const [key, commands] of groups) expect(commands.some((c) => !judge(c).runnable), key).toBe(true);
  });

  it('reports the commands it cannot run, with the reason', () => {
    const report = COMMANDS.filter((c) => c.notRunHere !== undefined && !judge(c).runnable).map((c) => `not run here (${c.notRunHere ?? ''}): ${where(c)}`);
    console.info(`README commands not run here (their paths and router CLI parts are checked):\n  ${report.join('\n  ')}`);
    expect(report.length).toBeGreaterThan(0);
  });

  it('runs --help of every CLI command a code block shows', async () => {
    const paths = new Map<string, string[]>();
    for (const c of COMMANDS.filter((x) => x.source === 'block')) for (const p of judge(c).helpPaths) paths.set(p.join(' '), p);
    expect(paths.size).toBeGreaterThan(5);
    for (const [name, path] of paths) {
      let printed = '';
      const output = { out: (t: string) => void (printed += t), err: (t: string) => void (printed += t) };
      const outcome = await runCli(['node', 'trino-envoy-router', ...path, '--help'], output);
      expect(outcome, `trino-envoy-router ${name} --help`).toBe(0);
      expect(printed, name).toContain('Usage: trino-envoy-router');
    }
  });
});
