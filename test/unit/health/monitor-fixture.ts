/**
 * A HealthMonitor over in-memory coordinators (fake-trino.ts), a fake clock, a routing view
 * the test can change, captured logs and, optionally, a real store for the state history.
 */
import { HealthMonitor, type MonitorSettings, type RoutingView } from '../../../src/health/monitor.js';
import { DEFAULT_LOAD_WEIGHTS } from '../../../src/health/load-weights.js';
import type { StateHistoryStore } from '../../../src/health/state-history.js';
import type { RequestContext } from '../../../src/routing/request-router.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { compileSnapshot, type RoutingSnapshot } from '../../../src/routing/snapshot.js';
import { captureLogs, type CapturedLogs } from '../observability/log-capture.js';
import { facts } from '../routing/fixtures.js';
import { FakeClock } from './fake-clock.js';
import { coordinator, fakeTrino, type FakeCoordinator, type FakeTrino } from './fake-trino.js';
import type { SharedHealth } from '../../../src/health/shared-health.js';

export const SETTINGS: MonitorSettings = {
  intervalMs: 10_000,
  timeoutMs: 2_000,
  failureThreshold: 2,
  successThreshold: 2,
  user: 'router-monitor',
  loadWeights: DEFAULT_LOAD_WEIGHTS,
};

export class TestRouting implements RoutingView {
  private snapshot: RoutingSnapshot;
  private revision = 1;
  private readonly listeners: ((snapshot: RoutingSnapshot) => void)[] = [];

  constructor(config: RoutingConfig) {
    this.snapshot = compileSnapshot(config, this.revision);
  }

  readonly current = (): RoutingSnapshot => this.snapshot;

  onChange(listener: (snapshot: RoutingSnapshot) => void): void {
    this.listeners.push(listener);
  }

  set(config: RoutingConfig): void {
    this.snapshot = compileSnapshot(config, ++this.revision);
    for (const listener of this.listeners) listener(this.snapshot);
  }
}

export interface MonitorFixture {
  readonly monitor: HealthMonitor;
  readonly clock: FakeClock;
  readonly routing: TestRouting;
  readonly trino: FakeTrino;
  readonly coordinators: Record<string, FakeCoordinator>;
  readonly logs: CapturedLogs;
  readonly learned: [string, string][];
  /** Moves the clock one interval and waits for the rounds it started. */
  nextRound(): Promise<void>;
  /** Lines logged with this message. */
  logged(msg: string): Record<string, unknown>[];
}

/** Backend `name` is served by a fake coordinator at http://<name>:8080. */
export function urlOf(name: string): string {
  return `http://${name}:8080`;
}

export async function startMonitor(options: {
  config: RoutingConfig;
  settings?: Partial<MonitorSettings>;
  /** Per backend name; a name the config does not list yet is a coordinator a later config may add. */
  coordinators?: Record<string, Partial<FakeCoordinator>>;
  history?: StateHistoryStore;
  start?: number;
  shared?: SharedHealth;
}): Promise<MonitorFixture> {
  const coordinators: Record<string, FakeCoordinator> = {};
  const names = new Set([...options.config.backends.map((b) => b.name), ...Object.keys(options.coordinators ?? {})]);
  for (const name of names) coordinators[name] = coordinator(options.coordinators?.[name]);
  const trino = fakeTrino(Object.fromEntries(Object.entries(coordinators).map(([name, c]) => [urlOf(name), c])));
  const clock = new FakeClock(options.start ?? Date.UTC(2026, 10, 23, 10, 0, 0));
  const routing = new TestRouting(options.config);
  const logs = captureLogs('debug');
  const learned: [string, string][] = [];
  const settings = { ...SETTINGS, ...options.settings };
  const monitor = new HealthMonitor({
    routing,
    settings,
    logger: logs.logger,
    history: options.history,
    clock,
    fetch: trino.fetch,
    onCoordinator: (id, backend) => learned.push([id, backend]),
    shared: options.shared,
  });
  await monitor.start();
  return {
    monitor, clock, routing, trino, coordinators, logs, learned,
    async nextRound() {
      await clock.advance(settings.intervalMs);
      await monitor.idle();
    },
    logged: (msg) => logs.records().filter((r) => r.msg === msg),
  };
}

/** What the ext_proc edge reports after routing a submission to `backend` by the rules. */
export function submissionTo(backend: string): RequestContext {
  return {
    instruction: {
      kind: 'forward', backend, mechanism: 'rules', path: undefined, forwardedPrefix: undefined, watch: 'headers_and_body',
      decision: { outcome: 'routed', backend, group: 'g', rule: undefined, fellBackFrom: [] },
    },
    transactionId: undefined,
    transactionAware: false, watchTransactions: false, statement: undefined,
    facts: facts(),
    receivedAt: 0,
  };
}
