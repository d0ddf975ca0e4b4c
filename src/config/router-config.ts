/**
 * The loaded configuration the rest of the router reads: defaults filled in, paths absolute,
 * secrets resolved, and the routing part in the engine's own shape (RoutingConfig).
 */
import type { RoutingConfig } from '../routing/model.js';
import type { GrpcListenAddress, ListenAddress } from './listen-address.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type SeedMode = 'if-empty' | 'overwrite' | 'watch';

/** How much config history the store keeps (store.audit). */
export interface AuditRetention {
  readonly maxRevisions: number;
  readonly maxAgeDays: number;
}
/** failed-query: HTTP 200 with a FAILED QueryResults (every client shows it); retry: HTTP 503. */
export type UnavailableMode = 'failed-query' | 'retry';

export type StoreKind = 'sqlite' | 'postgres';

export interface PostgresStoreConfig {
  /** The connection URL itself (it may hold a password), read from the file or from `urlEnv`. */
  readonly url: string;
  /** Environment variable the URL came from, or null when it was inline. */
  readonly urlEnv: string | null;
  /** The PostgreSQL schema the router's tables live in (created when missing). */
  readonly schema: string;
  readonly pool: {
    /** Connections per router at most (one more is held for change notifications). */
    readonly max: number;
    readonly connectTimeoutMs: number;
    /** A statement running longer is cancelled by the server. */
    readonly statementTimeoutMs: number;
  };
  /** null: whatever the URL says (sslmode); set: TLS with these files (paths absolute). */
  readonly tls: {
    readonly caFile: string | null;
    readonly certFile: string | null;
    readonly keyFile: string | null;
    /** false only for a test database with a self-signed certificate. */
    readonly verify: boolean;
  } | null;
}

export interface PrefixKeyConfig {
  readonly id: string;
  /** The secret itself, read from the file or from `secretEnv`. */
  readonly secret: string;
  /** Environment variable the secret came from, or null when it was inline. */
  readonly secretEnv: string | null;
}

export interface RouterConfig {
  readonly listen: {
    /** TCP or a Unix socket (`unix:/path`, sidecar topology), as are extAuthz and xds. */
    readonly extProc: GrpcListenAddress;
    /** null: off; equal to extProc: served by the same server. */
    readonly extAuthz: GrpcListenAddress | null;
    readonly admin: ListenAddress | null;
    readonly metrics: ListenAddress | null;
    /** Envoy's ADS (CDS of the backends); null: off; equal to extProc: served by the same server. */
    readonly xds: GrpcListenAddress | null;
    /** The web console (HTTP); null: off. */
    readonly console: ListenAddress | null;
  };
  /** Absolute. */
  readonly dataDir: string;
  readonly store: {
    /** sqlite: one router (or replicas on one file); postgres: a fleet of routers on one database. */
    readonly kind: StoreKind;
    /** Absolute path of the SQLite file (`store.path`, or `<dataDir>/router.db`); unused by postgres. */
    readonly path: string;
    readonly seed: SeedMode;
    readonly audit: AuditRetention;
    /** How often routing and ownership are re-read from the store (other replicas' changes). */
    readonly pollIntervalMs: number;
    /** Set exactly when kind is postgres. */
    readonly postgres: PostgresStoreConfig | null;
  };
  readonly logging: { readonly level: LogLevel };
  /** backends, groups, rules and routing.defaultGroup of the file. */
  readonly routing: RoutingConfig;
  /** routing.unavailable and routing.jwtUserClaim of the file. */
  readonly requests: {
    readonly unavailable: UnavailableMode;
    readonly jwtUserClaim: string;
  };
  /** routing.prefix of the file; null: no prefix routing. */
  readonly prefix: {
    /** The first signs, all verify. */
    readonly keys: readonly PrefixKeyConfig[];
    readonly maxAgeHours: number;
  } | null;
  /** routing.queryIds of the file. */
  readonly queryIds: {
    readonly retentionHours: number;
    readonly maxEntries: number;
  };
  /** routing.loginFlows of the file: OAuth2 logins kept on the cluster that challenged them. */
  readonly loginFlows: {
    readonly maxEntries: number;
    /** Trino's http-server.authentication.oauth2.challenge-timeout; a flow is forgotten after it. */
    readonly challengeTimeoutMinutes: number;
  };
  /** Health checks; null: none (every backend is taken as healthy and idle). */
  readonly monitor: {
    readonly intervalSeconds: number;
    readonly timeoutMs: number;
    readonly failureThreshold: number;
    readonly successThreshold: number;
    readonly user: string;
    /** Absent: the defaults of src/health/load-weights.ts (running 1, queued 0.5). */
    readonly loadWeights?: { readonly running: number; readonly queued: number } | undefined;
    readonly uiLogin?: boolean | undefined;
    /** What the checks present to every coordinator; null: only X-Trino-User. */
    readonly auth: MonitorAuthConfig | null;
    /** Per backend name: its auth, replacing `auth` as a whole. */
    readonly backends: Readonly<Record<string, { readonly auth: MonitorAuthConfig }>>;
  } | null;
  /** The query history's bounds; null: no history kept. */
  readonly history: {
    readonly retentionDays: number;
    readonly maxRows: number;
  } | null;
  readonly admin: {
    /** Bearer token for the admin API, or null for none. */
    readonly token: string | null;
    readonly tokenEnv: string | null;
    /** Bearer token allowed only the admin API's reads (Get, List, Explain, Export), or null. */
    readonly readToken: string | null;
    readonly readTokenEnv: string | null;
    /** TLS on the admin port (absolute paths), or null for plaintext. */
    readonly tls: AdminTlsFiles | null;
  };
  /** How the Envoy cluster of each backend is built (served over xDS at listen.xds). */
  readonly xds: XdsSettings;
  /** The web console's session settings (served when listen.console is set). */
  readonly console: {
    /** The session cookie carries Secure (browsers reach the console over https). */
    readonly secureCookie: boolean;
    readonly sessionIdleMinutes: number;
  };
  /** Bounds of statement reading for statement rules (src/statement/analyzer.ts). */
  readonly statements: {
    readonly maxBytes: number;
    readonly timeBudgetMs: number;
    readonly workers: number;
    readonly maxQueue: number;
  };
  /** The gateway queue of limited groups (src/queue): how polls, hand-overs and abandonment go. */
  readonly queue: QueueSettings;
}

