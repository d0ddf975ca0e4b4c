/**
 * Wires the coordinator model, the routes and the listener into the handle tests hold.
 */
import { Coordinator } from './coordinator.js';
import { headerRecord } from './protocol-headers.js';
import type { Query } from './queries.js';
import { handleRequest } from './routes.js';
import { StandinServer } from './server.js';
import { DEFAULT_SPOOLING } from './spooling.js';
import type {
  LoggedStandinRequest, StandinFault, StandinNodeState, StandinQuery, TrinoStandin, TrinoStandinOptions,
} from './types.js';

function snapshot(query: Query, now: number): StandinQuery {
  return {
    id: query.id,
    sql: query.sql,
    user: query.user,
    ...(query.source === undefined ? {} : { source: query.source }),
    state: query.state(now),
    cancelled: query.cancelled,
    headers: structuredClone(query.headers),
    requests: query.requests,
  };
}

/** Trino holds a poll without news for up to 1 s (ExecutingStatementResource, QueuedStatementResource). */
export const TRINO_POLL_HOLD_MS = 1_000;

/** The hold tests use when they do not study timing, so the suite stays fast. */
export const FAST_POLL_HOLD_MS = 50;

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${value}`);
  return value;
}

class RunningTrinoStandin implements TrinoStandin {
  constructor(private readonly coordinator: Coordinator, private readonly server: StandinServer) {}

  get url(): string {
    return `${this.server.tls ? 'https' : 'http'}://127.0.0.1:${this.server.port}`;
  }

  get port(): number {
    return this.server.port;
  }

  get name(): string {
    return this.coordinator.settings.name;
  }

  get coordinatorId(): string {
    return this.coordinator.coordinatorId;
  }

  set coordinatorId(id: string) {
    this.coordinator.coordinatorId = id;
  }

  queries(): StandinQuery[] {
    const now = Date.now();
    return this.coordinator.queries().map((q) => snapshot(q, now));
  }

  query(id: string): StandinQuery | undefined {
    const query = this.coordinator.query(id);
    return query === undefined ? undefined : snapshot(query, Date.now());
  }

  maxConcurrentQueries(): number {
    return this.coordinator.maxConcurrent;
  }

  requestLog(): LoggedStandinRequest[] {
    return this.coordinator.requestLog.map((entry) => structuredClone(entry));
  }

  setState(state: StandinNodeState): void {
    this.coordinator.state = state;
  }

  setStarting(starting: boolean): void {
    this.coordinator.starting = starting;
  }

  setProcessForwarded(on: boolean): void {
    this.coordinator.processForwarded = on;
  }

  setFault(fault: StandinFault): void {
    this.server.setFault(fault);
  }

  async restart(): Promise<void> {
    const port = this.server.port;
    await this.server.close();
    this.coordinator.restart();
    await this.server.listen(port);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

export async function startTrinoStandin(options: TrinoStandinOptions = {}): Promise<TrinoStandin> {
  const coordinator = new Coordinator(
    {
      name: options.name ?? 'trino',
      version: options.version ?? '476',
      defaultRows: Math.floor(nonNegative('defaultRows', options.defaultRows, 10)),
      rowsPerPage: Math.max(1, Math.floor(nonNegative('rowsPerPage', options.rowsPerPage, 100))),
      defaultDurationMs: nonNegative('defaultDurationMs', options.defaultDurationMs, 0),
      pollIntervalMs: nonNegative('pollIntervalMs', options.pollIntervalMs, TRINO_POLL_HOLD_MS),
      spooling: {
        mode: options.spooling?.mode ?? DEFAULT_SPOOLING.mode,
        inlineMaxRows: nonNegative('spooling.inlineMaxRows', options.spooling?.inlineMaxRows, DEFAULT_SPOOLING.inlineMaxRows),
        inlineMaxBytes: nonNegative('spooling.inlineMaxBytes', options.spooling?.inlineMaxBytes, DEFAULT_SPOOLING.inlineMaxBytes),
      },
      queuedMsByUser: Object.fromEntries(Object.entries(options.queuedMsByUser ?? {}).map(([user, ms]) => [user, nonNegative(`queuedMsByUser.${user}`, ms, 0)])),
      abandonUnpolledMs: nonNegative('abandonUnpolledMs', options.abandonUnpolledMs, 300_000),
      alternateHeaderName: options.alternateHeaderName,
      compression: options.compression ?? false,
      acceptPasswords: options.acceptPasswords ?? false,
      authentication: options.authentication,
      webUiSharedSecret: options.webUiSharedSecret,
    },
    options.coordinatorId,
    options.starting ?? false,
    options.processForwarded ?? true,
  );
  const server: StandinServer = new StandinServer({
    record: (req) => coordinator.requestLog.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: headerRecord(req.headers) }),
    handle: (req, res, body) => handleRequest(coordinator, req, res, body, `127.0.0.1:${server.port}`),
  }, options.tls);
  await server.listen(0);
  return new RunningTrinoStandin(coordinator, server);
}
