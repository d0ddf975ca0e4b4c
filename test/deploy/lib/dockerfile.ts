/**
 * The Dockerfile and .dockerignore, read as Docker reads them (instructions with line
 * continuations, ARG defaults in FROM, stages, and .dockerignore patterns where the last
 * matching pattern wins), and checked for what the image promises: multi-stage, pinned Node 20
 * base shared by the build and runtime stages (so better-sqlite3 compiled in the build stage
 * fits the runtime's libc, architecture and Node ABI), a non-root user, a HEALTHCHECK, the
 * router's ports exposed, the config path the deployments mount, and every file COPY needs
 * present in the build context.
 */
import { posix } from 'node:path';
import type { Issue } from './issues.js';
import type { RepoFiles } from './repo-files.js';

export interface Instruction {
  readonly line: number;
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i] as string;
      if (/^\s*#/.test(next)) continue; // comment lines inside a continuation are dropped
      line = `${line.slice(0, -1)} ${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (m !== null) out.push({ line: start + 1, keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() });
    else out.push({ line: start + 1, keyword: line.trim().toUpperCase(), args: '' });
  }
  return out;
}

/** Splits into stages; `${ARG}` in FROM is replaced by the global ARG default. */
export function stages(instructions: readonly Instruction[]): { stages: Stage[]; problems: string[] } {
  const args = new Map<string, string>();
  const out: Stage[] = [];
  const problems: string[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && out.length === 0) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(ins.args);
      if (m !== null && m[2] !== undefined) args.set(m[1] as string, (m[2] as string).replace(/^["']|["']$/g, ''));
      continue;
    }
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (m === null) {
        problems.push(`line ${ins.line}: cannot read FROM ${ins.args}`);
        continue;
      }
      const image = (m[1] as string).replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_all, name: string) => {
        const value = args.get(name);
        if (value === undefined) problems.push(`line ${ins.line}: ARG ${name} has no default`);
        return value ?? '';
      });
      out.push({ image, name: m[2], instructions: [] });
      continue;
    }
    const current = out[out.length - 1];
    if (current === undefined) problems.push(`line ${ins.line}: ${ins.keyword} before FROM`);
    else current.instructions.push(ins);
  }
  return { stages: out, problems };
}

/** Exec-form (JSON array) or shell-form arguments as words. */
export function words(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON: shell form
    }
  }
  return trimmed.split(/\s+/).filter((w) => w !== '');
}

// ---- .dockerignore ----------------------------------------------------------------------

interface IgnoreRule {
  readonly negate: boolean;
  readonly regex: RegExp;
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        re += '.*';
        i++;
        if (pattern[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const pattern = posix.normalize((negate ? l.slice(1) : l).trim().replace(/^\/+/, '')).replace(/\/$/, '');
    return { negate, regex: globToRegExp(pattern) };
  });
}

/** Is `path` (relative, a file) left out of the build context? A parent folder's match counts. */
export function ignored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_p, i) => parts.slice(0, i + 1).join('/'));
  let out = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) out = !rule.negate;
  }
  return out;
}

// ---- checks ----------------------------------------------------------------------------

export const DOCKERFILE = 'Dockerfile';
export const DOCKERIGNORE = '.dockerignore';
export const ROUTER_PORTS = [9001, 9002, 9090];

export interface DockerfileFacts {
  readonly runtimeImage: string | undefined;
  readonly entrypoint: string[];
  readonly cmd: string[];
  readonly exposed: number[];
  readonly hasHealthcheck: boolean;
  readonly user: string | undefined;
}

export function checkDockerfile(files: RepoFiles): { issues: Issue[]; facts: DockerfileFacts | undefined } {
  const issues: Issue[] = [];
  const add = (line: number | undefined, message: string): void => {
    issues.push({ file: DOCKERFILE, path: line === undefined ? '' : `line ${line}`, message });
  };
  if (!files.isFile(DOCKERFILE)) return { issues: [{ file: DOCKERFILE, path: '', message: 'missing' }], facts: undefined };
  const parsed = stages(parseDockerfile(files.read(DOCKERFILE)));
  for (const p of parsed.problems) add(undefined, p);
  const all = parsed.stages;
  if (all.length < 2) add(undefined, 'use a multi-stage build (build tools and dev dependencies stay out of the image)');
  const runtime = all[all.length - 1];
  if (runtime === undefined) return { issues, facts: undefined };

  for (const stage of all) {
    const m = /^(?:docker\.io\/(?:library\/)?)?node:(\d+)\.(\d+)\.(\d+)(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?$/.exec(stage.image);
    if (m === null) add(undefined, `FROM ${stage.image}: pin the official node image to an exact version (node:20.x.y-…)`);
    else if (m[1] !== '20') add(undefined, `FROM ${stage.image}: the project targets Node 20`);
    else if (m[4] !== undefined && /alpine/.test(m[4])) add(undefined, `FROM ${stage.image}: better-sqlite3 is built for glibc here; keep the Debian variant`);
  }
  const nativeBuild = all.slice(0, -1).find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)));
  if (nativeBuild === undefined) add(undefined, 'no build stage runs npm ci');
  else {
    if (nativeBuild.image !== runtime.image) add(undefined, `the build stage (${nativeBuild.image}) and the runtime (${runtime.image}) must use the same image, so better-sqlite3's compiled module fits the runtime`);
    const runs = nativeBuild.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    for (const tool of ['python3', 'make', 'g++']) if (!new RegExp(`\\b${tool.replace('+', '\\+')}`).test(runs)) add(undefined, `the build stage needs ${tool} to compile better-sqlite3`);
    if (!/build.from.source/.test(runs)) add(undefined, 'build better-sqlite3 from source in the build stage (npm_config_build_from_source=true), not from a downloaded binary');
    if (!/npm_config_nodedir=\/usr\/local\b/.test(runs)) add(undefined, 'compile against the image\'s own Node headers (npm_config_nodedir=/usr/local), not a downloaded headers tarball');
    const check = nativeBuild.instructions.filter((i) => i.keyword === 'RUN').some((i) => /require\(['"]better-sqlite3['"]\)/.test(i.args));
    if (!check) add(undefined, 'load better-sqlite3 once in the build stage (node -e "require(\'better-sqlite3\')..."), so a module that does not fit fails the build, not the container');
    if (!/npm prune --omit=dev|npm ci[^\n]*--omit=dev/.test(runs)) add(undefined, 'drop dev dependencies before copying node_modules to the runtime');
  }

  const stageNames = new Set<string>();
  const rules = files.isFile(DOCKERIGNORE) ? parseDockerignore(files.read(DOCKERIGNORE)) : [];
  if (!files.isFile(DOCKERIGNORE)) issues.push({ file: DOCKERIGNORE, path: '', message: 'missing: node_modules, dist and data would be sent to the build' });
  all.forEach((stage, index) => {
    for (const ins of stage.instructions) {
      if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') continue;
      const parts = words(ins.args);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const operands = parts.filter((p) => !p.startsWith('--'));
      const sources = operands.slice(0, -1);
      if (from !== undefined) {
        if (!stageNames.has(from) && !(Number(from) < index)) add(ins.line, `--from=${from} is not an earlier stage`);
        continue;
      }
      for (const source of sources) {
        const rel = posix.normalize(source).replace(/\/$/, '');
        if (!files.exists(rel)) {
          add(ins.line, `COPY source ${source} does not exist`);
          continue;
        }
        const contextFiles = files.isDir(rel) ? files.walk(rel) : [rel];
        const kept = contextFiles.filter((f) => !ignored(rules, f));
        if (kept.length === 0) add(ins.line, `COPY source ${source} is excluded by .dockerignore`);
      }
    }
    if (stage.name !== undefined) stageNames.add(stage.name);
  });
  for (const heavy of ['node_modules/x', 'dist/x', 'data/x', '.git/x']) {
    if (!ignored(rules, heavy)) issues.push({ file: DOCKERIGNORE, path: '', message: `${heavy.split('/')[0]} must be excluded from the build context` });
  }

  const last = (keyword: string): Instruction | undefined => [...runtime.instructions].reverse().find((i) => i.keyword === keyword);
  const user = last('USER');
  const userName = user === undefined ? undefined : user.args.split(':')[0];
  if (userName === undefined || userName === 'root' || userName === '0') add(user?.line, 'the runtime stage must switch to a non-root USER');
  const healthcheck = last('HEALTHCHECK');
  if (healthcheck === undefined || /^NONE\b/i.test(healthcheck.args)) add(undefined, 'the image needs a HEALTHCHECK');
  else {
    const script = words(healthcheck.args.replace(/^(--\S+\s+)*CMD\s+/i, '')).find((w) => w.endsWith('.mjs') || w.endsWith('.js'));
    const copied = runtime.instructions.some((i) => i.keyword === 'COPY' && script !== undefined && i.args.includes(script.replace(/^\/app\//, '')));
    if (script === undefined || !copied) add(healthcheck.line, 'the HEALTHCHECK script must be copied into the runtime stage');
  }
  const exposed = runtime.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => words(i.args)).map((p) => Number(p.split('/')[0]));
  for (const port of ROUTER_PORTS) if (!exposed.includes(port)) add(undefined, `EXPOSE ${port} (ext_proc 9001, admin 9002, metrics 9090)`);
  const entrypoint = words(last('ENTRYPOINT')?.args ?? '[]');
  const cmd = words(last('CMD')?.args ?? '[]');
  if (!entrypoint.some((w) => w.endsWith('dist/src/main.js'))) add(last('ENTRYPOINT')?.line, 'ENTRYPOINT must run dist/src/main.js');
  if (!runtime.instructions.some((i) => i.keyword === 'VOLUME' && i.args.includes('/data'))) add(undefined, 'declare VOLUME /data (the SQLite store)');
  return {
    issues,
    facts: {
      runtimeImage: runtime.image,
      entrypoint,
      cmd,
      exposed,
      hasHealthcheck: healthcheck !== undefined,
      user: userName,
    },
  };
}
