/**
 * Backends that misbehave on the wire toward the health monitor, over real sockets: a
 * coordinator that hangs, one that resets every connection, one that answers garbage (bytes
 * that are not JSON, or HTTP 500), and listeners that do not speak HTTP at all. Each backend
 * leaves new-query rotation with a reason naming the check, the healthy one keeps every new
 * query, nothing escapes as an unhandled rejection, the monitor keeps checking, and a
 * coordinator that recovers comes back after the success threshold. A fake clock starts each
 * round, so nothing depends on how fast the machine is.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LOAD_WEIGHTS } from '../../../src/health/load-weights.js';
import { HealthMonitor, type MonitorSettings } from '../../../src/health/monitor.js';
import { decide } from '../../../src/routing/engine.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { createStrategyState } from '../../../src/routing/strategies.js';
import { openSqliteStore } from '../../../src/store/index.js';
import { FAST_POLL_HOLD_MS, startTrinoStandin, type TrinoStandin } from '../../standins/trino/index.js';
import { FakeClock } from '../../unit/health/fake-clock.js';
import { TestRouting } from '../../unit/health/monitor-fixture.js';
import { captureLogs } from '../../unit/observability/log-capture.js';
import { facts } from '../../unit/routing/fixtures.js';

const SETTINGS: MonitorSettings = {
  intervalMs: 10_000, timeoutMs: 2_000, failureThreshold: 2, successThreshold: 2, user: 'router-monitor', loadWeights: DEFAULT_LOAD_WEIGHTS,
};

const toClose: (() => Promise<void> | void)[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

interface Setup {
  readonly monitor: HealthMonitor;
  /**
   * One round: the interval passes; with `hung`, once the healthy backend's checks are done
   * (real HTTP), the fake clock also reaches the round's deadline, which ends the hung checks.
   */
  round(hung?: boolean): Promise<void>;
  state(backend: string): { state: string; lastError: string | null; lastCheckAt: number | null };
  /** Where 100 new queries go now. */
  spread(): Record<string, number>;
}

async function monitorOf(faulty: string, healthy: TrinoStandin): Promise<Setup> {
  const config: RoutingConfig = {
    backends: [
      { name: 'faulty', url: faulty, enabled: true, prefixRouting: false, schedules: [] },
      { name: 'healthy', url: healthy.url, enabled: true, prefixRouting: false, schedules: [] },
    ],
    groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'faulty', weight: 1 }, { backend: 'healthy', weight: 1 }] }],
    rules: [],
    defaultGroup: 'g',
  };
  const routing = new TestRouting(config);
  const store = openSqliteStore(':memory:');
  toClose.push(() => store.close());
  const clock = new FakeClock(Date.now());
  const monitor = new HealthMonitor({ routing, settings: SETTINGS, clock, logger: captureLogs('info').logger, history: store.backendStates });
  toClose.push(() => monitor.close());
  await monitor.start();
  const strategy = createStrategyState(() => 0.5);
  const state = (backend: string) => {
    const status = monitor.status().find((x) => x.backend === backend)!;
    return { state: status.state, lastError: status.lastError, lastCheckAt: status.lastCheckAt };
  };
  // Time already spent past the last round's start (a hung round's deadline).
  let ahead = 0;
  return {
    monitor,
    state,
    async round(hung = false) {
      const checkedBefore = state('healthy').lastCheckAt;
      await clock.advance(SETTINGS.intervalMs - ahead);
      ahead = 0;
      if (hung) {
        await vi.waitFor(() => expect(state('healthy').lastCheckAt).not.toBe(checkedBefore), { timeout: 10_000, interval: 10 });
        await clock.advance(SETTINGS.timeoutMs);
        ahead = SETTINGS.timeoutMs;
      }
      await monitor.idle();
    },
    spread() {
      const counts: Record<string, number> = {};
      for (let i = 0; i < 100; i++) {
        const decision = decide(routing.current(), facts(), monitor.conditions(), strategy);
        const key = decision.outcome === 'routed' ? decision.backend : 'rejected';
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
  };
}

async function standin(name: string): Promise<TrinoStandin> {
  const trino = await startTrinoStandin({ name, pollIntervalMs: FAST_POLL_HOLD_MS });
  toClose.push(() => trino.close());
  return trino;
}

/** A TCP listener that does `onConnection` with every socket and never speaks HTTP. */
async function rawListener(onConnection: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  toClose.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a coordinator that misbehaves toward the health checks, then recovers', () => {
  it.each([
    { fault: 'hang', reason: /^GET \/v1\/info: no answer within 2000 ms$/ },
    { fault: 'reset', reason: /^GET \/v1\/info: fetch failed/ },
    { fault: 'garbage', reason: /^GET \/v1\/info: answer is not JSON/ },
    { fault: 'http500', reason: /^GET \/v1\/info: HTTP 500/ },
  ] as const)('$fault: out of rotation after failureThreshold rounds with the reason, back after successThreshold', async ({ fault, reason }) => {
    const faulty = await standin('faulty');
    const healthy = await standin('healthy');
    const s = await monitorOf(faulty.url, healthy);
    expect(s.spread()).toEqual({ faulty: 50, healthy: 50 });

    faulty.setFault(fault);
    await s.round(fault === 'hang');
    // One failed check never flaps a backend.
    expect(s.state('faulty')).toMatchObject({ state: 'healthy', lastError: expect.stringMatching(reason) });
    await s.round(fault === 'hang');
    expect(s.state('faulty')).toMatchObject({ state: 'unhealthy', lastError: expect.stringMatching(reason) });
    expect(s.state('healthy')).toMatchObject({ state: 'healthy', lastError: null });
    expect(s.spread()).toEqual({ healthy: 100 });

    faulty.setFault('none');
    await s.round();
    expect(s.state('faulty').state).toBe('unhealthy');
    await s.round();
    expect(s.state('faulty')).toMatchObject({ state: 'healthy', lastError: null });
    expect(s.spread()).toEqual({ faulty: 50, healthy: 50 });
  });
});

describe('a listener that does not speak HTTP', () => {
  it.each([
    { what: 'resets every connection at once', onConnection: (socket: Socket) => socket.resetAndDestroy() },
    { what: 'answers with bytes that are not HTTP, then closes', onConnection: (socket: Socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n\u0000\u00ff\u00fe garbage') },
    { what: 'answers a half HTTP response, then closes', onConnection: (socket: Socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 500\r\ncontent-type: application/json\r\n\r\n{"coordinator":') },
  ])('$what: unhealthy with a reason naming the check, checked every round, the other backend untouched', async ({ onConnection }) => {
    const healthy = await standin('healthy');
    const s = await monitorOf(await rawListener(onConnection), healthy);
    // The very first check applies at once.
    expect(s.state('faulty')).toMatchObject({ state: 'unhealthy', lastError: expect.stringMatching(/^GET \/v1\/info: /) });
    expect(s.spread()).toEqual({ healthy: 100 });
    const checkedAt = s.state('faulty').lastCheckAt;
    await s.round();
    await s.round();
    expect(s.state('faulty')).toMatchObject({ state: 'unhealthy', lastError: expect.stringMatching(/^GET \/v1\/info: /) });
    expect(s.state('faulty').lastCheckAt).toBeGreaterThan(checkedAt ?? 0);
    expect(s.state('healthy')).toMatchObject({ state: 'healthy', lastError: null });
  });
});
