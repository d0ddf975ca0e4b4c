/**
 * The composition root: config file -> store -> routing snapshot + ownership -> request
 * router -> gRPC edges. Everything with I/O or timers is created here and closed in reverse.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { RoutingSnapshot } from './routing/snapshot.js';
import { startAdminServer } from './admin/index.js';
import { createAuthenticator } from './admin/auth.js';
import { startConsoleServer } from './console/index.js';
import { formatGrpcListenAddress, formatListenAddress, loadConfigFile, sameGrpcAddress, type Environment, type RouterConfig } from './config/index.js';
import { DEFAULT_MONITOR_USER, DEVELOPMENT_PREFIX_KEYS } from './config/schema.js';
import { combineObservers, type EdgeObserver } from './envoy/edge-observer.js';
import { createExtAuthzHandler } from './envoy/ext-authz-server.js';
import { extProcService } from './envoy/ext-proc-codec.js';
import { createExtProcHandler } from './envoy/ext-proc-server.js';
import { AuthorizationService } from './gen/envoy/service/auth/v3/external_auth.js';
import { edgeLogObserver } from './observability/edge-log.js';
import { startIdleHint } from './observability/idle-hint.js';
import { createLogger } from './observability/logger.js';
import { RouterMetrics } from './observability/metrics.js';
import { startMetricsServer } from './observability/metrics-server.js';
import { queryLogListener, refusalLogListener } from './observability/query-log.js';
import { HealthMonitor, monitorSettingsOf, ScheduleGate } from './health/index.js';
import type { HealthStatusSource } from './health/status.js';
import { QueryHistory } from './history/query-history.js';
import type { QueryHistorySource } from './history/query-record.js';
import type { BackendConditions } from './routing/engine.js';
import { RequestRouter, type QuerySubmitted, type RequestRouterDeps, type SubmissionRefused } from './routing/request-router.js';
import { createStrategyState } from './routing/strategies.js';
import { StatementAnalyzer } from './statement/analyzer.js';
import { listen, shutdownGracefully } from './runtime/grpc-server.js';
import { RoutingSource } from './routing/routing-source.js';
import { startOwnershipPersistence } from './stickiness/ownership-persistence.js';
import { createKeyring, type PrefixKeyring } from './stickiness/route-prefix.js';
import { AggregatedDiscoveryServiceService, createXdsService } from './xds/index.js';
import { backendsWithoutOwnerSource } from './stickiness/owner-sources.js';
import { createQueryProbe } from './stickiness/query-probe.js';
import { openStore, type Store } from './store/index.js';
import { ConfigFile } from './config-watch/config-file.js';
import type { ConfigFileStatusSource } from './config-watch/status.js';
import { Dispatcher, type DispatchEvent } from './queue/dispatcher.js';
import { EntrySignals } from './queue/entry-signals.js';
import { GatewayQueue } from './queue/gateway-queue.js';
import { isLimited } from './routing/admission.js';

export interface StartOptions {
  readonly configPath: string;
  /** Where secretEnv / tokenEnv are read from; defaults to process.env. */
  readonly env?: Environment;
  /** Defaults to a pino logger at the config's level, on stdout. */
  readonly logger?: Logger;
  /** When the "nothing connected, nothing answers" hint is considered (default IDLE_HINT_AFTER_MS); null: never. */
  readonly idleHintAfterMs?: number | null;
}

