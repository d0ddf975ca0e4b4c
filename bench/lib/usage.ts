/** What a server process reports around a measurement: CPU time, event-loop busy time, memory. */
import { performance } from 'node:perf_hooks';

export interface Usage {
  /** User + system CPU time since start, microseconds. */
  readonly cpuUs: number;
  /** Event loop active time since start, milliseconds (perf_hooks eventLoopUtilization). */
  readonly eluActiveMs: number;
  readonly eluIdleMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

export function usage(): Usage {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const memory = process.memoryUsage();
  return {
    cpuUs: cpu.user + cpu.system,
    eluActiveMs: elu.active,
    eluIdleMs: elu.idle,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
  };
}
