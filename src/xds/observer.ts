/**
 * What the ADS server reports: streams, responses, ACKs and NACKs. Logs and metrics implement
 * it; the server knows nothing of either.
 */
import type { Logger } from 'pino';
import type { XdsType } from './resources.js';

/** Who is asking: the Envoy node of the stream's first request. */
export interface XdsPeer {
  readonly nodeId: string;
  readonly nodeCluster: string;
  readonly peer: string;
}

export interface XdsObserver {
  streamOpened(peer: XdsPeer): void;
  streamClosed(peer: XdsPeer, reason: string): void;
  responseSent(peer: XdsPeer, type: XdsType, version: string, resources: number): void;
  acked(peer: XdsPeer, type: XdsType, version: string): void;
  /** The client rejected `rejectedVersion` and keeps `keptVersion`. */
  rejected(peer: XdsPeer, type: XdsType, rejectedVersion: string, keptVersion: string, message: string): void;
}

export function combineXdsObservers(observers: readonly XdsObserver[]): XdsObserver {
  return {
    streamOpened: (peer) => observers.forEach((o) => o.streamOpened(peer)),
    streamClosed: (peer, reason) => observers.forEach((o) => o.streamClosed(peer, reason)),
    responseSent: (peer, type, version, resources) => observers.forEach((o) => o.responseSent(peer, type, version, resources)),
    acked: (peer, type, version) => observers.forEach((o) => o.acked(peer, type, version)),
    rejected: (peer, type, rejected, kept, message) => observers.forEach((o) => o.rejected(peer, type, rejected, kept, message)),
  };
}

/** A NACK is a warning (Envoy runs on its previous clusters); the rest is info or debug. */
export function xdsLogObserver(logger: Pick<Logger, 'info' | 'warn' | 'debug'>): XdsObserver {
  return {
    streamOpened: (peer) => logger.info({ ...peer }, 'xDS stream opened'),
    streamClosed: (peer, reason) => logger.info({ ...peer, reason }, 'xDS stream closed'),
    responseSent: (peer, type, version, resources) => logger.info({ ...peer, type, version, resources }, 'xDS resources sent'),
    acked: (peer, type, version) => logger.debug({ ...peer, type, version }, 'xDS resources accepted'),
    rejected: (peer, type, rejectedVersion, keptVersion, message) => logger.warn(
      { ...peer, type, rejectedVersion, keptVersion, error: message },
      'xDS resources rejected (NACK); the client keeps its previous version',
    ),
  };
}
