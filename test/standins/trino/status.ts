/**
 * The unauthenticated status documents health checks read: /v1/info, /v1/info/state,
 * /v1/status and the web UI's /ui/api/stats, computed from the coordinator's current queries.
 */
import type { Coordinator } from './coordinator.js';

const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** Airlift's succinct duration text, e.g. "1.00m", "12.34s", "250.00ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of DURATION_UNITS) {
    if (ms >= size) return `${(ms / size).toFixed(2)}${unit}`;
  }
  return `${Math.max(0, ms).toFixed(2)}ms`;
}

/** The first Trino version whose /v1/info reports nodeId, state and coordinatorId. */
const INFO_IDS_SINCE = 477;

/** Follows core/trino-main/.../server/ServerInfo.java: nodeId, state and coordinatorId from 477 on. */
export function serverInfo(c: Coordinator, now = Date.now()): Record<string, unknown> {
  const info: Record<string, unknown> = {
    nodeVersion: { version: c.settings.version },
    environment: c.settings.name,
    coordinator: true,
    starting: c.starting,
    uptime: formatDuration(now - c.startedAt),
  };
  if (versionNumber(c.settings.version) >= INFO_IDS_SINCE) {
    info.nodeId = c.nodeId;
    info.state = c.state;
    info.coordinatorId = c.coordinatorId;
  }
  return info;
}

/** The leading number of a Trino version ("477", "477-e.1"); 0 when it has none. */
export function versionNumber(version: string): number {
  const match = /^\d+/.exec(version);
  return match === null ? 0 : Number(match[0]);
}

const MAX_HEAP = 8 * 1024 ** 3;
const BASE_HEAP = 256 * 1024 ** 2;
const HEAP_PER_RUNNING_QUERY = 64 * 1024 ** 2;
const PROCESSORS = 4;

export function nodeStatus(c: Coordinator, address: string, now = Date.now()): Record<string, unknown> {
  const counts = c.countByState(now);
  const heapUsed = BASE_HEAP + counts.RUNNING * HEAP_PER_RUNNING_QUERY;
  const load = Math.min(1, counts.RUNNING * 0.1);
  return {
    nodeId: c.nodeId,
    nodeVersion: { version: c.settings.version },
    environment: c.settings.name,
    coordinator: true,
    uptime: formatDuration(now - c.startedAt),
    externalAddress: address,
    internalAddress: address,
    memoryInfo: {
      availableProcessors: PROCESSORS,
      pool: {
        maxBytes: MAX_HEAP / 2,
        reservedBytes: counts.RUNNING * HEAP_PER_RUNNING_QUERY,
        reservedRevocableBytes: 0,
        queryMemoryReservations: {},
        queryMemoryAllocations: {},
        queryMemoryRevocableReservations: {},
        freeBytes: MAX_HEAP / 2 - counts.RUNNING * HEAP_PER_RUNNING_QUERY,
      },
    },
    processors: PROCESSORS,
    processCpuLoad: load,
    systemCpuLoad: load,
    heapUsed,
    heapAvailable: MAX_HEAP,
    nonHeapUsed: 64 * 1024 ** 2,
  };
}

export function clusterStats(c: Coordinator, now = Date.now()): Record<string, unknown> {
  const counts = c.countByState(now);
  const rows = c.queries().reduce((sum, q) => sum + q.rowsDelivered, 0);
  return {
    runningQueries: counts.RUNNING,
    blockedQueries: 0,
    queuedQueries: counts.QUEUED,
    activeCoordinators: 1,
    activeWorkers: 1,
    runningDrivers: counts.RUNNING * PROCESSORS,
    totalAvailableProcessors: PROCESSORS,
    reservedMemory: counts.RUNNING * HEAP_PER_RUNNING_QUERY,
    totalInputRows: rows,
    totalInputBytes: rows * 16,
    totalCpuTimeSecs: 0,
  };
}
