/**
 * Whatever a coordinator (or the network, or a callback) does, a check fails cleanly: the
 * backend is marked with a reason naming the check, the monitor keeps checking it every
 * interval, and nothing escapes as an exception or an unhandled rejection.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../../src/health/http-session.js';
import { HealthMonitor } from '../../../src/health/monitor.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { captureLogs } from '../observability/log-capture.js';
import { backend } from '../routing/fixtures.js';
import { FakeClock } from './fake-clock.js';
import { coordinator, fakeTrino } from './fake-trino.js';
import { SETTINGS, TestRouting } from './monitor-fixture.js';

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

/** An active coordinator's status answers; `statement` decides what POST /v1/statement gets. */
function statusThen(statement: () => Response): (path: string, method: string) => Response {
  return (path, method) => {
    if (path === '/v1/info') return json({ coordinator: true, starting: false });
    if (path === '/v1/info/state') return json('ACTIVE');
    if (path === '/v1/statement' && method === 'POST') return statement();
    return new Response('not found', { status: 404 });
  };
}

/** Per backend: how its coordinator misbehaves, and the reason the monitor must give. */
const FAULTS: Record<string, { readonly fetch: FetchLike; readonly reason: string | RegExp }> = {
  'throws-synchronously': {
    fetch: () => {
      throw new Error('socket exhausted');
    },
    reason: 'GET /v1/info: socket exhausted',
  },
  'rejects-with-a-string': {
    fetch: () => Promise.reject('boom' as unknown as Error),
    reason: 'GET /v1/info: boom',
  },
  'answers-garbage': {
    fetch: async () => new Response('<html>gateway{', { status: 200 }),
    reason: 'GET /v1/info: answer is not JSON (<html>gateway{)',
  },
  'answers-null': {
    fetch: async () => json(null),
    reason: 'GET /v1/info: expected a JSON object',
  },
  'body-breaks-mid-read': {
    fetch: async () => new Response(new ReadableStream({ start: (controller) => controller.error(new Error('connection reset by peer')) }), { status: 200 }),
    reason: /^GET \/v1\/info: .*connection reset by peer/,
  },
  'state-is-a-number': {
    fetch: async (url) => (new URL(url).pathname === '/v1/info' ? json({ coordinator: true }) : json(42)),
    reason: 'GET /v1/info/state: expected a JSON string such as "ACTIVE"',
  },
  'statement-without-id': {
    fetch: async (url, init) => statusThen(() => json({ stats: { state: 'FINISHED' } }))(new URL(url).pathname, init.method ?? 'GET'),
    reason: 'the coordinator answered without a query id',
  },
  'statement-is-not-query-results': {
    fetch: async (url, init) => statusThen(() => json('FINISHED'))(new URL(url).pathname, init.method ?? 'GET'),
    reason: 'the coordinator answered a statement with something that is not QueryResults',
  },
  'next-uri-to-nowhere': {
    fetch: async (url, init) => statusThen(() => json({ id: '20261122_120000_00001_abcde', nextUri: 'http://elsewhere.invalid:1/v1/statement/executing/x/y/1' }))(new URL(url).pathname, init.method ?? 'GET'),
    // Only the path of a foreign nextUri is followed, on the coordinator being checked.
    reason: 'GET /v1/statement/executing/x/y/1: HTTP 404 (not found)',
  },
};

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('misbehaving coordinators', () => {
  it('fail their checks with a reason, are checked again every interval, and never crash the monitor', async () => {
    const names = Object.keys(FAULTS);
    const config: RoutingConfig = {
      backends: [...names, 'fine'].map((name) => backend(name, { url: `http://${name}:8080` })),
      groups: [{ name: 'g', strategy: 'round_robin', members: [...names, 'fine'].map((name) => ({ backend: name, weight: 1 })) }],
      rules: [],
      defaultGroup: 'g',
    };
    const fine = fakeTrino({ 'http://fine:8080': coordinator() });
    const calls = new Map<string, number>();
    const fetch: FetchLike = (url, init) => {
      const host = new URL(url).hostname;
      calls.set(host, (calls.get(host) ?? 0) + 1);
      return host === 'fine' ? fine.fetch(url, init) : FAULTS[host]!.fetch(url, init);
    };
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 10, 0, 0));
    const logs = captureLogs('debug');
    const monitor = new HealthMonitor({
      routing: new TestRouting(config),
      settings: { ...SETTINGS, failureThreshold: 1 },
      logger: logs.logger,
      clock,
      fetch,
      // Even the callback that records coordinator ids may fail.
      onCoordinator: () => {
        throw new Error('ownership store is gone');
      },
    });
    try {
      await monitor.start();
      for (let round = 0; round < 3; round++) {
        const before = new Map(calls);
        for (const status of monitor.status()) {
          if (status.backend === 'fine') {
            expect(status).toMatchObject({ state: 'healthy', lastError: null });
            continue;
          }
          expect(status.state, status.backend).toBe('unhealthy');
          const expected = FAULTS[status.backend]!.reason;
          if (typeof expected === 'string') expect(status.lastError, status.backend).toBe(expected);
          else expect(status.lastError, status.backend).toMatch(expected);
        }
        await clock.advance(SETTINGS.intervalMs);
        await monitor.idle();
        // Every backend was checked again.
        for (const name of [...names, 'fine']) expect(calls.get(name) ?? 0, name).toBeGreaterThan(before.get(name) ?? 0);
      }
      expect(logs.records().filter((r) => r.msg === 'could not record the coordinator id a health query revealed')).toHaveLength(4);
      expect(logs.records().filter((r) => r.msg === 'health check round failed unexpectedly')).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      await monitor.close();
    }
    expect(clock.pending).toBe(0);
  });
});
