/**
 * The shell commands a markdown file shows, for the README commands check
 * (test/unit/readme-commands.test.ts): every line of a ```sh / ```bash / ```shell block, the
 * `$ ` lines of a ```console block, and inline code spans that start with a command. A block or
 * paragraph right after `<!-- commands: not run here: <reason> -->` is marked: its commands
 * need something this machine does not have, and the check reports them with that reason.
 */

export interface MarkdownCommand {
  /** The command as written (continuation lines joined). */
  readonly text: string;
  /** 1-based line of the file where it starts. */
  readonly line: number;
  readonly source: 'block' | 'inline';
  /** Why it cannot be run here, when the author marked it. */
  readonly notRunHere: string | undefined;
}

export const NOT_RUN_MARK = /^<!-- commands: not run here: (.+?) -->$/;

const SHELL_BLOCKS = new Set(['sh', 'bash', 'shell', 'console']);

/** Programs an inline code span may start with to count as a command. */
const INLINE_PROGRAMS = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(trino-envoy-router|npx|npm|node|docker|kubectl|helm|yq|curl|grpcurl|openssl|sqlite3|pg_dump|pg_restore|psql|istioctl|egctl|sudo|apt-get)\s/;

export function markdownCommands(text: string, cliCommands: ReadonlySet<string>): MarkdownCommand[] {
  const lines = text.split('\n');
  const found: MarkdownCommand[] = [];
  let mark: string | undefined;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const marked = NOT_RUN_MARK.exec(line.trim());
    if (marked !== null) {
      mark = marked[1];
      i++;
      continue;
    }
    const fence = /^\s*```(\S*)\s*$/.exec(line);
    if (fence !== null) {
      const lang = fence[1] ?? '';
      const start = i;
      i++;
      const body: string[] = [];
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i] as string)) body.push(lines[i++] as string);
      i++;
      if (SHELL_BLOCKS.has(lang)) found.push(...blockCommands(body, start + 2, lang === 'console', mark));
      mark = undefined;
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    // A paragraph (or list, or table): up to the next blank line or fence.
    const start = i;
    const paragraph: string[] = [];
    while (i < lines.length && (lines[i] as string).trim() !== '' && !/^\s*```/.test(lines[i] as string)) paragraph.push(lines[i++] as string);
    found.push(...inlineCommands(paragraph, start + 1, cliCommands, mark));
    mark = undefined;
  }
  return found;
}

function blockCommands(body: readonly string[], firstLine: number, console: boolean, mark: string | undefined): MarkdownCommand[] {
  const out: MarkdownCommand[] = [];
  for (let i = 0; i < body.length; i++) {
    let text = body[i] as string;
    const line = firstLine + i;
    if (console) {
      if (!text.startsWith('$ ')) continue;
      text = text.slice(2);
    }
    while (text.endsWith('\\') && i + 1 < body.length) text = `${text.slice(0, -1)} ${(body[++i] as string).trim()}`;
    if (text.trim() !== '') out.push({ text: text.trim(), line, source: 'block', notRunHere: mark });
  }
  return out;
}

function inlineCommands(paragraph: readonly string[], firstLine: number, cliCommands: ReadonlySet<string>, mark: string | undefined): MarkdownCommand[] {
  const out: MarkdownCommand[] = [];
  // Code spans may wrap onto the next line: join the paragraph, remember where each line starts.
  const joined = paragraph.join(' ');
  const starts: number[] = [];
  paragraph.reduce((at, l) => (starts.push(at), at + l.length + 1), 0);
  // A code span opens and closes with backtick runs of one length (```` ```sh ```` holds three).
  for (const span of joined.matchAll(/(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)/g)) {
    const code = (span[2] as string).replace(/\s+/g, ' ').trim();
    const first = code.split(' ', 1)[0] as string;
    // `backends drain trino-b`: a subcommand named without the program is a CLI command too.
    const command = INLINE_PROGRAMS.test(`${code} `) && code.includes(' ') ? code
      : cliCommands.has(first) && code.includes(' ') ? `trino-envoy-router ${code}` : undefined;
    if (command === undefined) continue;
    const offset = span.index;
    let lineIndex = 0;
    while (lineIndex + 1 < starts.length && (starts[lineIndex + 1] as number) <= offset) lineIndex++;
    out.push({ text: command, line: firstLine + lineIndex, source: 'inline', notRunHere: mark });
  }
  return out;
}

/**
 * One shell line as simple commands, each a list of words: split at `&&`, `||`, `|` and `;`,
 * with `$(...)` substitutions as commands of their own, comments and redirections dropped, and
 * quotes removed. Enough for the commands a README shows, not a shell.
 */
export function simpleCommands(line: string): string[][] {
  const substitutions: string[] = [];
  const outer = line.replace(/\$\(([^()]*)\)/g, (_m, inner: string) => {
    substitutions.push(inner);
    return 'SUBSTITUTION';
  });
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < outer.length; i++) {
    const c = outer[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === ' ' || c === '\t') endWord();
    else if (c === '#' && !inWord) break;
    else if (c === '&' && outer[i + 1] === '&') {
      endCommand();
      i++;
    } else if (c === '|' || c === ';') {
      endCommand();
      if (outer[i + 1] === '|') i++;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return [...commands.map(dropRedirections), ...substitutions.flatMap(simpleCommands)];
}

function dropRedirections(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '>' || w === '>>' || w === '<' || w === '2>') i++;
    else if (!/^\d?>>?\S/.test(w)) out.push(w);
  }
  return out;
}
