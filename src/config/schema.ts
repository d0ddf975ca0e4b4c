/**
 * The shape of the YAML config file, as zod schemas. Shape and per-field syntax only: the
 * meaning of the routing part (names, references, regexes, cron, time zones) is checked once,
 * by routing/validate.ts, for the file and the admin API alike.
 */
import { z } from 'zod';
import { RULE_FIELDS, type FieldKind } from '../routing/fields.js';
import { formatGrpcListenAddress, grpcAddressesClash, parseGrpcListenAddress, parseListenAddress, sameGrpcAddress, type GrpcListenAddress } from './listen-address.js';

/**
 * A closed object: an unknown key is an error (a typo must not be silently ignored). The
 * issue's message lists the keys that are allowed, for the "did you mean" hint.
 */
function closed<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `allowed: ${allowed}` : undefined),
  });
}

const nonEmpty = z.string().min(1, 'expected a non-empty string');

/** `host:port` or `[ipv6]:port`; port 0 asks the OS for a free port (tests). */
const listenAddress = z.string().transform((text, ctx) => {
  const parsed = parseListenAddress(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** A listen address or `unix:/absolute/path`: the gRPC servers (ext_proc, ext_authz, xDS) may use a Unix socket. */
const grpcListenAddress = z.string().transform((text, ctx) => {
  const parsed = parseGrpcListenAddress(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** The listen keys whose servers may share listen.extProc's socket (one gRPC server serves them all). */
const EXT_PROC_SHARERS: ReadonlySet<string> = new Set(['extAuthz', 'xds']);

/**
 * Servers that would fight over one socket. extAuthz and xds may share extProc's socket (written
 * alike): one gRPC server then serves them all.
 */
function checkListenClashes(
  listen: Partial<Record<'extProc' | 'extAuthz' | 'admin' | 'metrics' | 'xds' | 'console', GrpcListenAddress | null>>,
  ctx: z.core.$RefinementCtx,
): void {
  const entries = Object.entries(listen).filter((e): e is [string, GrpcListenAddress] => e[1] !== null && e[1] !== undefined);
  const extProc = listen.extProc;
  const onExtProcServer = (name: string, address: GrpcListenAddress): boolean => name === 'extProc' ||
    (EXT_PROC_SHARERS.has(name) && extProc !== null && extProc !== undefined && sameGrpcAddress(address, extProc));
  for (let i = 0; i < entries.length; i++) {
    for (let j = 0; j < i; j++) {
      const [name, address] = entries[i] as [string, GrpcListenAddress];
      const [otherName, other] = entries[j] as [string, GrpcListenAddress];
      const shared = onExtProcServer(name, address) && onExtProcServer(otherName, other);
      if (!shared && grpcAddressesClash(address, other)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `clashes with listen.${otherName} (${formatGrpcListenAddress(other)}); use another ${'socketPath' in other ? 'socket path' : 'port'}` });
      }
    }
  }
}

const stringMatch = z.union([
  z.string(),
  closed({ exact: z.string() }),
  closed({ anyOf: z.array(z.string()).min(1, 'expected at least one value') }),
  closed({ regex: z.string() }),
]);

const tagsMatch = z.union([
  closed({ containsAny: z.array(nonEmpty).min(1, 'expected at least one tag') }),
  closed({ containsAll: z.array(nonEmpty).min(1, 'expected at least one tag') }),
]);

/** A glob, a list of globs (shorthands for `{glob}`), `{glob: [...]}` or `{regex}`. */
const namesMatch = z.union([
  nonEmpty,
  z.array(nonEmpty).min(1, 'expected at least one glob'),
  closed({ glob: z.array(nonEmpty).min(1, 'expected at least one glob') }),
  closed({ regex: z.string() }),
]);

const port = z.number().int('expected an integer port');

const headerName = z.string();
const headerMatch = z.union([
  closed({ name: headerName, exact: z.string() }),
  closed({ name: headerName, anyOf: z.array(z.string()).min(1, 'expected at least one value') }),
  closed({ name: headerName, regex: z.string() }),
  closed({ name: headerName, present: z.boolean() }),
]);

/** How a condition of each kind of rule field is written in the file (shorthands included). */
export const FILE_KIND_SCHEMAS = {
  string: stringMatch,
  tags: tagsMatch,
  ports: z.union([port, z.array(port).min(1, 'expected at least one port')]),
  properties: z.record(z.string(), z.string()),
  headers: z.union([headerMatch, z.array(headerMatch).min(1, 'expected at least one header condition')]),
  names: namesMatch,
} as const satisfies { readonly [K in FieldKind]: z.ZodType };

export type FileKindInput<K extends FieldKind> = z.output<(typeof FILE_KIND_SCHEMAS)[K]>;

/** Every field of the rule field table, each optional, in the table's order. */
const ruleMatch = closed(Object.fromEntries(RULE_FIELDS.map((f) => [f.key, FILE_KIND_SCHEMAS[f.kind].optional()])) as {
  [E in (typeof RULE_FIELDS)[number] as E['key']]: z.ZodOptional<(typeof FILE_KIND_SCHEMAS)[E['kind']]>
});

const schedule = closed({
  cron: z.string(),
  timeZone: z.string().default('UTC'),
});

const backend = closed({
  name: z.string(),
  url: z.string(),
  enabled: z.boolean().default(true),
  prefixRouting: z.boolean().default(false),
  maxLoad: z.number().nullable().default(null),
  schedules: z.array(schedule).default([]),
  draining: z.boolean().default(false),
  /** Queries running at once before new ones queue in the router; null: no limit. */
  maxRunningQueries: z.number().nullable().default(null),
});

const groupMember = z.union([
  z.string(),
  closed({ name: z.string(), weight: z.number().default(1) }),
]);

const group = closed({
  name: z.string(),
  strategy: z.enum(['round_robin', 'random', 'weighted', 'least_load']).default('round_robin'),
  backends: z.array(groupMember),
  fallback: z.string().nullable().default(null),
  /** Queries the group's backends run at once in total before new ones queue; null: no limit. */
  maxRunningQueries: z.number().nullable().default(null),
});

const rule = closed({
  name: z.string(),
  priority: z.number().default(100),
  group: z.string(),
  /** One backend for the rule's queries; `group` takes them when it cannot (unless fallback: false). */
  backend: z.string().nullable().default(null),
  /** Groups a client may name in X-Trino-Routing-Group; the named one replaces `group`. */
  requestedGroups: z.array(z.string()).min(1, 'expected at least one group').nullable().default(null),
  /** false: refuse what the rule's own target cannot take, instead of falling back. */
  fallback: z.literal(false, 'expected false (the default is to fall back)').nullable().default(null),
  match: ruleMatch.default({}),
  /** Queue order of the rule's queries: higher first, FIFO among equals; null: 0. */
  queuePriority: z.number().nullable().default(null),
  /** Running queries of the rule per user, fleet-wide, before more queue; null: no limit. */
  maxRunningPerUser: z.number().nullable().default(null),
});

/** Where secrets named by `secretEnv` / `tokenEnv` are looked up (process.env in production). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Secrets shorter than this are guessable; an HMAC key or bearer token needs more. */
export const MIN_SECRET_LENGTH = 16;

/** A prefix key is an HMAC-SHA256 key: at least as many bytes as the hash (RFC 2104 section 3). */
export const MIN_PREFIX_KEY_BYTES = 32;

/**
 * The prefix keys the project ships for trying it out (config/example.yaml, docker-compose.yml):
 * public, so the router warns at every start that uses one.
 */
export const DEVELOPMENT_PREFIX_KEYS: ReadonlySet<string> = new Set([
  'development-only-prefix-key-replace-me',
  'compose-development-prefix-key-change-me',
]);

/**
 * A secret given inline (`<field>`) or named by an environment variable (`<field>Env`): exactly
 * one of the two. Resolved here so an unset variable is reported with the other problems;
 * the output keeps the variable's name so an export writes the name, not the value.
 */
function resolveSecret(
  env: Environment,
  field: string,
  given: { inline: string | null; envName: string | null },
  required: boolean,
  ctx: z.core.$RefinementCtx,
  minimum: SecretMinimum = { length: MIN_SECRET_LENGTH, unit: 'characters', why: '' },
): string | null {
  const size = (value: string): number => (minimum.unit === 'bytes' ? Buffer.byteLength(value, 'utf8') : value.length);
  const envField = `${field}Env`;
  if (given.inline !== null && given.envName !== null) {
    ctx.addIssue({ code: 'custom', path: [envField], message: `give either ${field} or ${envField}, not both` });
    return null;
  }
  if (given.envName !== null) {
    const value = env[given.envName];
    if (value === undefined || value === '') {
      ctx.addIssue({ code: 'custom', path: [envField], message: `environment variable ${given.envName} is not set (or empty)` });
      return null;
    }
    if (size(value) < minimum.length) {
      ctx.addIssue({ code: 'custom', path: [envField], message: `environment variable ${given.envName} holds ${size(value)} ${minimum.unit}; at least ${minimum.length} required${minimum.why}` });
    }
    return value;
  }
  if (given.inline !== null) {
    if (size(given.inline) < minimum.length) {
      ctx.addIssue({ code: 'custom', path: [field], message: `expected at least ${minimum.length} ${minimum.unit}, got ${size(given.inline)}${minimum.why}` });
    }
    return given.inline;
  }
  if (required) ctx.addIssue({ code: 'custom', path: [field], message: `required: give ${field} or ${envField}` });
  return null;
}

interface SecretMinimum {
  readonly length: number;
  readonly unit: 'characters' | 'bytes';
  /** Appended to the message: why, and how to make a good one. */
  readonly why: string;
}

const PREFIX_KEY_MINIMUM: SecretMinimum = {
  length: MIN_PREFIX_KEY_BYTES,
  unit: 'bytes',
  why: ' (an HMAC-SHA256 key; make one with `openssl rand -base64 32`)',
};

function prefixKey(env: Environment) {
  return closed({
    id: z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'expected 1-16 letters or digits'),
    secret: z.string().nullable().default(null),
    secretEnv: nonEmpty.nullable().default(null),
  }).transform((key, ctx) => {
    const secret = resolveSecret(env, 'secret', { inline: key.secret, envName: key.secretEnv }, true, ctx, PREFIX_KEY_MINIMUM);
    return { id: key.id, secret: secret ?? '', secretEnv: key.secretEnv };
  });
}

function adminSettings(env: Environment) {
  return closed({
    token: z.string().nullable().default(null),
    tokenEnv: nonEmpty.nullable().default(null),
    readToken: z.string().nullable().default(null),
    readTokenEnv: nonEmpty.nullable().default(null),
    tls: adminTls.nullable().default(null),
  }).transform((admin, ctx) => {
    const token = resolveSecret(env, 'token', { inline: admin.token, envName: admin.tokenEnv }, false, ctx);
    const readToken = resolveSecret(env, 'readToken', { inline: admin.readToken, envName: admin.readTokenEnv }, false, ctx);
    const readField = admin.readTokenEnv !== null ? 'readTokenEnv' : 'readToken';
    if (readToken !== null && admin.token === null && admin.tokenEnv === null) {
      // Without a full token the API would be open to anyone for writes: a read-only token would protect nothing.
      ctx.addIssue({ code: 'custom', path: [readField], message: 'a read-only token needs admin.token (or admin.tokenEnv) too: without it every call, writes included, needs no token' });
    }
    if (readToken !== null && token !== null && readToken === token) {
      ctx.addIssue({ code: 'custom', path: [readField], message: 'must differ from admin.token: a caller holding it could not be told apart from a writer' });
    }
    return { token, tokenEnv: admin.tokenEnv, readToken, readTokenEnv: admin.readTokenEnv, tls: admin.tls };
  });
}

/** A PostgreSQL schema name the router may create and quote safely. */
const POSTGRES_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Where the router keeps its state. `kind: sqlite` (default): a file; `kind: postgres`: one
 * database shared by a fleet, with the connection URL given inline or (better, it holds a
 * password) in `urlEnv`. Settings of the other kind are refused, so a half-edited file is
 * not silently read as the wrong store.
 */
/** How the file's routing reaches the store (src/store/seed.ts, src/config-watch). */
export const SEED_MODES = ['if-empty', 'overwrite', 'watch'] as const;

function storeSettings(env: Environment) {
  return closed({
    kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
    path: nonEmpty.nullable().default(null),
    seed: z.enum(SEED_MODES).default('if-empty'),
    pollIntervalMs: positiveInt.min(50, 'expected at least 50').default(2000),
    audit: closed({
      maxRevisions: positiveInt.max(1_000_000).default(1000),
      maxAgeDays: positiveInt.max(36_500).default(90),
    }).prefault({}),
    url: nonEmpty.nullable().default(null),
    urlEnv: nonEmpty.nullable().default(null),
    schema: z.string().regex(POSTGRES_SCHEMA_NAME, 'expected a lower-case PostgreSQL name (letters, digits, _; at most 63)').default('trino_router'),
    pool: closed({
      max: positiveInt.max(1000).default(10),
      connectTimeoutMs: positiveInt.default(5000),
      statementTimeoutMs: positiveInt.default(10_000),
    }).prefault({}),
    tls: closed({
      caFile: nonEmpty.nullable().default(null),
      certFile: nonEmpty.nullable().default(null),
      keyFile: nonEmpty.nullable().default(null),
      verify: z.boolean().default(true),
    }).nullable().default(null),
  }).transform((store, ctx) => {
    if (store.kind === 'sqlite') {
      for (const key of ['url', 'urlEnv', 'tls'] as const) {
        if (store[key] !== null) ctx.addIssue({ code: 'custom', path: [key], message: 'only for kind: postgres (this store is SQLite)' });
      }
      return { kind: store.kind, path: store.path, seed: store.seed, pollIntervalMs: store.pollIntervalMs, audit: store.audit, postgres: null };
    }
    if (store.path !== null) ctx.addIssue({ code: 'custom', path: ['path'], message: 'only for kind: sqlite (a PostgreSQL store is named by url or urlEnv)' });
    if ((store.tls?.certFile === null) !== (store.tls?.keyFile === null)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'give certFile and keyFile together (a client certificate needs its key)' });
    }
    let url: string | null = null;
    if (store.url !== null && store.urlEnv !== null) {
      ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: 'give either url or urlEnv, not both' });
    } else if (store.urlEnv !== null) {
      url = env[store.urlEnv] ?? null;
      if (url === null || url === '') ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: `environment variable ${store.urlEnv} is not set (or empty)` });
    } else if (store.url !== null) {
      url = store.url;
    } else {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'required for kind: postgres: give url or urlEnv (postgres://user@host:5432/db)' });
    }
    if (url !== null && url !== '' && !/^postgres(ql)?:\/\//.test(url)) {
      ctx.addIssue({ code: 'custom', path: [store.urlEnv !== null ? 'urlEnv' : 'url'], message: 'expected a postgres:// or postgresql:// URL' });
    }
    return {
      kind: store.kind,
      path: null,
      seed: store.seed,
      pollIntervalMs: store.pollIntervalMs,
      audit: store.audit,
      postgres: { url: url ?? '', urlEnv: store.urlEnv, schema: store.schema, pool: store.pool, tls: store.tls },
    };
  }).prefault({});
}

