/** The stand-in's public types (re-exported by index.ts). */
import type { AuthenticationSettings } from './authentication.js';


export interface TrinoStandinOptions {
  /** Label used in row data and /v1/info environment; default 'trino'. */
  name?: string;
  /** http-server.process-forwarded; default true. */
  processForwarded?: boolean;
  /**
   * nodeVersion.version; default '476'. Changes behaviour where Trino's did: X-Forwarded-Prefix
   * (none before 452, escaped in 452-457), maxWait (honoured before 472), POST /ui/auth/login (483+).
   */
  version?: string;
  /** 5 chars from a-z and 2-9 without l, o, 0, 1; random if absent. */
  coordinatorId?: string;
  /** Rows a query returns if the SQL gives no hint; default 10. */
  defaultRows?: number;
  /** Default 100. */
  rowsPerPage?: number;
  /** How long a query takes before its first data page; default 0. */
  defaultDurationMs?: number;
  /**
   * Longest a poll without news is held before answering. Default 1000, Trino's hold (queued
   * and executing alike); tests that do not study timing lower it to stay fast.
   */
  pollIntervalMs?: number;
  /**
   * Milliseconds a user's queries stay QUEUED, as when a resource group holds them (a SQL
   * `queued=` hint wins); default none.
   */
  queuedMsByUser?: Readonly<Record<string, number>>;
  /**
   * The spooling protocol as configured on the coordinator: retrieval mode (default 'storage',
   * Trino's: segment URIs are pre-signed storage URLs) and inlining (default: pages up to
   * 50,000 rows or 3 MB come inline; set inlineMaxRows 0 to spool every page).
   */
  spooling?: { mode?: 'storage' | 'coordinator_storage_redirect' | 'coordinator_proxy'; inlineMaxRows?: number; inlineMaxBytes?: number };
  /** A query whose queued nextUri is never fetched is forgotten after this long; default 300000 (Trino's 5 min). */
  abandonUnpolledMs?: number;
  /** protocol.v1.alternate-header-name: only with 'Presto' are X-Presto-* headers read. Default none. */
  alternateHeaderName?: 'Presto';
  /** http-server.compression.enabled: responses gzip-compressed for clients sending Accept-Encoding: gzip. Default false. */
  compression?: boolean;
  /**
   * As a coordinator reached over https with a password authenticator: a Basic password is
   * accepted (not checked). Default false: over plain http Trino runs only its insecure
   * authenticator, which refuses a Basic header with a password (401).
   */
  acceptPasswords?: boolean;
  /**
   * http-server.authentication.type and its authenticators (authentication.ts): over https each
   * is tried in order; over http only the insecure one, if allow-insecure-over-http (default true).
   */
  authentication?: AuthenticationSettings;
  /**
   * https instead of http (http-server.https.*): the server certificate and key (PEM), and the
   * truststore for client certificates (requested, not required: CertificateAuthenticator decides).
   */
  tls?: { cert: string; key: string; clientCa?: string };
  /** web-ui.shared-secret: a UI login is then valid on every coordinator sharing it. Default none (per process). */
  webUiSharedSecret?: string;
  /** /v1/info starting flag; default false. While set, new queries fail with SERVER_STARTING_UP. */
  starting?: boolean;
}

/** Read-only record of a query, for test inspection. */
export interface StandinQuery {
  id: string;
  sql: string;
  user: string;
  source?: string;
  /** QUEUED | RUNNING | FINISHED | FAILED */
  state: string;
  cancelled: boolean;
  /** Headers of the submission. */
  headers: Record<string, string | string[]>;
  /** How many HTTP requests this query received, the submission included. */
  requests: number;
}

export interface LoggedStandinRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
}

/** A coordinator never reports SHUTTING_DOWN or DRAINING (Trino refuses both on a coordinator). */
export type StandinNodeState = 'ACTIVE' | 'INACTIVE';
export type StandinFault = 'none' | 'hang' | 'reset' | 'garbage' | 'http500';

export interface TrinoStandin {
  /** http://127.0.0.1:PORT (https:// with `tls`) */
  readonly url: string;
  readonly port: number;
  readonly name: string;
  /** Current id; changes on restart(). */
  coordinatorId: string;
  queries(): StandinQuery[];
  query(id: string): StandinQuery | undefined;
  requestLog(): LoggedStandinRequest[];
  /**
   * The most queries this coordinator ran at once (created by their first poll and not yet
   * ended), health checks' system.runtime queries left out; sampled at every creation.
   */
  maxConcurrentQueries(): number;
  /** What /v1/info/state answers. */
  setState(state: StandinNodeState): void;
  setStarting(starting: boolean): void;
  setProcessForwarded(on: boolean): void;
  /** Applies to every request while set. */
  setFault(fault: StandinFault): void;
  /** Forgets all queries and draws a new coordinatorId, same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}
