/**
 * Config file -> RouterConfig. Every problem is collected (YAML syntax, shape, secrets, and
 * the routing cross-references of validate.ts) and thrown together as one ConfigError, each
 * with its field path and line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { validateRoutingConfig } from '../routing/validate.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import type { AdminTlsFiles, MonitorAuthConfig, RouterConfig } from './router-config.js';
import { configFileSchema, routingPartSchema, type ConfigFile, type Environment } from './schema.js';
import { schemaProblems } from './schema-issues.js';
import { fileFieldPath, toRoutingConfig } from './to-routing.js';
import { issueAt, readYaml, type YamlSource } from './yaml-source.js';

export interface ParseOptions {
  /** Folder that relative paths (dataDir, store.path) resolve against. Default: the working directory. */
  readonly baseDir?: string;
  /** Where `secretEnv` / `tokenEnv` are looked up. Default: process.env. */
  readonly env?: Environment;
}

/** Reads and validates a config file; relative paths in it resolve against its folder. */
export function loadConfigFile(path: string, options: Omit<ParseOptions, 'baseDir'> = {}): RouterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(path, [{ path: '', message: `cannot read the config file: ${reason}` }]);
  }
  return parseConfig(text, path, { ...options, baseDir: dirname(resolve(path)) });
}

/** Validates config text; `sourceName` names it in errors (a file path, or e.g. "admin import"). */
export function parseConfig(text: string, sourceName: string, options: ParseOptions = {}): RouterConfig {
  const source = readYaml(text);
  if (source.syntaxIssues.length > 0) throw new ConfigError(sourceName, source.syntaxIssues);

  const issues: ConfigIssue[] = [];
  const parsed = configFileSchema(options.env ?? process.env).safeParse(source.data);
  if (!parsed.success) {
    for (const problem of schemaProblems(parsed.error.issues)) issues.push(issueAt(source, problem.path, problem.message));
  }
  issues.push(...routingIssues(source));
  if (parsed.success) issues.push(...prefixRoutingIssues(parsed.data, source));
  if (parsed.success) issues.push(...monitorAuthIssues(parsed.data, source, options.baseDir ?? process.cwd()));
  if (issues.length > 0 || !parsed.success) throw new ConfigError(sourceName, inFileOrder(dedupe(issues)));
  return toRouterConfig(parsed.data, options.baseDir ?? process.cwd());
}

/**
 * Cross-reference problems of the routing sections, found even when another section failed
 * the schema. Skipped while the routing sections themselves are malformed (the schema
 * problems above already say so).
 */
function routingIssues(source: YamlSource): ConfigIssue[] {
  const part = routingPartSchema.safeParse(source.data);
  if (!part.success) return [];
  return validateRoutingConfig(toRoutingConfig(part.data)).map((issue) =>
    issueAt(source, fileFieldPath(issue.segments, source.data), issue.message));
}

/** A backend that asks for prefix routing needs keys to sign prefixes with. */
function prefixRoutingIssues(file: ConfigFile, source: YamlSource): ConfigIssue[] {
  if (file.routing.prefix !== null) return [];
  return file.backends.flatMap((backend, i) => backend.prefixRouting
    ? [issueAt(source, ['backends', i, 'prefixRouting'], 'prefix routing needs routing.prefix.keys; add a key or set prefixRouting: false')]
    : []);
}

const AUTH_FILES = ['passwordFile', 'tokenFile', 'caFile', 'certFile', 'keyFile'] as const;

/** The monitor's credential files must exist, and `monitor.backends` may name only configured backends. */
function monitorAuthIssues(file: ConfigFile, source: YamlSource, baseDir: string): ConfigIssue[] {
  const monitor = file.monitor;
  if (monitor === null) return [];
  const issues: ConfigIssue[] = [];
  const checkFiles = (auth: MonitorAuthConfig | null, at: readonly (string | number)[]): void => {
    for (const field of AUTH_FILES) {
      const path = auth?.[field] ?? null;
      if (path !== null && !existsSync(resolve(baseDir, path))) issues.push(issueAt(source, [...at, field], `file not found: ${resolve(baseDir, path)}`));
    }
  };
  checkFiles(monitor.auth, ['monitor', 'auth']);
  const names = new Set(file.backends.map((b) => b.name));
  for (const [name, entry] of Object.entries(monitor.backends)) {
    if (!names.has(name)) issues.push(issueAt(source, ['monitor', 'backends', name], `no backend named ${JSON.stringify(name)} (known: ${[...names].join(', ')})`));
    checkFiles(entry.auth, ['monitor', 'backends', name, 'auth']);
  }
  return issues;
}

/** The same problem can be found twice (schema and cross-reference); report it once. */
function dedupe(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** By line, so the list reads top to bottom like the file (stable for issues on one line). */
function inFileOrder(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function toRouterConfig(file: ConfigFile, baseDir: string): RouterConfig {
  const dataDir = resolve(baseDir, file.dataDir);
  return {
    listen: file.listen,
    dataDir,
    store: {
      kind: file.store.kind,
      path: file.store.path === null ? join(dataDir, 'router.db') : resolve(baseDir, file.store.path),
      seed: file.store.seed,
      audit: file.store.audit,
      pollIntervalMs: file.store.pollIntervalMs,
      postgres: file.store.postgres === null ? null : {
        ...file.store.postgres,
        tls: file.store.postgres.tls === null ? null : {
          caFile: resolveOptional(baseDir, file.store.postgres.tls.caFile),
          certFile: resolveOptional(baseDir, file.store.postgres.tls.certFile),
          keyFile: resolveOptional(baseDir, file.store.postgres.tls.keyFile),
          verify: file.store.postgres.tls.verify,
        },
      },
    },
    logging: file.logging,
    routing: toRoutingConfig(file),
    requests: { unavailable: file.routing.unavailable, jwtUserClaim: file.routing.jwtUserClaim },
    prefix: file.routing.prefix,
    queryIds: file.routing.queryIds,
    loginFlows: file.routing.loginFlows,
    monitor: file.monitor === null ? null : {
      ...file.monitor,
      auth: resolveAuthFiles(file.monitor.auth, baseDir),
      backends: Object.fromEntries(Object.entries(file.monitor.backends).map(([name, entry]) => [name, { auth: resolveAuthFiles(entry.auth, baseDir) as MonitorAuthConfig }])),
    },
    admin: { ...file.admin, tls: file.admin.tls === null ? null : resolveTlsFiles(file.admin.tls, baseDir) },
    history: file.history,
    xds: file.xds,
    console: file.console,
    statements: file.statements,
    queue: file.queue,
  };
}

function resolveTlsFiles(tls: { certFile: string; keyFile: string; clientCaFile: string | null }, baseDir: string): AdminTlsFiles {
  return {
    certFile: resolve(baseDir, tls.certFile),
    keyFile: resolve(baseDir, tls.keyFile),
    clientCaFile: tls.clientCaFile === null ? null : resolve(baseDir, tls.clientCaFile),
  };
}

function resolveAuthFiles(auth: MonitorAuthConfig | null, baseDir: string): MonitorAuthConfig | null {
  if (auth === null) return null;
  const resolved: Record<string, string | null> = { ...auth };
  for (const field of AUTH_FILES) resolved[field] = resolveOptional(baseDir, auth[field]);
  return resolved as unknown as MonitorAuthConfig;
}

function resolveOptional(baseDir: string, path: string | null): string | null {
  return path === null ? null : resolve(baseDir, path);
}
