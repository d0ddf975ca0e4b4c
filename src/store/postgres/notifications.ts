/**
 * The fleet's change feed: one connection of its own (outside the pool) LISTENs for what any
 * replica commits: a routing revision, or a batch of learned ownership. When the connection
 * drops (the database restarts, a network cut) it reconnects with backoff and reports
 * `resumed`, so the router reads whatever was committed meanwhile; polling stays the safety
 * net either way.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { OwnershipChange } from '../../stickiness/ownership.js';
import type { ChangeFeed, StoreChangeListener } from '../store.js';
import { poolConfig } from './connection.js';

export const ROUTING_CHANNEL = 'trino_router_routing';
export const OWNERSHIP_CHANNEL = 'trino_router_ownership';

/** PostgreSQL refuses payloads of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7_800;

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/** Ownership changes on the wire: [kind, id, backend, learnedBy, at], short keys, one array per change. */
type WireChange = [string, string, string, string, number];

export function encodeOwnership(origin: string, changes: readonly OwnershipChange[]): string[] {
  const payloads: string[] = [];
  let batch: WireChange[] = [];
  let size = 0;
  const flush = (): void => {
    if (batch.length > 0) payloads.push(JSON.stringify({ o: origin, c: batch }));
    batch = [];
    size = 0;
  };
  for (const change of changes) {
    const wire: WireChange = change.kind === 'query'
      ? ['q', change.queryId, change.backend, change.learnedBy, change.at]
      : change.kind === 'coordinator'
        ? ['c', change.coordinatorId, change.backend, '', change.at]
        : change.kind === 'transaction_started'
          ? ['t', change.transactionId, change.backend, '', change.at]
          : change.kind === 'login_flow'
            ? ['l', change.authIdHash, change.backend, '', change.at]
            : ['e', change.transactionId, '', '', change.at];
    const bytes = Buffer.byteLength(JSON.stringify(wire)) + 1;
    if (size + bytes > MAX_PAYLOAD_BYTES - 64) flush();
    batch.push(wire);
    size += bytes;
  }
  flush();
  return payloads;
}

/** Undefined for a payload that is not ours (another program on the channel, a newer format). */
export function decodeOwnership(payload: string): { origin: string; changes: OwnershipChange[] } | undefined {
  try {
    const parsed = JSON.parse(payload) as { o?: unknown; c?: unknown };
    if (typeof parsed.o !== 'string' || !Array.isArray(parsed.c)) return undefined;
    const changes: OwnershipChange[] = [];
    for (const item of parsed.c as unknown[]) {
      if (!Array.isArray(item) || item.length !== 5) return undefined;
      const [kind, id, backend, learnedBy, at] = item as unknown[];
      if (typeof id !== 'string' || typeof backend !== 'string' || typeof at !== 'number') return undefined;
      if (kind === 'q' && (learnedBy === 'response' || learnedBy === 'probe')) changes.push({ kind: 'query', queryId: id, backend, learnedBy, at });
      else if (kind === 'c') changes.push({ kind: 'coordinator', coordinatorId: id, backend, at });
      else if (kind === 't') changes.push({ kind: 'transaction_started', transactionId: id, backend, at });
      else if (kind === 'e') changes.push({ kind: 'transaction_ended', transactionId: id, at });
      else if (kind === 'l') changes.push({ kind: 'login_flow', authIdHash: id, backend, at });
      else return undefined;
    }
    return { origin: parsed.o, changes };
  } catch {
    return undefined;
  }
}

export class PostgresChangeFeed implements ChangeFeed {
  private client: pg.Client | undefined;
  private listener: StoreChangeListener | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private delayMs = RECONNECT_MIN_MS;
  private live = false;

  constructor(
    private readonly config: pg.ClientConfig,
    /** This replica's id: its own announcements are not applied twice. */
    private readonly origin: string,
    private readonly logger?: Pick<Logger, 'info' | 'warn'> & Partial<Pick<Logger, 'debug'>>,
  ) {}

  /** Connects and LISTENs; resolves once listening (or rejects: the router then polls only). */
  async start(listener: StoreChangeListener): Promise<void> {
    this.listener = listener;
    try {
      await this.connect();
    } catch (error) {
      const client = this.client;
      this.client = undefined;
      void client?.end().catch(() => {});
      this.scheduleReconnect();
      throw error;
    }
  }

  connected(): boolean {
    return this.live;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.live = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    // Errors of a dead connection arrive here, never as an uncaught exception.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, undefined));
    client.on('notification', (message) => this.deliver(message.channel, message.payload ?? ''));
    this.client = client;
    await client.connect();
    await client.query(`LISTEN ${ROUTING_CHANNEL}`);
    await client.query(`LISTEN ${OWNERSHIP_CHANNEL}`);
    this.live = true;
    this.delayMs = RECONNECT_MIN_MS;
  }

  private deliver(channel: string, payload: string): void {
    const listener = this.listener;
    if (listener === undefined) return;
    if (channel === ROUTING_CHANNEL) {
      const revision = Number(payload);
      if (Number.isSafeInteger(revision)) listener.routingChanged(revision);
    } else if (channel === OWNERSHIP_CHANNEL) {
      const decoded = decodeOwnership(payload);
      if (decoded !== undefined && decoded.origin !== this.origin) listener.ownershipChanged(decoded.changes);
    }
  }

  private lost(client: pg.Client, error: Error | undefined): void {
    if (client !== this.client || this.closed) return;
    this.client = undefined;
    this.live = false;
    client.removeAllListeners('notification');
    client.on('error', () => {});
    void client.end().catch(() => {});
    this.logger?.warn({ reason: error?.message ?? 'connection ended' }, 'lost the PostgreSQL change feed; reconnecting (routing continues, changes are polled meanwhile)');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().then(
        () => {
          this.logger?.info({}, 'PostgreSQL change feed is back; catching up on what changed meanwhile');
          this.listener?.resumed();
        },
        (error: unknown) => {
          const client = this.client;
          this.client = undefined;
          void client?.end().catch(() => {});
          this.logger?.debug?.({ err: error, retryInMs: this.delayMs }, 'could not reconnect the PostgreSQL change feed yet; will retry');
          this.delayMs = Math.min(this.delayMs * 2, RECONNECT_MAX_MS);
          this.scheduleReconnect();
        },
      );
    }, this.delayMs);
    this.reconnectTimer.unref();
  }
}
