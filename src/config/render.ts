/**
 * RouterConfig -> YAML, for the admin API's export. Every setting is written out explicitly
 * (defaults included) so the export shows what is in effect, and loading the text gives back
 * the same RouterConfig. Secrets read from the environment are written as the variable's name.
 */
import { stringify } from 'yaml';
import { RULE_FIELDS, type FieldKind, type FieldKinds } from '../routing/fields.js';
import type { RoutingConfig, RuleMatch } from '../routing/model.js';
import { formatGrpcListenAddress, type GrpcListenAddress } from './listen-address.js';
import type { PrefixKeyConfig, RouterConfig } from './router-config.js';

export interface RenderOptions {
  /**
   * 'include' (default) writes inline secrets so the export loads back as is; 'redact' writes
   * a placeholder that is too short to load, so a redacted export cannot run with a bogus key.
   */
  readonly secrets?: 'include' | 'redact';
}

export const REDACTED = 'REDACTED';

export function renderConfigYaml(config: RouterConfig, options: RenderOptions = {}): string {
  const hide = options.secrets === 'redact';
  const document = {
    listen: {
      extProc: formatGrpcListenAddress(config.listen.extProc),
      extAuthz: address(config.listen.extAuthz),
      admin: address(config.listen.admin),
      metrics: address(config.listen.metrics),
      xds: address(config.listen.xds),
      console: address(config.listen.console),
    },
    dataDir: config.dataDir,
    store: renderStore(config.store, hide),
    logging: { level: config.logging.level },
    routing: {
      defaultGroup: config.routing.defaultGroup,
      unavailable: config.requests.unavailable,
      jwtUserClaim: config.requests.jwtUserClaim,
      prefix: config.prefix === null ? null : {
        keys: config.prefix.keys.map((key) => prefixKey(key, hide)),
        maxAgeHours: config.prefix.maxAgeHours,
      },
      queryIds: { retentionHours: config.queryIds.retentionHours, maxEntries: config.queryIds.maxEntries },
      loginFlows: { maxEntries: config.loginFlows.maxEntries, challengeTimeoutMinutes: config.loginFlows.challengeTimeoutMinutes },
    },
    ...routingSections(config.routing),
    monitor: renderMonitor(config.monitor),
    history: config.history === null ? null : { retentionDays: config.history.retentionDays, maxRows: config.history.maxRows },
    admin: {
      ...(config.admin.tokenEnv !== null
        ? { tokenEnv: config.admin.tokenEnv }
        : { token: config.admin.token === null || !hide ? config.admin.token : REDACTED }),
      ...(config.admin.readTokenEnv !== null
        ? { readTokenEnv: config.admin.readTokenEnv }
        : { readToken: config.admin.readToken === null || !hide ? config.admin.readToken : REDACTED }),
      tls: config.admin.tls,
    },
    xds: config.xds,
    console: config.console,
    statements: config.statements,
    queue: config.queue,
  };
  // lineWidth 0: never fold long strings (regexes, URLs) over several lines.
  return `# trino-envoy-router configuration (exported)\n${stringify(document, { lineWidth: 0 })}`;
}

/** The SQLite path, or the PostgreSQL settings (the URL as its variable's name when it came from one). */
function renderStore(store: RouterConfig['store'], hide: boolean): Record<string, unknown> {
  const postgres = store.postgres;
  if (postgres === null) return { kind: store.kind, path: store.path, seed: store.seed, pollIntervalMs: store.pollIntervalMs, audit: store.audit };
  return {
    kind: store.kind,
    seed: store.seed,
    pollIntervalMs: store.pollIntervalMs,
    audit: store.audit,
    ...(postgres.urlEnv !== null ? { urlEnv: postgres.urlEnv } : { url: hide ? REDACTED : postgres.url }),
    schema: postgres.schema,
    pool: postgres.pool,
    tls: postgres.tls,
  };
}

/** Load weights are written only when set: absent means the documented defaults. */
function renderMonitor(monitor: RouterConfig['monitor']): Record<string, unknown> | null {
  if (monitor === null) return null;
  const { loadWeights, ...settings } = monitor;
  return loadWeights === undefined ? settings : { ...settings, loadWeights: { running: loadWeights.running, queued: loadWeights.queued } };
}

function address(value: GrpcListenAddress | null): string | null {
  return value === null ? null : formatGrpcListenAddress(value);
}

function prefixKey(key: PrefixKeyConfig, hide: boolean): Record<string, string> {
  if (key.secretEnv !== null) return { id: key.id, secretEnv: key.secretEnv };
  return { id: key.id, secret: hide ? REDACTED : key.secret };
}

/** backends, groups and rules as the file writes them (members by name, weight only when not 1). */
function routingSections(routing: RoutingConfig) {
  return {
    backends: routing.backends.map((b) => ({
      name: b.name,
      url: b.url,
      enabled: b.enabled,
      prefixRouting: b.prefixRouting,
      maxLoad: b.maxLoad ?? null,
      schedules: b.schedules.map((s) => ({ cron: s.cron, timeZone: s.timeZone })),
      draining: b.draining === true,
      maxRunningQueries: b.maxRunningQueries ?? null,
    })),
    groups: routing.groups.map((g) => ({
      name: g.name,
      strategy: g.strategy,
      backends: g.members.map((m) => (m.weight === 1 ? m.backend : { name: m.backend, weight: m.weight })),
      fallback: g.fallback ?? null,
      maxRunningQueries: g.maxRunningQueries ?? null,
    })),
    rules: routing.rules.map((r) => ({
      name: r.name,
      priority: r.priority,
      group: r.group,
      backend: r.backend ?? null,
      requestedGroups: r.requestedGroups === undefined ? null : [...r.requestedGroups],
      fallback: r.fallback ?? null,
      queuePriority: r.queuePriority ?? null,
      maxRunningPerUser: r.maxRunningPerUser ?? null,
      match: renderMatch(r.match),
    })),
  };
}

/** Each kind as the file writes it: the shorthand where there is one. */
const TO_FILE: { readonly [K in FieldKind]: (spec: FieldKinds[K]['spec']) => unknown } = {
  string: (spec) => ('exact' in spec ? spec.exact : spec),
  tags: (spec) => spec,
  ports: (spec) => spec,
  properties: (spec) => spec,
  headers: (spec) => spec,
  names: (spec) => ('glob' in spec ? (spec.glob.length === 1 ? spec.glob[0] : spec.glob) : spec),
};

function renderMatch(match: RuleMatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const definition of RULE_FIELDS) {
    const spec = match[definition.key];
    if (spec !== undefined) out[definition.key] = (TO_FILE[definition.kind] as (s: unknown) => unknown)(spec);
  }
  return out;
}