/**
 * TLS on the admin port: the server's certificate and key (PEM files) and, for mutual TLS, the
 * CA that signs the clients' certificates (then a connection without such a certificate is
 * refused during the handshake).
 */
const adminTls = closed({
  certFile: nonEmpty,
  keyFile: nonEmpty,
  clientCaFile: nonEmpty.nullable().default(null),
});

/** Key ids name the verifying key inside signed prefixes, so two keys must not share one. */
function checkUniqueKeyIds(prefix: { keys: readonly { id: string }[] }, ctx: z.core.$RefinementCtx): void {
  const seen = new Set<string>();
  prefix.keys.forEach((key, i) => {
    if (seen.has(key.id)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'id'], message: `duplicate key id ${JSON.stringify(key.id)}` });
    seen.add(key.id);
  });
}

const positiveNumber = z.number().positive();
const positiveInt = z.number().int().positive();

/** Where Envoy finds the CAs that sign https backends' certificates (the envoyproxy/envoy image's bundle). */
export const DEFAULT_XDS_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * Deadline of one round of health checks. Trino holds a poll without news for up to 1 s, and
 * a round runs two statements (POST, queued and executing polls each), so a busy coordinator,
 * or one whose resource groups queue the monitor's query for a few seconds, needs several held
 * polls: 2 s marked healthy coordinators down. 8 s stays under the 10 s interval, so rounds of
 * one backend never overlap.
 */