export interface RunningRouter {
  readonly config: RouterConfig;
  /** The router's logger (JSON lines on stdout unless options.logger said otherwise). */
  readonly logger: Logger;
  readonly store: Store;
  readonly router: RequestRouter;
  /** What the request router reads: the routing snapshot, the ownership index, conditions. */
  readonly serving: RequestRouterDeps;
  /** The bound ext_proc port (useful when the config asks for port 0). */
  readonly extProcPort: number;
  /** The bound ext_authz port (= extProcPort when both share one server); undefined when listen.extAuthz is null. */
  readonly extAuthzPort: number | undefined;
  /** The bound admin API port; undefined when listen.admin is null. */
  readonly adminPort: number | undefined;
  /** The bound web console port; undefined when listen.console is null. */
  readonly consolePort: number | undefined;
  /** The bound /metrics port; undefined when listen.metrics is null. */
  readonly metricsPort: number | undefined;
  /** The bound xDS (ADS) port (= extProcPort when both share one server); undefined when listen.xds is null. */
  readonly xdsPort: number | undefined;
  /** Routed queries, newest first; undefined when `history: null`. */
  readonly history: QueryHistorySource | undefined;
  /** Backend health, load and state changes; undefined when `monitor: null`. */
  readonly health: HealthStatusSource | undefined;
  /** The config file: how its routing reached the store, and under store.seed: watch its applies. */
  readonly configFile: ConfigFileStatusSource;
  /** Reloads the routing snapshot if the store changed (also runs on a timer); true when it did. */
  refreshRouting(): Promise<boolean>;
  /** Writes pending ownership, then pulls what other replicas wrote to the shared store (also runs on a timer). */
  syncOwnership(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Probes must answer well inside Envoy's ext_proc message timeout (1 s in envoy/envoy.yaml)
 * and ext_authz timeout (1 s in envoy/envoy-ext-authz.yaml).
 */
const PROBE_TIMEOUT_MS = 500;
const OWNERSHIP_PRUNE_MS = 60_000;
/** Open transactions are forgotten after this long without a COMMIT or ROLLBACK seen. */
const TRANSACTION_RETENTION_MS = 24 * 3600_000;
const SHUTDOWN_GRACE_MS = 5_000;
/** Envoy sends full header maps; 16 KB+ auth headers must fit with room to spare. */
const GRPC_MAX_RECEIVE_BYTES = 8 * 1024 * 1024;

export async function startRouter(options: StartOptions): Promise<RunningRouter> {
  const config = loadConfigFile(options.configPath, { env: options.env ?? process.env });
  const logger = options.logger ?? createLogger(config.logging.level);
  warnDevelopmentKeys(config, logger);
  const store = await openStore(config.store, { logger });
  const cleanups: (() => void | Promise<void>)[] = [() => store.close()];
  try {
    // Seeds (if-empty, overwrite) or applies and then watches (watch) the file's routing.
    let refreshRouting: () => Promise<unknown> = async () => {};
    const configFile = await ConfigFile.start({
      path: resolve(options.configPath),
      running: config,
      routingStore: store.routing,
      refreshRouting: () => refreshRouting(),
      env: options.env ?? process.env,
      logger,
    });
    cleanups.push(() => configFile.close());
    const fileStatus = configFile.status();
    logger.info({ store: store.location, kind: store.kind, schemaVersion: store.schemaVersion, seed: config.store.seed, seeded: fileStatus.lastAppliedAt !== undefined, revision: fileStatus.lastAppliedRevision ?? await store.routing.revision() }, 'store opened');

    const routing = await RoutingSource.open(store.routing, logger);
    refreshRouting = () => routing.refresh();
    const routingTimer = setInterval(() => void routing.refresh(), config.store.pollIntervalMs);
    routingTimer.unref();
    cleanups.push(() => clearInterval(routingTimer));

    const ownership = await startOwnershipPersistence({
      store: store.ownership,
      limits: {
        maxQueries: config.queryIds.maxEntries,
        retentionMs: config.queryIds.retentionHours * 3600_000,
        transactionRetentionMs: TRANSACTION_RETENTION_MS,
        maxLoginFlows: config.loginFlows.maxEntries,
        loginFlowRetentionMs: config.loginFlows.challengeTimeoutMinutes * 60_000,
      },
      logger,
      now: Date.now,
      syncIntervalMs: config.store.pollIntervalMs,
      pruneIntervalMs: OWNERSHIP_PRUNE_MS,
    });
    cleanups.push(() => ownership.close());

    // A fleet store announces every replica's commits: routing swaps at once, ownership learned
    // elsewhere is known here before the follow-up arrives. Timers above stay the safety net.
    const feed = store.changes;
    if (feed !== undefined) {
      try {
        await feed.start({
          routingChanged: () => void routing.refresh(),
          ownershipChanged: (changes) => ownership.index.applyPeerChanges(changes),
          resumed: () => {
            void routing.refresh();
            void ownership.sync();
          },
        });
      } catch (error) {
        logger.warn({ err: error, store: store.location }, 'could not listen for changes of other replicas; following them by polling only');
      }
      cleanups.push(() => feed.close());
    }

    // Parts that follow the traffic (logs, metrics, history, load tracking) add themselves here.
    const observers: EdgeObserver[] = [edgeLogObserver(logger)];
    const queryListeners: ((query: QuerySubmitted) => void)[] = [queryLogListener(logger)];
    const refusalListeners: ((refusal: SubmissionRefused) => void)[] = [refusalLogListener(logger)];

    // Health, load and schedules: the monitor checks every backend off the request path and
    // counts what the router sends between its load polls; without it only schedules apply.
    const monitorSettings = config.monitor === null ? undefined : monitorSettingsOf(config.monitor);
    // In a fleet one replica checks and publishes; it is chosen before the first round.
    const fleetHealth = monitorSettings === undefined ? undefined : store.fleetHealth?.(monitorSettings.intervalMs, logger);
    if (fleetHealth !== undefined) {
      await fleetHealth.start();
      cleanups.push(() => fleetHealth.close());
    }
    const monitor = monitorSettings === undefined ? undefined : new HealthMonitor({
      routing,
      settings: monitorSettings,
      logger,
      history: store.backendStates,
      onCoordinator: (coordinatorId, backend) => ownership.index.learnCoordinator(coordinatorId, backend, Date.now()),
      shared: fleetHealth,
      env: options.env ?? process.env,
    });
    let backendConditions: () => BackendConditions;
    if (monitor !== undefined) {
      observers.push(monitor.edgeObserver);
      cleanups.push(() => monitor.close());
      // Serving starts with every backend checked once (each check is bounded by monitor.timeoutMs).
      await monitor.start();
      backendConditions = () => monitor.conditions();
    } else {
      const scheduleGate = new ScheduleGate(routing, logger);
      scheduleGate.start();
      cleanups.push(() => scheduleGate.close());
      backendConditions = () => scheduleGate.conditions();
    }

    // Metrics exist only when served; state gauges read their sources at scrape time.
    const metricsAddress = config.listen.metrics;
    const metrics = metricsAddress === null ? undefined : new RouterMetrics({ logger });
    if (metrics !== undefined) {
      observers.push(metrics.edgeObserver);
      queryListeners.push(metrics.querySubmitted);
      metrics.watchOwnership(() => ownership.index.sizes());
      metrics.watchJournal('ownership', () => ownership.journal.stats());
      if (monitor !== undefined) metrics.watchHealth(monitor);
      metrics.watchConfigFile(configFile);
      if (store.changes !== undefined) {
        const changes = store.changes;
        metrics.watchFleet({ leading: () => fleetHealth?.leading() ?? false, feedConnected: () => changes.connected() });
      }
    }
    const historyBounds = config.history;
    const history = historyBounds === null ? undefined : new QueryHistory({ store: store.history, retention: historyBounds, logger, now: Date.now }).start();
    if (history !== undefined) {
      cleanups.push(() => history.close());
      queryListeners.push(history.record);
      refusalListeners.push(history.recordRefusal);
      metrics?.watchJournal('history', () => history.writerStats());
      metrics?.watchHistoryPruning(() => history.prunedTotals());
    }

    // Parser threads start with the router when its rules read statements (and are waited for,
    // so the first submissions are not spent on the grammar loading), else with the first
    // statement a rule added later needs: most configs have no such rule.
    const statementBounds = config.statements;
    let analyzer: StatementAnalyzer | undefined;
    const statementAnalyzer = (): StatementAnalyzer => (analyzer ??= new StatementAnalyzer({
      poolSize: statementBounds.workers,
      maxBytes: statementBounds.maxBytes,
      timeoutMs: statementBounds.timeBudgetMs,
      maxQueue: statementBounds.maxQueue,
    }));
    cleanups.push(() => analyzer?.close());
    if (routing.current().statementRules) await waitForParsers(statementAnalyzer(), logger);

    // The gateway queue of limited groups: its URLs are signed and its held credentials sealed
    // with the prefix keys, so it runs only with routing.prefix on.
    const keyring = keyringOf(config);
    const strategy = createStrategyState();
    const dispatchListeners: ((event: DispatchEvent) => void)[] = [];
    let queue: GatewayQueue | undefined;
    if (keyring !== undefined) {
      const signals = new EntrySignals();
      const dispatcher = new Dispatcher({
        store: store.queue,
        keyring,
        snapshot: routing.current,
        conditions: backendConditions,
        strategy,
        owners: ownership.index,
        signals,
        logger,
        replica: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        intervalMs: config.queue.dispatchIntervalMs,
        leaseMs: config.queue.leaseSeconds * 1000,
        clientTimeoutMs: config.queue.clientTimeoutSeconds * 1000,
        graceMs: config.queue.countGraceMs,
        submitTimeoutMs: config.queue.submitTimeoutMs,
        retentionMs: config.queue.retentionHours * 3600_000,
        now: Date.now,
        onEvent: (event) => {
          for (const listener of dispatchListeners) {
            try {
              listener(event);
            } catch (error) {
              logger.error({ err: error, entry: event.entry.id }, 'queue listener failed');
            }
          }
        },
      }).start();
      cleanups.push(() => dispatcher.close());
      // A handed-over query is a routed query like any other (history, query log, metrics).
      dispatchListeners.push((event) => {
        if (event.outcome !== 'dispatched' || event.backend === undefined || event.queryId === undefined) return;
        routerDeps.onQuery?.({
          queryId: event.queryId,
          backend: event.backend,
          mechanism: 'rules',
          facts: undefined,
          decision: { outcome: 'routed', backend: event.backend, group: event.entry.group, rule: event.entry.rule, fellBackFrom: [] },
          statement: undefined,
          at: Date.now(),
          queued: { waitedMs: event.waitedMs, user: event.entry.user, source: event.entry.source },
        });
      });
      if (metrics !== undefined) {
        metrics.watchQueue(() => dispatcher.waiting());
        dispatchListeners.push(metrics.queueEvent);
      }
      queue = new GatewayQueue({
        store: store.queue,
        keyring,
        signals,
        pollHoldMs: config.queue.pollHoldMs,
        // Well inside the client timeout, so a polled query is never taken for abandoned.
        touchEveryMs: Math.min(1000, (config.queue.clientTimeoutSeconds * 1000) / 4),
        now: Date.now,
        onHeld: () => dispatcher.kick(),
      });
    } else if (limitedGroups(routing.current()).length > 0) {
      logger.warn({ groups: limitedGroups(routing.current()) }, 'these groups have running-query limits, but routing.prefix is off: the gateway queue needs the prefix keys to sign its URLs and seal held credentials, so the limits are NOT applied');
    }

    // Shared with the admin API, whose explain runs exactly these parts dry.
    const routerDeps: RequestRouterDeps = {
      snapshot: routing.current,
      conditions: backendConditions,
      // Peekable so explain can name the backend round robin gives the next request.
      strategy,
      ownership: ownership.index,
      keyring,
      queue,
      probe: createQueryProbe({
        backendUrl: (name) => routing.current().backends.get(name)?.url,
        timeoutMs: PROBE_TIMEOUT_MS,
        fallbackUser: config.monitor?.user ?? DEFAULT_MONITOR_USER,
        jwtUserClaim: config.requests.jwtUserClaim,
        // A restarted coordinator's new id, learned at once instead of at the monitor's next round.
        onCoordinator: (coordinatorId, backend) => ownership.index.learnCoordinator(coordinatorId, backend, Date.now()),
      }),
      headerOptions: { jwtUserClaim: config.requests.jwtUserClaim },
      // A login another replica saw challenged: rare, so a store read on a local miss.
      findLoginFlow: ownership.findLoginFlow,
      ...(metrics === undefined ? {} : { onUnreadBody: metrics.unreadBody, onStatement: metrics.statementRead }),
      statements: (sql, session) => statementAnalyzer().analyze(sql, session),
      unavailable: config.requests.unavailable,
      now: Date.now,
      onQuery: fanOut(queryListeners, (error, query) => logger.error({ err: error, queryId: query.queryId }, 'query listener failed')),
      onRefused: fanOut(refusalListeners, (error, refusal) => logger.error({ err: error, reason: refusal.reason }, 'refusal listener failed')),
    };
    const router = new RequestRouter(routerDeps);

    const server = new grpc.Server({ 'grpc.max_receive_message_length': GRPC_MAX_RECEIVE_BYTES });
    let extProcAddress = '';
    if (options.idleHintAfterMs !== null) {
      const hint = startIdleHint({
        logger,
        anyBackendAnswers: monitor === undefined ? undefined : () => monitor.status().some((b) => b.health === 'healthy'),
        routerAddress: () => extProcAddress,
        configPath: options.configPath,
        ...(options.idleHintAfterMs === undefined ? {} : { afterMs: options.idleHintAfterMs }),
      });
      observers.push(hint.observer);
      cleanups.push(() => hint.close());
    }
    const edgeObserver = combineObservers(observers);
    // Requests decoded straight into header lists (ext-proc-codec.ts), not the generated objects.
    server.addService(extProcService, { process: createExtProcHandler(router, edgeObserver) });
    // ext_authz on the ext_proc server when both name the same address, else on its own server.
    const extAuthzAddress = config.listen.extAuthz;
    const extAuthzShared = extAuthzAddress !== null && sameGrpcAddress(extAuthzAddress, config.listen.extProc);
    const extAuthzService = { check: createExtAuthzHandler(router, edgeObserver) };
    if (extAuthzShared) server.addService(AuthorizationService, extAuthzService);
    // Envoy's clusters over ADS, following the routing snapshot; on the ext_proc server by default.
    const xdsAddress = config.listen.xds;
    const xds = xdsAddress === null ? undefined : createXdsService({
      routing, settings: config.xds, logger, observers: metrics === undefined ? [] : [metrics.xdsObserver],
    });
    const xdsShared = xdsAddress !== null && sameGrpcAddress(xdsAddress, config.listen.extProc);
    if (xds !== undefined && xdsShared) server.addService(AggregatedDiscoveryServiceService, xds.implementation);
    const extProcPort = await listen(server, config.listen.extProc, 'listen.extProc');
    cleanups.push(() => shutdownGracefully(server, SHUTDOWN_GRACE_MS, config.listen.extProc));
    extProcAddress = formatGrpcListenAddress(config.listen.extProc, extProcPort);
    logger.info({ extProc: extProcAddress }, 'ext_proc server listening');
    let extAuthzPort: number | undefined;
    if (extAuthzAddress !== null) {
      if (extAuthzShared) extAuthzPort = extProcPort;
      else {
        const authzServer = new grpc.Server({ 'grpc.max_receive_message_length': GRPC_MAX_RECEIVE_BYTES });
        authzServer.addService(AuthorizationService, extAuthzService);
        cleanups.push(() => shutdownGracefully(authzServer, SHUTDOWN_GRACE_MS, extAuthzAddress));
        extAuthzPort = await listen(authzServer, extAuthzAddress, 'listen.extAuthz');
      }
      logger.info({ extAuthz: formatGrpcListenAddress(extAuthzAddress, extAuthzPort), sharedWithExtProc: extAuthzShared }, 'ext_authz server listening');
      warnBackendsWithoutOwnerSource(routing.current(), logger, keyringOf(config) !== undefined);
    }
    let xdsPort: number | undefined;
    if (xds !== undefined && xdsAddress !== null) {
      if (xdsShared) xdsPort = extProcPort;
      else {
        const xdsServer = new grpc.Server();
        xdsServer.addService(AggregatedDiscoveryServiceService, xds.implementation);
        cleanups.push(() => shutdownGracefully(xdsServer, SHUTDOWN_GRACE_MS, xdsAddress));
        xdsPort = await listen(xdsServer, xdsAddress, 'listen.xds');
      }
      // Runs before the servers drain (cleanups run in reverse): ADS streams never end on their own.
      cleanups.push(() => xds.close());
      logger.info({ xds: formatGrpcListenAddress(xdsAddress, xdsPort), sharedWithExtProc: xdsShared }, 'xDS (ADS) server listening');
    }

    const admin = config.listen.admin === null ? undefined : await startAdminServer({
      address: config.listen.admin,
      token: config.admin.token,
      readToken: config.admin.readToken,
      tls: config.admin.tls,
      routingStore: store.routing,
      configHistory: store.configHistory,
      configFile,
      ownershipStore: store.ownership,
      // Explain runs off the request path: it may wait for the parser threads to start.
      router: { ...routerDeps, statements: async (sql, session) => {
        const parsers = statementAnalyzer();
        await parsers.ready();
        return parsers.analyze(sql, session);
      } },
      refreshRouting: () => routing.refresh(),
      storeSync: () => ({ ...routing.sync(), feedConnected: store.changes?.connected() }),
      config,
      configDir: dirname(resolve(options.configPath)),
      env: options.env ?? process.env,
      logger,
      history,
      health: monitor,
      queue: queue === undefined ? undefined : { store: store.queue, now: Date.now },
      onCall: metrics?.adminCall,
    });
    if (admin !== undefined) cleanups.push(() => admin.close());

    // The console is a client of the admin API above (config validation requires listen.admin).
    const consoleAddress = config.listen.console;
    const adminAddress = config.listen.admin;
    const consoleServer = consoleAddress === null || admin === undefined || adminAddress === null ? undefined : await startConsoleServer({
      address: consoleAddress,
      adminTarget: formatListenAddress({ host: reachableHost(adminAddress.host), port: admin.port }),
      tokenRequired: config.admin.token !== null,
      accessOf: accessOfToken(config.admin.token, config.admin.readToken),
      secureCookie: config.console.secureCookie,
      sessionIdleMs: config.console.sessionIdleMinutes * 60_000,
      logger,
    });
    if (consoleServer !== undefined) cleanups.push(() => consoleServer.close());

    const metricsServer = metrics === undefined || metricsAddress === null
      ? undefined
      : await startMetricsServer({ address: metricsAddress, metrics, logger });
    if (metricsServer !== undefined && metricsAddress !== null) {
      cleanups.push(() => metricsServer.close());
      logger.info({ metrics: formatListenAddress({ ...metricsAddress, port: metricsServer.port }) }, 'metrics server listening');
    }

    let closing: Promise<void> | undefined;
    return {
      config,
      logger,
      store,
      router,
      serving: routerDeps,
      extProcPort,
      extAuthzPort,
      adminPort: admin?.port,
      consolePort: consoleServer?.port,
      metricsPort: metricsServer?.port,
      xdsPort,
      history,
      health: monitor,
      configFile,
      refreshRouting: () => routing.refresh(),
      syncOwnership: () => ownership.sync(),
      close() {
        closing ??= runCleanups(cleanups, logger);
        return closing;
      },
    };
  } catch (error) {
    await runCleanups(cleanups, logger);
    throw error;
  }
}

/** A wildcard listen address is reached on loopback. */
function reachableHost(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

/** The admin API's own token check (admin/auth.ts), asked for a console login's token. */
function accessOfToken(token: string | null, readToken: string | null): (given: string | undefined) => 'full' | 'read' | undefined {
  const authenticate = createAuthenticator(token, readToken);
  return (given) => {
    const metadata = new grpc.Metadata();
    if (given !== undefined) metadata.set('authorization', `Bearer ${given}`);
    const result = authenticate(metadata);
    return result.ok ? result.access : undefined;
  };
}

/** Groups whose queries would queue (a limit on the group or a member). */
function limitedGroups(snapshot: RoutingSnapshot): string[] {
  return [...snapshot.groups.keys()].filter((name) => isLimited(snapshot, name, undefined));
}

/** Every start with a shipped (public) prefix key says so: anyone can forge its route prefixes. */
function warnDevelopmentKeys(config: RouterConfig, logger: Logger): void {
  const ids = config.prefix?.keys.filter((key) => DEVELOPMENT_PREFIX_KEYS.has(key.secret)).map((key) => key.id) ?? [];
  if (ids.length === 0) return;
  logger.warn(
    { prefixKeys: ids },
    'routing.prefix uses the development key shipped with the project: it is public, so anyone can forge route prefixes. Replace it before real use with a key of your own (`openssl rand -base64 32`, e.g. in ROUTER_PREFIX_KEY with secretEnv)',
  );
}

function keyringOf(config: RouterConfig): PrefixKeyring | undefined {
  if (config.prefix === null) return undefined;
  return createKeyring(config.prefix.keys, config.prefix.maxAgeHours * 3600);
}

/**
 * Says at start which backends ext_authz cannot route a query's first poll to: neither prefix
 * routing nor a coordinator id in /v1/info (Trino 477+). Runs in the background, once.
 */
function warnBackendsWithoutOwnerSource(snapshot: RoutingSnapshot, logger: Logger, prefixesEnabled: boolean): void {
  const backends = [...snapshot.backends.values()].map((b) => ({ name: b.name, url: b.url, prefixRouting: b.prefixRouting && prefixesEnabled }));
  void backendsWithoutOwnerSource(backends, PROBE_TIMEOUT_MS).then((blind) => {
    if (blind.length === 0) return;
    logger.warn(
      { backends: blind.map((b) => b.name), reasons: Object.fromEntries(blind.map((b) => [b.name, b.why])) },
      'ext_authz cannot tell which of these backends owns a query before its first poll (no prefix routing, no coordinatorId in /v1/info: Trino 477+ reports it); their queries fail at the first poll unless every router replica learns the coordinator id from the health monitor first',
    );
  }, (error: unknown) => logger.error({ err: error }, 'could not check the backends ext_authz can route'));
}

async function runCleanups(cleanups: readonly (() => void | Promise<void>)[], logger: Logger): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
    }
  }
}

/** Calls every listener; a failing listener must never fail the request it observes. */
function fanOut<E>(listeners: readonly ((event: E) => void)[], onError: (error: unknown, event: E) => void): (event: E) => void {
  return (event) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        onError(error, event);
      }
    }
  };
}

/** A parser start slower than this (a starved machine) is logged and no longer waited for. */
const PARSER_START_WAIT_MS = 20_000;

async function waitForParsers(analyzer: StatementAnalyzer, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), PARSER_START_WAIT_MS); });
  const outcome = await Promise.race([analyzer.ready().then(() => 'ready' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.warn({ waitedMs: PARSER_START_WAIT_MS }, 'the statement parser threads are still loading the grammar; statements asked meanwhile are routed as unknown (timeout)');
  }
}
