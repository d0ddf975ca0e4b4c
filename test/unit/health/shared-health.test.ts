/**
 * The monitor in a fleet: the leader checks and publishes; a follower applies each published
 * report once instead of checking, and checks on its own when the newest report is stale.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeReport } from '../../../src/health/probe.js';
import type { PublishedReport, SharedHealth } from '../../../src/health/shared-health.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { backend } from '../routing/fixtures.js';
import { startMonitor, urlOf, type MonitorFixture } from './monitor-fixture.js';

const CONFIG: RoutingConfig = {
  backends: [backend('a', { url: urlOf('a') })],
  groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'a', weight: 1 }] }],
  rules: [],
  defaultGroup: 'g',
};
const DOWN: ProbeReport = { observation: { kind: 'down', reason: 'GET /v1/info: HTTP 503 (seen by the leader)' }, load: undefined, loadError: 'down', coordinatorId: undefined };

interface FakeFleet {
  isLeading: boolean;
  readonly published: PublishedReport[];
  put(report: PublishedReport): void;
  readonly shared: SharedHealth;
}

/** A fleet of one table row per backend, as the store keeps it. */
function fakeFleet(leading: boolean): FakeFleet {
  const rows = new Map<string, PublishedReport>();
  const fleet: FakeFleet = {
    isLeading: leading,
    published: [] as PublishedReport[],
    put(report: PublishedReport) {
      rows.set(report.backend, report);
    },
    shared: {
      leading: () => fleet.isLeading,
      publish: async (name, url, report, at) => {
        const row = { backend: name, url, report, at, sequence: (rows.get(name)?.sequence ?? 0) + 1 };
        rows.set(name, row);
        fleet.published.push(row);
      },
      latest: async (name) => rows.get(name),
    },
  };
  return fleet;
}

let fixture: MonitorFixture | undefined;
afterEach(async () => {
  await fixture?.monitor.close();
  fixture = undefined;
});

describe('health monitor in a fleet', () => {
  it('the leader checks and publishes every round', async () => {
    const fleet = fakeFleet(true);
    fixture = await startMonitor({ config: CONFIG, shared: fleet.shared });
    await fixture.nextRound();
    expect(fleet.published.map((p) => [p.backend, p.url, p.report.observation.kind])).toEqual([['a', urlOf('a'), 'up'], ['a', urlOf('a'), 'up']]);
  });

  it('a follower applies each published report once, without checking', async () => {
    const fleet = fakeFleet(false);
    fixture = await startMonitor({ config: CONFIG, shared: fleet.shared, settings: { failureThreshold: 2 }, coordinators: { a: { reachable: 'ok' } } });
    const f = fixture;
    expect(f.monitor.status()[0]?.health).toBe('healthy'); // no report yet: it checked itself
    // The leader saw one failure; the follower's own coordinator would answer fine.
    fleet.put({ backend: 'a', url: urlOf('a'), sequence: 1, at: f.clock.now(), report: DOWN });
    await f.nextRound();
    fleet.put({ backend: 'a', url: urlOf('a'), sequence: 1, at: f.clock.now(), report: DOWN });
    await f.nextRound();
    // One failed observation, applied once: below the threshold of 2.
    expect(f.monitor.status()[0]?.health).toBe('healthy');
    fleet.put({ backend: 'a', url: urlOf('a'), sequence: 2, at: f.clock.now(), report: DOWN });
    await f.nextRound();
    expect(f.monitor.status()[0]).toMatchObject({ health: 'unhealthy', lastError: 'GET /v1/info: HTTP 503 (seen by the leader)' });
  });

  it('a follower whose newest report is stale, or about another URL, checks on its own', async () => {
    const fleet = fakeFleet(false);
    fixture = await startMonitor({ config: CONFIG, shared: fleet.shared, settings: { failureThreshold: 1 } });
    const f = fixture;
    fleet.put({ backend: 'a', url: 'http://elsewhere:8080', sequence: 1, at: f.clock.now(), report: DOWN });
    await f.nextRound();
    expect(f.monitor.status()[0]?.health).toBe('healthy');
    // Older than one interval plus the lease: the leader is gone or cut off.
    fleet.put({ backend: 'a', url: urlOf('a'), sequence: 2, at: f.clock.now() - 60_000, report: DOWN });
    await f.nextRound();
    expect(f.monitor.status()[0]?.health).toBe('healthy');
  });
});