export const DEFAULT_MONITOR_TIMEOUT_MS = 8_000;

/** The Trino user the health monitor runs its queries as (and probes fall back to). */
export const DEFAULT_MONITOR_USER = 'trino-router-monitor';

const loadWeight = z.number().nonnegative().refine(Number.isFinite, 'expected a finite number');

/** Weights of running and queued queries in a backend's load score. */
const loadWeights = closed({
  running: loadWeight.default(1),
  queued: loadWeight.default(0.5),
}).refine((w) => w.running > 0 || w.queued > 0, 'at least one of running, queued must be above 0');

/**
 * What the health monitor presents to a coordinator (`monitor.auth`, and per backend
 * `monitor.backends.<name>.auth`, which replaces the default as a whole): the Trino user of
 * its checks, at most one of a password (HTTP Basic as that user) or a bearer token, each from
 * an environment variable or a file (a file is re-read when it changes: rotating tokens), and
 * for https coordinators a CA bundle and a client certificate with its key (mutual TLS). There
 * are no inline secrets, so an export never holds one. Files are checked at load (load.ts).
 */
function monitorAuth(env: Environment) {
  return closed({
    user: nonEmpty.nullable().default(null),
    passwordEnv: nonEmpty.nullable().default(null),
    passwordFile: nonEmpty.nullable().default(null),
    tokenEnv: nonEmpty.nullable().default(null),
    tokenFile: nonEmpty.nullable().default(null),
    caFile: nonEmpty.nullable().default(null),
    certFile: nonEmpty.nullable().default(null),
    keyFile: nonEmpty.nullable().default(null),
  }).superRefine((auth, ctx) => {
    const both = (a: keyof typeof auth, b: keyof typeof auth, message: string): void => {
      if (auth[a] !== null && auth[b] !== null) ctx.addIssue({ code: 'custom', path: [b], message });
    };
    both('passwordEnv', 'passwordFile', 'give either passwordEnv or passwordFile, not both');
    both('tokenEnv', 'tokenFile', 'give either tokenEnv or tokenFile, not both');
    const password = auth.passwordEnv !== null || auth.passwordFile !== null;
    const token = auth.tokenEnv !== null || auth.tokenFile !== null;
    if (password && token) {
      ctx.addIssue({ code: 'custom', path: [auth.tokenEnv !== null ? 'tokenEnv' : 'tokenFile'], message: 'give a password (Basic) or a token (Bearer), not both' });
    }
    if (auth.certFile !== null && auth.keyFile === null) ctx.addIssue({ code: 'custom', path: ['keyFile'], message: 'a client certificate (certFile) needs its key: give keyFile' });
    if (auth.keyFile !== null && auth.certFile === null) ctx.addIssue({ code: 'custom', path: ['certFile'], message: 'a client key (keyFile) needs its certificate: give certFile' });
    for (const field of ['passwordEnv', 'tokenEnv'] as const) {
      const name = auth[field];
      if (name !== null && (env[name] ?? '') === '') ctx.addIssue({ code: 'custom', path: [field], message: `environment variable ${name} is not set (or empty)` });
    }
  });
}