export interface QueueSettings {
  /** How long a poll of a waiting query is held for news. */
  readonly pollHoldMs: number;
  /** A waiting query its client stopped polling is dropped after this long (Trino's query.client.timeout). */
  readonly clientTimeoutSeconds: number;
  /** How often the dispatcher looks for freed slots (it also looks whenever a query is queued). */
  readonly dispatchIntervalMs: number;
  /** How long a replica holds a claimed query while submitting it; past it another replica may. */
  readonly leaseSeconds: number;
  /** Hand-overs this long before the monitor's count are counted again (see queue/running-counts.ts). */
  readonly countGraceMs: number;
  /** Bound on the dispatcher's POST and first poll to a cluster. */
  readonly submitTimeoutMs: number;
  /** Ended queue entries are deleted this long after they ended. */
  readonly retentionHours: number;
}

/** PEM files of the admin port's TLS; clientCaFile set = mutual TLS (client certificates required). */
export interface AdminTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | null;
}

/** The `xds` section: the parts of each backend's Envoy cluster that are not the backend's own. */
export interface XdsSettings {
  readonly connectTimeoutMs: number;
  /** Envoy's circuit breaker thresholds (its defaults, 1024 and 3 retries, overflow busy Trino clusters). */
  readonly circuitBreakers: {
    readonly maxConnections: number;
    readonly maxPendingRequests: number;
    readonly maxRequests: number;
    readonly maxRetries: number;
  };
  /** Envoy's own active HTTP health check of each backend; null: none (the router's monitor decides). */
  readonly healthCheck: {
    readonly path: string;
    readonly intervalSeconds: number;
    readonly timeoutMs: number;
    readonly unhealthyThreshold: number;
    readonly healthyThreshold: number;
  } | null;
  /** For https backends: the CA bundle (a path on the Envoy host) that verifies their certificates. */
  readonly tls: { readonly caFile: string };
  /** Also serve, per backend, a Listener with an api_listener (proxyless gRPC xDS clients). */
  readonly apiListeners: boolean;
}

/**
 * The monitor's credentials for a coordinator (schema.ts `monitorAuth`): environment variable
 * names and file paths (resolved against the config file's folder), never the secrets.
 */
export interface MonitorAuthConfig {
  /** Trino user of the checks (X-Trino-User, and the Basic user); null: monitor.user. */
  readonly user: string | null;
  readonly passwordEnv: string | null;
  readonly passwordFile: string | null;
  readonly tokenEnv: string | null;
  readonly tokenFile: string | null;
  readonly caFile: string | null;
  readonly certFile: string | null;
  readonly keyFile: string | null;
}
