/**
 * Router config files shipped for deployments, validated by the router's own loader (the same
 * code `serve --config` runs), with the environment the deployment provides.
 */
import { isLoopbackHost } from '../../../src/admin/auth.js';
import { ConfigError, parseConfig, type RouterConfig } from '../../../src/config/index.js';
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isRecord, type Issue } from './issues.js';
import type { RepoFiles } from './repo-files.js';

export interface LoadedRouterConfig {
  readonly config: RouterConfig | undefined;
  readonly issues: Issue[];
}

/**
 * Parses `path` as the router would in a container where the config is mounted at
 * `mountedAt` and `env` is the container's environment (values of secrets are stand-ins).
 */
export function loadRouterConfig(files: RepoFiles, path: string, env: Readonly<Record<string, string>>, mountedAt: string): LoadedRouterConfig {
  if (!files.isFile(path)) return { config: undefined, issues: [{ file: path, path: '', message: 'router config file not found' }] };
  return parseRouterConfig(files.read(path), path, env, mountedAt);
}

/** The same for config text (e.g. from a ConfigMap); issues name `file`. */
export function parseRouterConfig(text: string, file: string, env: Readonly<Record<string, string>>, mountedAt: string): LoadedRouterConfig {
  const issues: Issue[] = [];
  let config: RouterConfig | undefined;
  try {
    config = parseConfig(text, file, { env, baseDir: posix.dirname(mountedAt) });
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const i of error.issues) issues.push({ file, path: i.path, message: `${i.message}${i.line === undefined ? '' : ` (line ${i.line})`}` });
      return { config: undefined, issues };
    }
    throw error;
  }
  // What startRouter would refuse at start: an open admin port off loopback.
  if (config.listen.admin !== null && config.admin.token === null && !isLoopbackHost(config.listen.admin.host)) {
    issues.push({ file, path: 'listen.admin', message: `admin API on ${config.listen.admin.host} without admin.token: the router refuses to start` });
  }
  return { config, issues };
}

/** A stand-in value for a secret the deployment injects (long enough for the router's checks). */
export const SECRET_STAND_IN = 'stand-in-secret-value-0123456789abcdef';

/** What a Secret key stands for when a config is loaded statically: a connection URL for a `*-url` key. */
export function secretStandIn(key: string): string {
  return key.endsWith('url') ? `postgres://router:${SECRET_STAND_IN}@stand-in.invalid:5432/router` : SECRET_STAND_IN;
}

/** Backend name -> URL host and port. */
export function backendEndpoints(config: RouterConfig): Map<string, { host: string; port: number; prefixRouting: boolean }> {
  const out = new Map<string, { host: string; port: number; prefixRouting: boolean }>();
  for (const backend of config.routing.backends) {
    const url = new URL(backend.url);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    out.set(backend.name, { host: url.hostname, port, prefixRouting: backend.prefixRouting });
  }
  return out;
}

/** Every environment variable the config file reads (`secretEnv`, `tokenEnv` at any depth). */
export function envVariablesRead(text: string): string[] {
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) {
      for (const [key, child] of Object.entries(value)) {
        if ((key === 'secretEnv' || key === 'tokenEnv') && typeof child === 'string') out.push(child);
        else visit(child);
      }
    }
  };
  visit(parseYaml(text));
  return out;
}