/**
 * Circuit breakers of each backend's Envoy cluster: Envoy's defaults (1024 each) overflow a
 * busy cluster's polls into 503 UO. The one definition: the static clusters in envoy/*.yaml
 * carry the same values (test/deploy checks them against this).
 */
export const DEFAULT_XDS_CIRCUIT_BREAKERS = { maxConnections: 10_000, maxPendingRequests: 10_000, maxRequests: 10_000, maxRetries: 3 } as const;

/** The Envoy clusters the router serves over xDS (one per backend). */
const xdsSettings = closed({
  connectTimeoutMs: positiveInt.default(2000),
  circuitBreakers: closed({
    maxConnections: positiveInt.default(DEFAULT_XDS_CIRCUIT_BREAKERS.maxConnections),
    maxPendingRequests: positiveInt.default(DEFAULT_XDS_CIRCUIT_BREAKERS.maxPendingRequests),
    maxRequests: positiveInt.default(DEFAULT_XDS_CIRCUIT_BREAKERS.maxRequests),
    maxRetries: z.number().int().nonnegative().default(DEFAULT_XDS_CIRCUIT_BREAKERS.maxRetries),
  }).prefault({}),
  healthCheck: closed({
    path: z.string().startsWith('/', 'expected an absolute path such as /v1/info').default('/v1/info'),
    intervalSeconds: positiveNumber.default(10),
    timeoutMs: positiveInt.default(2000),
    unhealthyThreshold: positiveInt.default(2),
    healthyThreshold: positiveInt.default(2),
  }).nullable().default(null),
  tls: closed({
    caFile: nonEmpty.default(DEFAULT_XDS_CA_FILE),
  }).prefault({}),
  apiListeners: z.boolean().default(false),
});

