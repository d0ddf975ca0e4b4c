/**
 * The fleet's health leader (the SharedHealth port): the replica holding a session-level
 * advisory lock, on a connection of its own, leads. PostgreSQL releases the lock when that
 * session ends, so a leader that dies (SIGKILL, a crash, a lost connection) frees it, and
 * another replica takes it at its next attempt (every interval). A leader that cannot reach
 * its connection steps down at once. Reports live in backend_health, one row per backend.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { ProbeReport } from '../../health/probe.js';
import type { PublishedReport, SharedHealth } from '../../health/shared-health.js';
import type { PostgresConnection } from './connection.js';

/** Any fixed 64-bit number the router alone uses: "trino-router health". */
const LEADER_LOCK = 0x7472_6865_616c_7468n;

interface HealthRow { backend: string; url: string; sequence: number; observed_at: number; report: ProbeReport }

export class PostgresHealthLeadership implements SharedHealth {
  private client: pg.Client | undefined;
  private isLeader = false;
  private timer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly connection: PostgresConnection,
    private readonly clientConfig: pg.ClientConfig,
    /** This replica, as the reports name their leader. */
    private readonly origin: string,
    private readonly intervalMs: number,
    private readonly logger?: Pick<Logger, 'info' | 'warn'>,
    private readonly onChange?: (leading: boolean) => void,
  ) {}

  /** Tries once now (resolves after it), then every interval. */
  async start(): Promise<void> {
    await this.tryToLead();
    this.timer = setInterval(() => void this.tryToLead(), this.intervalMs);
    this.timer.unref();
  }

  leading(): boolean {
    return this.isLeader;
  }

  async publish(backend: string, url: string, report: ProbeReport, at: number): Promise<void> {
    if (!this.isLeader) return;
    await this.connection.query('publish a health report',
      `INSERT INTO backend_health (backend, url, sequence, observed_at, leader, report) VALUES ($1, $2, 1, $3, $4, $5::json)
       ON CONFLICT (backend) DO UPDATE SET url = excluded.url, sequence = backend_health.sequence + 1,
         observed_at = excluded.observed_at, leader = excluded.leader, report = excluded.report`,
      [backend, url, at, this.origin, JSON.stringify(report)]);
  }

  async latest(backend: string): Promise<PublishedReport | undefined> {
    const result = await this.connection.query<HealthRow>('read a health report',
      'SELECT backend, url, sequence, observed_at, report FROM backend_health WHERE backend = $1', [backend]);
    const row = result.rows[0];
    return row === undefined ? undefined : { backend: row.backend, url: row.url, sequence: row.sequence, at: row.observed_at, report: row.report };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.attempt;
    const client = this.client;
    this.client = undefined;
    this.step(false);
    // Ending the session releases the lock: the next replica leads at its next attempt.
    await client?.end().catch(() => {});
  }

  private tryToLead(): Promise<void> {
    this.attempt ??= this.attemptOnce().finally(() => {
      this.attempt = undefined;
    });
    return this.attempt;
  }

  private async attemptOnce(): Promise<void> {
    if (this.closed) return;
    try {
      const client = await this.session();
      if (this.isLeader) {
        await client.query('SELECT 1');
        return;
      }
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LEADER_LOCK.toString()]);
      if (result.rows[0]?.locked === true) this.step(true);
    } catch (error) {
      this.drop(error);
    }
  }

  private async session(): Promise<pg.Client> {
    if (this.client !== undefined) return this.client;
    const client = new pg.Client(this.clientConfig);
    client.on('error', (error) => {
      if (client === this.client) this.drop(error);
    });
    client.on('end', () => {
      if (client === this.client) this.drop(undefined);
    });
    this.client = client;
    await client.connect();
    return client;
  }

  /** The lock's session is gone (or never came): whoever led steps down; the next attempt reconnects. */
  private drop(error: unknown): void {
    const client = this.client;
    this.client = undefined;
    client?.removeAllListeners('end');
    void client?.end().catch(() => {});
    if (this.isLeader) {
      this.logger?.warn({ reason: error instanceof Error ? error.message : 'connection ended' }, 'lost the health leader lock with its connection; this replica stops judging health for the fleet');
    }
    this.step(false);
  }

  private step(leading: boolean): void {
    if (leading === this.isLeader) return;
    this.isLeader = leading;
    if (leading) this.logger?.info({ replica: this.origin }, 'this replica now judges backend health for the fleet');
    this.onChange?.(leading);
  }
}
