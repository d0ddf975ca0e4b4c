/**
 * The composition root: config file -> store -> routing snapshot + ownership -> request
 * router -> gRPC edges. Everything with I/O or timers is created here and closed in reverse.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { formatListenAddress, loadConfigFile, type Environment, type ListenAddress, type RouterConfig } from './config/index.js';
import { combineObservers, type EdgeObserver } from './envoy/edge-observer.js';
import { createExtProcHandler } from './envoy/ext-proc-server.js';
import { ExternalProcessorService } from './gen/envoy/service/ext_proc/v3/external_processor.js';
import { edgeLogObserver } from './observability/edge-log.js';
import { createLogger } from './observability/logger.js';
import { RequestRouter, type QuerySubmitted } from './routing/request-router.js';
import { createStrategyState } from './routing/strategies.js';
import { RoutingSource } from './runtime/routing-source.js';
import { startOwnershipPersistence } from './runtime/ownership-persistence.js';
import { createKeyring, type PrefixKeyring } from './stickiness/route-prefix.js';
import { createQueryProbe } from './stickiness/query-probe.js';
import { openStore, seedFromConfig, type Store } from './store/index.js';

export interface StartOptions {
  readonly configPath: string;
  /** Where secretEnv / tokenEnv are read from; defaults to process.env. */
  readonly env?: Environment;
  /** Defaults to a pino logger at the config's level, on stdout. */
  readonly logger?: Logger;
}

export interface RunningRouter {
  readonly config: RouterConfig;
  readonly store: Store;
  readonly router: RequestRouter;
  /** The bound ext_proc port (useful when the config asks for port 0). */
  readonly extProcPort: number;
  /** Reloads the routing snapshot if the store changed (also runs on a timer). */
  refreshRouting(): boolean;
  /** Pulls ownership other replicas wrote to the shared store (also runs on a timer). */
  syncOwnership(): void;
  close(): Promise<void>;
}

/** Probes must answer well inside Envoy's ext_proc message timeout (1 s in envoy/envoy.yaml). */
const PROBE_TIMEOUT_MS = 500;
const ROUTING_REFRESH_MS = 2_000;
const OWNERSHIP_SYNC_MS = 2_000;
const OWNERSHIP_PRUNE_MS = 60_000;
/** Open transactions are forgotten after this long without a COMMIT or ROLLBACK seen. */
const TRANSACTION_RETENTION_MS = 24 * 3600_000;
const SHUTDOWN_GRACE_MS = 5_000;

export async function startRouter(options: StartOptions): Promise<RunningRouter> {
  const config = loadConfigFile(options.configPath, { env: options.env ?? process.env });
  const logger = options.logger ?? createLogger(config.logging.level);
  const store = openStore(config.store.path, { logger });
  const cleanups: (() => void | Promise<void>)[] = [() => store.close()];
  try {
    const seeded = seedFromConfig(store, config.routing, config.store.seed);
    logger.info({ store: store.path, schemaVersion: store.schemaVersion, ...seeded }, 'store opened');

    const routing = new RoutingSource(store.routing, logger);
    const routingTimer = setInterval(() => routing.refresh(), ROUTING_REFRESH_MS);
    routingTimer.unref();
    cleanups.push(() => clearInterval(routingTimer));

    const ownership = startOwnershipPersistence({
      repository: store.ownership,
      limits: {
        maxQueries: config.queryIds.maxEntries,
        retentionMs: config.queryIds.retentionHours * 3600_000,
        transactionRetentionMs: TRANSACTION_RETENTION_MS,
      },
      logger,
      now: Date.now,
      syncIntervalMs: OWNERSHIP_SYNC_MS,
      pruneIntervalMs: OWNERSHIP_PRUNE_MS,
    });
    cleanups.push(() => ownership.close());

    // Parts that follow the traffic (logs, metrics, history, load tracking) add themselves here.
    const observers: EdgeObserver[] = [edgeLogObserver(logger)];
    const queryListeners: ((query: QuerySubmitted) => void)[] = [];

    const router = new RequestRouter({
      snapshot: routing.current,
      conditions: () => NO_CONDITIONS,
      strategy: createStrategyState(),
      ownership: ownership.index,
      keyring: keyringOf(config),
      probe: createQueryProbe({
        backendUrl: (name) => routing.current().backends.get(name)?.url,
        timeoutMs: PROBE_TIMEOUT_MS,
        fallbackUser: config.monitor.user,
      }),
      headerOptions: { jwtUserClaim: config.requests.jwtUserClaim },
      unavailable: config.requests.unavailable,
      now: Date.now,
      onQuery: (query) => {
        // A failing listener must never fail the request it observes.
        for (const listener of queryListeners) {
          try {
            listener(query);
          } catch (error) {
            logger.error({ err: error, queryId: query.queryId }, 'query listener failed');
          }
        }
      },
    });

    const server = new grpc.Server({
      // Envoy sends full header maps; 16 KB+ auth headers must fit with room to spare.
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
    });
    server.addService(ExternalProcessorService, { process: createExtProcHandler(router, combineObservers(observers)) });
    const extProcPort = await bind(server, config.listen.extProc);
    cleanups.push(() => shutdown(server));
    logger.info({ extProc: formatListenAddress({ ...config.listen.extProc, port: extProcPort }) }, 'ext_proc server listening');

    let closing: Promise<void> | undefined;
    return {
      config,
      store,
      router,
      extProcPort,
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

const NO_CONDITIONS = new Map();

function keyringOf(config: RouterConfig): PrefixKeyring | undefined {
  if (config.prefix === null) return undefined;
  return createKeyring(config.prefix.keys, config.prefix.maxAgeHours * 3600);
}

function bind(server: grpc.Server, address: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(formatListenAddress(address), grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error !== null) reject(new Error(`cannot listen on ${formatListenAddress(address)}: ${error.message}`));
      else resolve(port);
    });
  });
}

/** Lets in-flight streams finish (Envoy's own drain), then cuts what is left. */
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
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