/**
 * The config file. Keys are camelCase; every key not marked required has this default:
 *
 * - `listen.extProc` "0.0.0.0:9001"; `listen.extAuthz` null (off; may equal extProc, then one
 *   server serves both); `listen.admin` "127.0.0.1:9002"; `listen.metrics` "0.0.0.0:9090".
 *   null turns admin or metrics off. extProc, extAuthz and xds also take `unix:/absolute/path`
 *   (a Unix domain socket; see runtime/grpc-server.ts for its file mode and lifecycle).
 * - `dataDir` "./data", resolved against the config file's folder.
 * - `store.kind` "sqlite"; `store.path` null = `<dataDir>/router.db`; `store.seed` "if-empty"
 *   (the file seeds the store's routing tables on first start; "overwrite" replaces them on
 *   every start; "watch" makes the file the source of truth, applied whenever it changes);
 *   `store.audit` `{maxRevisions: 1000, maxAgeDays: 90}` (config history kept); `store.pollIntervalMs` 2000 (how often a router re-reads what other replicas
 *   changed; with PostgreSQL they announce it at once, and polling is the safety net). `kind: postgres` takes `url` or `urlEnv` (required, one of them),
 *   `schema` "trino_router", `pool` `{max: 10, connectTimeoutMs: 5000, statementTimeoutMs:
 *   10000}`, `tls` null (the URL's sslmode decides) or `{caFile, certFile, keyFile: null,
 *   verify: true}` (paths resolve against the config file's folder).
 * - `logging.level` "info".
 * - `statements` (read only when a rule has a statement condition): `maxBytes` 262144 (larger
 *   bodies are "statement unknown"), `timeBudgetMs` 400 (a parse over it is "unknown"),
 *   `workers` 1 (parser threads), `maxQueue` 64 (statements waiting beyond it are "unknown").
 * - `routing.defaultGroup` required; `routing.unavailable` "failed-query";
 *   `routing.jwtUserClaim` "sub"; `routing.prefix` null (no prefix routing; required when a
 *   backend sets `prefixRouting: true`), `prefix.maxAgeHours` 24; `routing.queryIds`
 *   `{retentionHours: 24, maxEntries: 1000000}`; `routing.loginFlows` `{maxEntries: 100000,
 *   challengeTimeoutMinutes: 15}` (Trino's oauth2.challenge-timeout default: set it to the clusters' value).
 * - backend: `enabled` true, `prefixRouting` false (needs Trino 458+ with
 *   http-server.process-forwarded=true, so it is opt-in), `maxLoad` null (no ceiling; in
 *   load-score units, see `monitor.loadWeights`), `schedules` [] (always in rotation), schedule
 *   `timeZone` "UTC", `draining` false (true: no new queries, running ones finish).
 * - group: `strategy` "round_robin", `fallback` null; a member given as a plain name has weight 1.
 * - rule: `priority` 100 (lower runs first), `match` {} (matches every request).
 * - `monitor` `{intervalSeconds: 10, timeoutMs: 8000 (sized for Trino's 1 s poll hold), failureThreshold: 2, successThreshold: 2,
 *   user: "trino-router-monitor"}`; `monitor.loadWeights` absent = `{running: 1, queued: 0.5}`; `monitor.uiLogin` absent =
 *   false (true: when system.runtime.queries cannot be read, log in to the web UI as the
 *   monitor user, no password, and read /ui/api/stats); `monitor.auth` null (the checks send
 *   only X-Trino-User) or `{user, passwordEnv|passwordFile | tokenEnv|tokenFile, caFile, certFile, keyFile}`
 *   (each null by default; `user` null = monitor.user); `monitor.backends` {} or
 *   `{<backend>: {auth: {...}}}` (that backend's auth replaces monitor.auth as a whole)
 *   (load score = running * running-weight + queued * queued-weight; a query routed since the
 *   last poll counts with the larger weight; at least one weight must be above 0).
 *   `monitor: null` runs no health checks: every backend is then taken as healthy and idle
 *   (operator switches, drains and uptime schedules still apply).
 * - `admin.token` / `admin.tokenEnv` null (no token: keep the admin port on loopback);
 *   `admin.readToken` / `admin.readTokenEnv` null (a second, read-only token; needs a token);
 *   `admin.tls` null (plaintext); `{certFile, keyFile}` serves TLS, and `clientCaFile` (default
 *   null) requires clients to present a certificate that CA signed (mutual TLS). Paths resolve
 *   against the config file's folder. With mutual TLS the admin port may bind beyond loopback
 *   without a token.
 * - `history` `{retentionDays: 7, maxRows: 1000000}`: the query history keeps each routed
 *   query this many days, and at most this many rows (the newest); pruned every minute.
 *   `history: null` keeps no history (the admin API's ListQueries answers UNIMPLEMENTED).
 * - `listen.console` null (off): the web console (HTTP) on this address; needs `listen.admin`
 *   (it calls the admin API) and, beyond loopback, `admin.token`. `console` `{secureCookie:
 *   false, sessionIdleMinutes: 60}`.
 * - `listen.xds` absent = the `listen.extProc` address (the ext_proc server also serves
 *   Envoy's ADS); null turns xDS off; another address gets its own server.
 * - `xds` `{connectTimeoutMs: 2000, circuitBreakers: {maxConnections: 10000,
 *   maxPendingRequests: 10000, maxRequests: 10000, maxRetries: 3}, healthCheck: null,
 *   tls: {caFile: "/etc/ssl/certs/ca-certificates.crt"}, apiListeners: false}`: how each backend's
 *   Envoy cluster is built; `healthCheck` `{path: "/v1/info", intervalSeconds: 10, timeoutMs:
 *   2000, unhealthyThreshold: 2, healthyThreshold: 2}` once given; `apiListeners: true` also
 *   serves, per backend, a Listener with an api_listener (for proxyless gRPC xDS clients).
 */
