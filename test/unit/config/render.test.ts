import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfigFile,
  parseConfig,
  renderConfigYaml,
  type RouterConfig,
} from '../../../src/config/index.js';
import type { Backend, RoutingGroup, RoutingRule, RuleMatch, StringMatch } from '../../../src/routing/model.js';
import { VALID_YAML } from './fixtures.js';

const EXAMPLE = resolve(import.meta.dirname, '../../../config/example.yaml');

describe('renderConfigYaml', () => {
  it('round-trips the example exactly', () => {
    const config = loadConfigFile(EXAMPLE);
    expect(parseConfig(renderConfigYaml(config), 'export.yaml', { baseDir: '/elsewhere' })).toStrictEqual(config);
  });

  it('writes env-sourced secrets as the variable name, never the value', () => {
    const env = { PREFIX_KEY: 'a-prefix-key-secret-from-the-environment', ADMIN_TOKEN: 'an-admin-token-from-the-environment', READ_TOKEN: 'a-read-only-token-from-the-environment' };
    const text = VALID_YAML
      .replace('{ id: k1, secret: "0123456789abcdef-0123456789abcdef-secret" }', '{ id: k1, secretEnv: PREFIX_KEY }')
      .concat('admin: { tokenEnv: ADMIN_TOKEN, readTokenEnv: READ_TOKEN }\n');
    const config = parseConfig(text, 'router.yaml', { env, baseDir: '/srv/router' });
    expect(config.prefix?.keys[0]).toEqual({ id: 'k1', secret: env.PREFIX_KEY, secretEnv: 'PREFIX_KEY' });
    expect(config.admin).toEqual({ token: env.ADMIN_TOKEN, tokenEnv: 'ADMIN_TOKEN', readToken: env.READ_TOKEN, readTokenEnv: 'READ_TOKEN', tls: null });
    const rendered = renderConfigYaml(config);
    expect(rendered).not.toContain(env.PREFIX_KEY);
    expect(rendered).not.toContain(env.ADMIN_TOKEN);
    expect(rendered).not.toContain(env.READ_TOKEN);
    expect(parseConfig(rendered, 'export.yaml', { env })).toStrictEqual(config);
  });

  it('can redact inline secrets; a redacted export refuses to load', () => {
    const config = parseConfig(`${VALID_YAML}admin: { token: "inline-admin-token-0123", readToken: "inline-read-token-4567" }\n`, 'router.yaml', { env: {} });
    const rendered = renderConfigYaml(config, { secrets: 'redact' });
    expect(rendered).not.toContain('0123456789abcdef-0123456789abcdef-secret');
    expect(rendered).not.toContain('inline-admin-token-0123');
    expect(rendered).not.toContain('inline-read-token-4567');
    expect(() => parseConfig(rendered, 'export.yaml', { env: {} })).toThrow(ConfigError);
    expect(parseConfig(renderConfigYaml(config), 'export.yaml', { env: {} })).toStrictEqual(config);
  });

  it('resolves relative paths against the base folder and writes them absolute', () => {
    const config = parseConfig(`${VALID_YAML}dataDir: state\nstore: { path: db/r.db }\n`, 'router.yaml', { env: {}, baseDir: '/srv/router' });
    expect(config.dataDir).toBe('/srv/router/state');
    expect(config.store.path).toBe('/srv/router/db/r.db');
    expect(renderConfigYaml(config)).toContain('dataDir: /srv/router/state');
  });

  it('round-trips any valid configuration (property)', () => {
    fc.assert(
      fc.property(routerConfigArbitrary(), ({ config, env }) => {
        const text = renderConfigYaml(config);
        expect(parseConfig(text, 'export.yaml', { env })).toStrictEqual(config);
      }),
      { numRuns: 150 },
    );
  });
});

// ---- a generator of valid RouterConfigs ----

/** Strings YAML must quote or escape, plus arbitrary Unicode. */
const trickyString = fc.oneof(
  fc.constantFrom('null', 'true', '~', '123', '0x1F', '- x', '#c', ' lead', 'trail ', 'a: b', '"q"', "'", 'multi\nline', 'tab\there', '', '*alias', '&anchor', '{x}', '[y]', 'ünïcödé', '🚀'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);

const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/);
const positive = fc.double({ min: 0.001, max: 1e6, noNaN: true, noDefaultInfinity: true });

const stringMatch: fc.Arbitrary<StringMatch> = fc.oneof(
  trickyString.map((exact) => ({ exact })),
  fc.array(trickyString, { minLength: 1, maxLength: 3 }).map((anyOf) => ({ anyOf })),
  fc.constantFrom('^etl_', 'a|b', '\\d+', '^[a-z]+$', '.*').map((regex) => ({ regex })),
);

