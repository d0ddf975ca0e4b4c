/**
 * The PostgreSQL pool as the store ports need it: one place that turns the config into pool
 * settings (TLS, timeouts, the schema on the search path), runs queries and transactions,
 * and translates SQLSTATEs and socket errors into StoreError. An idle connection that dies
 * (the server restarts) is reported and replaced by the pool; it never crashes the process.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from 'pino';
import type { PostgresStoreConfig } from '../../config/router-config.js';
import { StoreError } from '../errors.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

export class PostgresConnection {
  readonly pool: pg.Pool;
  /** The URL without its password, for logs and messages. */
  readonly location: string;

  constructor(readonly settings: PostgresStoreConfig, logger?: Pick<Logger, 'warn'>) {
    this.location = redactedUrl(settings.url);
    this.pool = new pg.Pool(poolConfig(settings));
    this.pool.on('error', (error) => {
      // Not the error object itself: node-postgres hangs the whole client on it.
      const code = (error as { code?: unknown }).code;
      logger?.warn({ store: this.location, reason: error.message, code }, 'an idle PostgreSQL connection failed; the pool opens a new one when needed');
    });
  }

  get schema(): string {
    return this.settings.schema;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(operation: string, text: string, values: readonly unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values as unknown[]);
    } catch (error) {
      throw this.translate(operation, error);
    }
  }

  /** BEGIN, work on one connection, COMMIT; ROLLBACK (and a translated error) on any failure. */
  async transaction<T>(operation: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.translate(operation, error);
    }
    let broken = false;
    // pg-pool takes its idle error listener off a checked-out client: a connection the server
    // ends between two statements (a restart, 57P01) would emit 'error' with no listener and
    // take the process down. Listen while it is ours; the failed statement reports the error.
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection is gone; it is released as broken below.
        broken = true;
      }
      throw this.translate(operation, error);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** The server's and the socket's errors become StoreError; any other error passes as it is. */
  translate(operation: string, error: unknown): unknown {
    return isDriverError(error) ? postgresStoreError(this.location, operation, error) : error;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** Pool settings; the change feed's own connection takes the same (minus the pool's). */
export function poolConfig(settings: PostgresStoreConfig): pg.PoolConfig {
  return {
    connectionString: settings.url,
    max: settings.pool.max,
    connectionTimeoutMillis: settings.pool.connectTimeoutMs,
    statement_timeout: settings.pool.statementTimeoutMs,
    // The router's tables live in their own schema; public stays the fallback for extensions.
    options: `-c search_path=${settings.schema},public`,
    application_name: 'trino-envoy-router',
    // Timestamps are epoch milliseconds in bigint columns: they fit a JavaScript number.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
    keepAlive: true,
    ...(settings.tls === null ? {} : {
      ssl: {
        rejectUnauthorized: settings.tls.verify,
        ...(settings.tls.caFile === null ? {} : { ca: readFileSync(settings.tls.caFile, 'utf8') }),
        ...(settings.tls.certFile === null ? {} : { cert: readFileSync(settings.tls.certFile, 'utf8') }),
        ...(settings.tls.keyFile === null ? {} : { key: readFileSync(settings.tls.keyFile, 'utf8') }),
      },
    }),
  };
}

export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** An error of the server (with a SQLSTATE), of the socket, or of the pool and connection. */
function isDriverError(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || /^[0-9A-Z]{5}$/.test(code))) return true;
  return error instanceof Error && DRIVER_MESSAGES.test(error.message);
}

/** What node-postgres says, without a code, when a connection ends or cannot be had. */
const DRIVER_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Connection ended|Client has encountered a connection error|Cannot use a pool after calling end/i;

/** Socket-level failures: the server is down, restarting or unreachable. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html) -> the store's error kinds. */
export function postgresStoreError(location: string, operation: string, error: unknown): StoreError {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const reason = error instanceof Error ? error.message : String(error);
  const context = { store: 'postgres', location, operation, code };
  const unavailable = (advice: string): StoreError =>
    new StoreError('store_unavailable', `the PostgreSQL store ${location} is unavailable during ${operation} (${reason}); ${advice}`, context, error);
  if (UNREACHABLE_CODES.has(code) || code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code) || (code === '' && DRIVER_MESSAGES.test(reason))) {
    return unavailable('routing continues from memory; the router reconnects by itself');
  }
  if (['40001', '40P01', '55P03', '57014'].includes(code)) {
    return new StoreError('store_busy', `the PostgreSQL store ${location} could not finish ${operation} in time (${reason}); try again`, context, error);
  }
  if (code.startsWith('23')) {
    return new StoreError('store_constraint', `the PostgreSQL store ${location} refused the write of ${operation}: ${reason}`, context, error);
  }
  if (code.startsWith('28')) return unavailable("check the user and password in the store's URL");
  if (code === '3D000') return unavailable('the database in the URL does not exist: create it first');
  if (code === '42501') return unavailable("the store's user lacks a privilege on the schema: grant it, or set store.schema to one it owns");
  if (code.startsWith('53')) return unavailable('the server is out of resources (connections, memory or disk)');
  return unavailable('see the reason');
}
