/**
 * The "now what?" line of a fresh start: when a while after start no Envoy has opened a stream
 * or call and no backend answers its health check, the router logs once what to do next (a
 * router on the example config with nothing around it routes nothing, silently otherwise).
 */
import type { Logger } from 'pino';
import type { EdgeObserver } from '../envoy/edge-observer.js';

export const IDLE_HINT_MESSAGE = 'no Envoy has connected and no backend answers: this router routes nothing yet';

/** How long after start the hint is considered. */
export const IDLE_HINT_AFTER_MS = 20_000;

export interface IdleHintOptions {
  readonly logger: Logger;
  /** True when at least one backend answers (its health check passes); undefined: no monitor runs. */
  readonly anyBackendAnswers: (() => boolean) | undefined;
  /** Where Envoy's ext_proc filter must point, e.g. 0.0.0.0:9001 (known once the server listens). */
  readonly routerAddress: () => string;
  readonly configPath: string;
  readonly afterMs?: number;
}

export interface IdleHint {
  /** Counts Envoy's streams and calls; add it to the edges' observers. */
  readonly observer: EdgeObserver;
  close(): void;
}

export function startIdleHint(options: IdleHintOptions): IdleHint {
  let envoySeen = false;
  const timer = setTimeout(() => {
    const answering = options.anyBackendAnswers?.() ?? false;
    if (envoySeen || answering) return;
    const routerAddress = options.routerAddress();
    options.logger.warn({ routerAddress, config: options.configPath }, `${IDLE_HINT_MESSAGE}. `
      + 'To try it out with stand-ins for Envoy and Trino: npm run demo. '
      + `To route for real: point Envoy's ext_proc filter at ${routerAddress} (envoy/envoy.yaml shows how), `
      + `and set the backends' url in ${options.configPath} to your Trino coordinators (then trino-envoy-router status shows them healthy)`);
  }, options.afterMs ?? IDLE_HINT_AFTER_MS);
  timer.unref();
  return {
    observer: {
      streamOpened: () => {
        envoySeen = true;
      },
      streamClosed: () => {},
      streamError: () => {},
      routed: () => {},
    },
    close: () => clearTimeout(timer),
  };
}