const ruleMatch: fc.Arbitrary<RuleMatch> = fc.record(
  {
    method: stringMatch, path: stringMatch, host: stringMatch, user: stringMatch, source: stringMatch,
    catalog: stringMatch, schema: stringMatch, clientInfo: stringMatch,
    listenerPort: fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 3 }),
    clientTags: fc.oneof(
      fc.array(trickyString.filter((t) => t !== ''), { minLength: 1, maxLength: 3 }).map((containsAny) => ({ containsAny })),
      fc.array(trickyString.filter((t) => t !== ''), { minLength: 1, maxLength: 3 }).map((containsAll) => ({ containsAll })),
    ),
    sessionProperties: fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), trickyString, { minKeys: 1, maxKeys: 3 }),
  },
  { requiredKeys: [] },
);

function routingArbitrary() {
  return fc.uniqueArray(name, { minLength: 1, maxLength: 4 }).chain((backendNames) =>
    fc.uniqueArray(name, { minLength: 1, maxLength: 3 }).chain((groupNames) =>
      fc.record({
        backends: fc.tuple(...backendNames.map((n, i) => backendArbitrary(n, i))),
        groups: fc.tuple(...groupNames.map((n, i) => groupArbitrary(n, i, groupNames, backendNames))),
        rules: fc.uniqueArray(name, { maxLength: 3 }).chain((ruleNames): fc.Arbitrary<RoutingRule[]> =>
          ruleNames.length === 0 ? fc.constant([]) : fc.tuple(...ruleNames.map((n) => ruleArbitrary(n, groupNames)))),
        defaultGroup: fc.constantFrom(...groupNames),
      })));
}

function backendArbitrary(backendName: string, index: number): fc.Arbitrary<Backend> {
  return fc.record(
    {
      name: fc.constant(backendName),
      url: fc.constantFrom('http', 'https').map((scheme) => `${scheme}://trino-${index}.example.com:${8080 + index}`),
      enabled: fc.boolean(),
      prefixRouting: fc.boolean(),
      schedules: fc.array(fc.record({
        cron: fc.constantFrom('* 8-18 * * 1-5', '*/5 * * * *', '0 0 1 JAN,JUL SUN', '0-30/10 22 * * 0-6'),
        timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
      }), { maxLength: 2 }),
      maxLoad: positive,
    },
    { requiredKeys: ['name', 'url', 'enabled', 'prefixRouting', 'schedules'] },
  );
}

function groupArbitrary(groupName: string, index: number, groupNames: string[], backendNames: string[]): fc.Arbitrary<RoutingGroup> {
  return fc.record(
    {
      name: fc.constant(groupName),
      strategy: fc.constantFrom('round_robin', 'random', 'weighted', 'least_load'),
      members: fc.shuffledSubarray(backendNames, { minLength: 1 }).chain((members) =>
        fc.tuple(...members.map((backend) => fc.oneof(fc.constant(1), fc.constant(0), positive).map((weight) => ({ backend, weight }))))
          // Keep weighted groups valid: the first member always has a positive weight.
          .map((list) => list.map((m, i) => (i === 0 && m.weight === 0 ? { ...m, weight: 2 } : m)))),
      // Falling back only to an earlier group rules out cycles.
      fallback: index === 0 ? fc.constant(undefined) : fc.constantFrom(...groupNames.slice(0, index)),
    },
    { requiredKeys: ['name', 'strategy', 'members'] },
  ).map((group) => (group.fallback === undefined ? withoutKey(group, 'fallback') : group));
}

function ruleArbitrary(ruleName: string, groupNames: string[]): fc.Arbitrary<RoutingRule> {
  return fc.record({
    name: fc.constant(ruleName),
    priority: fc.integer({ min: -1000, max: 1000 }),
    group: fc.constantFrom(...groupNames),
    match: ruleMatch,
  });
}

function withoutKey<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