export function configFileSchema(env: Environment) {
  return closed({
    listen: closed({
      extProc: grpcListenAddress.prefault('0.0.0.0:9001'),
      extAuthz: grpcListenAddress.nullable().default(null),
      admin: listenAddress.nullable().prefault('127.0.0.1:9002'),
      metrics: listenAddress.nullable().prefault('0.0.0.0:9090'),
      xds: grpcListenAddress.nullable().optional(),
      console: listenAddress.nullable().default(null),
    }).superRefine(checkListenClashes)
      .transform((listen) => ({ ...listen, xds: listen.xds === undefined ? listen.extProc : listen.xds }))
      .prefault({}),
    dataDir: nonEmpty.default('./data'),
    store: storeSettings(env),
    logging: closed({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    }).prefault({}),
    routing: closed({
      defaultGroup: z.string(),
      unavailable: z.enum(['failed-query', 'retry']).default('failed-query'),
      jwtUserClaim: nonEmpty.default('sub'),
      prefix: closed({
        keys: z.array(prefixKey(env)).min(1, 'expected at least one key (the first signs, all verify)'),
        maxAgeHours: positiveNumber.default(24),
      }).superRefine(checkUniqueKeyIds).nullable().default(null),
      queryIds: closed({
        retentionHours: positiveNumber.default(24),
        maxEntries: positiveInt.default(1_000_000),
      }).prefault({}),
      loginFlows: closed({
        maxEntries: positiveInt.default(100_000),
        challengeTimeoutMinutes: positiveNumber.default(15),
      }).prefault({}),
    }),
    backends: z.array(backend),
    groups: z.array(group),
    rules: z.array(rule).default([]),
    monitor: closed({
      intervalSeconds: positiveNumber.default(10),
      timeoutMs: positiveInt.default(DEFAULT_MONITOR_TIMEOUT_MS),
      failureThreshold: positiveInt.default(2),
      successThreshold: positiveInt.default(2),
      user: nonEmpty.default(DEFAULT_MONITOR_USER),
      loadWeights: loadWeights.optional(),
      uiLogin: z.boolean().optional(),
      auth: monitorAuth(env).nullable().default(null),
      backends: z.record(z.string(), closed({ auth: monitorAuth(env) })).default({}),
    }).nullable().prefault({}),
    admin: adminSettings(env).prefault({}),
    history: closed({
      retentionDays: positiveNumber.default(7),
      maxRows: positiveInt.default(1_000_000),
    }).nullable().prefault({}),
    xds: xdsSettings.prefault({}),
    console: consoleSettings,
    statements: closed({
      maxBytes: positiveInt.max(MAX_STATEMENT_BYTES, `at most ${MAX_STATEMENT_BYTES} bytes (Envoy's buffer limit caps what it sends anyway)`).default(256 * 1024),
      timeBudgetMs: positiveInt.max(900, 'at most 900 ms: the answer must reach Envoy within its ext_proc message_timeout (1 s in the shipped configs)').default(400),
      workers: positiveInt.max(16).default(1),
      maxQueue: positiveInt.default(64),
    }).prefault({}),
    queue: closed({
      pollHoldMs: positiveInt.max(900, 'at most 900 ms: the answer must reach Envoy within its ext_proc message_timeout (1 s in the shipped configs)').default(500),
      clientTimeoutSeconds: positiveNumber.default(300),
      dispatchIntervalMs: positiveInt.default(250),
      leaseSeconds: positiveNumber.default(30),
      countGraceMs: z.number().int().nonnegative().default(1000),
      submitTimeoutMs: positiveInt.default(10_000),
      retentionHours: positiveNumber.default(1),
    }).prefault({}),
  }).superRefine(checkConsoleNeeds);
}