function routerConfigArbitrary(): fc.Arbitrary<{ config: RouterConfig; env: Record<string, string> }> {
  const secret = fc.string({ unit: 'grapheme', minLength: 16, maxLength: 40 }).filter((s) => s.length >= 16);
  const prefixSecret = fc.string({ unit: 'grapheme', minLength: 32, maxLength: 48 }).filter((s) => s.length >= 32);
  const address = (port: number) => fc.constantFrom('0.0.0.0', '127.0.0.1', '::1', '::', 'localhost').map((host) => ({ host, port }));
  return fc.record({
    routing: routingArbitrary(),
    extProc: address(9001),
    shareAuthz: fc.constantFrom('off', 'shared', 'own'),
    shareXds: fc.constantFrom('off', 'shared', 'own'),
    xdsHealthCheck: fc.option(fc.record({
      path: fc.constantFrom('/v1/info', '/v1/status'),
      intervalSeconds: positive,
      timeoutMs: fc.integer({ min: 1, max: 60_000 }),
      unhealthyThreshold: fc.integer({ min: 1, max: 10 }),
      healthyThreshold: fc.integer({ min: 1, max: 10 }),
    }), { nil: null }),
    admin: fc.option(address(9002), { nil: null }),
    metrics: fc.option(address(9090), { nil: null }),
    dataDir: fc.constantFrom('/var/lib/router', '/tmp/a dir/with: colon', '/srv/#hash/ö'),
    customStorePath: fc.boolean(),
    seed: fc.constantFrom('if-empty', 'overwrite') as fc.Arbitrary<'if-empty' | 'overwrite'>,
    level: fc.constantFrom('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') as fc.Arbitrary<RouterConfig['logging']['level']>,
    unavailable: fc.constantFrom('failed-query', 'retry') as fc.Arbitrary<'failed-query' | 'retry'>,
    jwtUserClaim: fc.constantFrom('sub', 'preferred_username', 'email'),
    keys: fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9]{1,16}$/), { minLength: 1, maxLength: 3 }).chain((ids) =>
      fc.tuple(...ids.map((id, i) => fc.record({ id: fc.constant(id), secret: prefixSecret, fromEnv: fc.boolean(), envName: fc.constant(`KEY_${i}`) })))),
    maxAgeHours: positive,
    queryIds: fc.record({ retentionHours: positive, maxEntries: fc.integer({ min: 1, max: 10_000_000 }) }),
    loginFlows: fc.record({ maxEntries: fc.integer({ min: 1, max: 10_000_000 }), challengeTimeoutMinutes: positive }),
    monitor: fc.record({
      intervalSeconds: positive,
      timeoutMs: fc.integer({ min: 1, max: 60_000 }),
      failureThreshold: fc.integer({ min: 1, max: 10 }),
      successThreshold: fc.integer({ min: 1, max: 10 }),
      user: trickyString.filter((u) => u !== ''),
    }),
    adminToken: fc.option(secret, { nil: null }),
    adminReadToken: fc.option(secret, { nil: null }),
    adminTls: fc.constantFrom('off', 'server', 'mutual'),
    history: fc.option(fc.record({ retentionDays: positive, maxRows: fc.integer({ min: 1, max: 10_000_000 }) }), { nil: null }),
  }).map((g) => {
    const env: Record<string, string> = {};
    const keys = g.keys.map((k) => {
      if (!k.fromEnv) return { id: k.id, secret: k.secret, secretEnv: null };
      env[k.envName] = k.secret;
      return { id: k.id, secret: k.secret, secretEnv: k.envName };
    });
    const extAuthz = g.shareAuthz === 'off' ? null : g.shareAuthz === 'shared' ? g.extProc : { host: '127.0.0.1', port: 9003 };
    const config: RouterConfig = {
      listen: { extProc: g.extProc, extAuthz, admin: g.admin, metrics: g.metrics, xds: g.shareXds === 'off' ? null : g.shareXds === 'shared' ? g.extProc : { host: '127.0.0.1', port: 9004 },
        // The console needs the admin API, over plaintext (schema.ts checkConsoleNeeds).
        console: g.admin !== null && g.adminTls === 'off' ? { host: '127.0.0.1', port: 9005 } : null },
      dataDir: g.dataDir,
      store: { kind: 'sqlite', path: g.customStorePath ? '/srv/other/router.sqlite' : join(g.dataDir, 'router.db'), seed: g.seed, pollIntervalMs: 2000, audit: { maxRevisions: 1000, maxAgeDays: 90 }, postgres: null },
      logging: { level: g.level },
      routing: g.routing,
      requests: { unavailable: g.unavailable, jwtUserClaim: g.jwtUserClaim },
      prefix: { keys, maxAgeHours: g.maxAgeHours },
      queryIds: g.queryIds,
      loginFlows: g.loginFlows,
      monitor: g.monitor === null ? null : { ...g.monitor, auth: null, backends: {} },
      // A read-only token is valid only next to a (different) full token.
      admin: { token: g.adminToken, tokenEnv: null, readToken: g.adminToken === null || g.adminReadToken === g.adminToken ? null : g.adminReadToken, readTokenEnv: null,
        tls: g.adminTls === 'off' ? null : { certFile: '/etc/router/tls/admin.crt', keyFile: '/etc/router/tls/admin.key', clientCaFile: g.adminTls === 'mutual' ? '/etc/router/tls/clients-ca.crt' : null } },
      history: g.history,
      xds: {
        connectTimeoutMs: 2000,
        circuitBreakers: { maxConnections: 10_000, maxPendingRequests: 500, maxRequests: 10_000, maxRetries: 0 },
        healthCheck: g.xdsHealthCheck,
        tls: { caFile: '/etc/pki/tls/certs/ca-bundle.crt' },
        apiListeners: g.shareXds === 'own',
      },
      console: { secureCookie: g.adminToken !== null, sessionIdleMinutes: 30 },
      statements: { maxBytes: 65536, timeBudgetMs: 300, workers: 2, maxQueue: 32 },
      queue: { pollHoldMs: 400, clientTimeoutSeconds: 60, dispatchIntervalMs: 100, leaseSeconds: 10, countGraceMs: 500, submitTimeoutMs: 5000, retentionHours: 2 },
    };
    // fast-check may build null-prototype records; the loader builds plain objects.
    return { config: JSON.parse(JSON.stringify(config)) as RouterConfig, env };
  });
}