/** The web console (src/console) is a client of the router's own admin API. */
const consoleSettings = closed({
  /** Mark the session cookie Secure: set it when browsers reach the console over https (a TLS proxy in front). */
  secureCookie: z.boolean().default(false),
  /** A session unused this long is forgotten (the browser must log in again). */
  sessionIdleMinutes: positiveInt.max(7 * 24 * 60, 'at most a week (10080)').default(60),
}).prefault({});

function checkConsoleNeeds(file: { listen: { admin: unknown; console: unknown }; admin: { tls: unknown } }, ctx: z.core.$RefinementCtx): void {
  if (file.listen.console === null) return;
  if (file.listen.admin === null) {
    ctx.addIssue({ code: 'custom', path: ['listen', 'console'], message: 'needs listen.admin: the console calls the admin API (set listen.admin, e.g. "127.0.0.1:9002")' });
  }
  if (file.admin.tls !== null) {
    ctx.addIssue({ code: 'custom', path: ['listen', 'console'], message: 'cannot be used with admin.tls yet: the console reaches the admin API over plaintext loopback; keep listen.admin on loopback without TLS, or turn the console off' });
  }
}

/** The largest statement the router reads for statement rules (Envoy's default buffer limit, 1 MiB). */
export const MAX_STATEMENT_BYTES = 1024 * 1024;

export type ConfigFile = z.output<ReturnType<typeof configFileSchema>>;
export type StringMatchInput = z.output<typeof stringMatch>;
export type RuleMatchInput = z.output<typeof ruleMatch>;

/**
 * Just the parts the routing configuration is built from, each still closed. Parsed on its
 * own so that cross-reference checks run even when an unrelated section (say `listen`) is
 * wrong, and every problem is reported in one go.
 */
export const routingPartSchema = z.object({
  routing: z.object({ defaultGroup: z.string() }),
  backends: z.array(backend),
  groups: z.array(group),
  rules: z.array(rule).default([]),
});

export type RoutingPart = z.output<typeof routingPartSchema>;
