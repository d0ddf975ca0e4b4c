/**
 * The gRPC binding of `envoy.service.discovery.v3.AggregatedDiscoveryService`: state of the
 * world only (the delta method answers UNIMPLEMENTED, which makes Envoy's `api_type: GRPC`
 * the one to configure). Each stream runs an AdsStream; a change of the resources is pushed
 * to every open stream at once.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  AggregatedDiscoveryServiceService,
  type AggregatedDiscoveryServiceServer,
} from '../gen/envoy/service/discovery/v3/ads.js';
import type { DiscoveryRequest, DiscoveryResponse } from '../gen/envoy/service/discovery/v3/discovery.js';
import { AdsProtocolError, AdsStream } from './ads-stream.js';
import type { XdsObserver, XdsPeer } from './observer.js';
import { xdsTypeOf } from './resources.js';
import type { XdsResourceSource } from './resource-source.js';

export { AggregatedDiscoveryServiceService };

export interface AdsServiceOptions {
  readonly resources: XdsResourceSource;
  readonly observer: XdsObserver;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
}

export interface AdsService {
  /** For grpc.Server#addService(AggregatedDiscoveryServiceService, implementation). */
  readonly implementation: AggregatedDiscoveryServiceServer;
  /** Open streams. */
  streams(): number;
  /** Ends every stream with OK (Envoy reconnects, to another replica or after a restart). */
  close(): void;
}

type AdsCall = grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>;

export function createAdsService(options: AdsServiceOptions): AdsService {
  const { resources, observer, logger } = options;
  /** Open streams and how each is ended. */
  const open = new Map<AdsCall, (reason: string) => void>();
  let streamCount = 0;
  let closed = false;

  const implementation: AggregatedDiscoveryServiceServer = {
    streamAggregatedResources(call: AdsCall) {
      if (closed) {
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'trino-envoy-router: shutting down' } satisfies Partial<grpc.StatusObject>);
        return;
      }
      const stream = new AdsStream(resources.current, `${process.pid.toString(36)}.${(++streamCount).toString(36)}`);
      let peer: XdsPeer = { nodeId: '', nodeCluster: '', peer: call.getPeer() };
      let opened = false;
      let ended = false;

      const send = (responses: readonly DiscoveryResponse[]): void => {
        for (const response of responses) {
          call.write(response);
          observer.responseSent(peer, xdsTypeOf(response.typeUrl), response.versionInfo, response.resources.length);
        }
      };
      const finish = (reason: string): void => {
        if (ended) return;
        ended = true;
        unsubscribe();
        open.delete(call);
        if (opened) observer.streamClosed(peer, reason);
      };
      const unsubscribe = resources.onChange(() => {
        if (!ended) send(stream.update());
      });
      open.set(call, finish);

      call.on('data', (request: DiscoveryRequest) => {
        if (ended) return;
        if (!opened) {
          // Envoy sends its node on the first request only.
          peer = { nodeId: request.node?.id ?? '', nodeCluster: request.node?.cluster ?? '', peer: peer.peer };
          opened = true;
          observer.streamOpened(peer);
        }
        let outcome;
        try {
          outcome = stream.receive(request);
        } catch (error) {
          if (!(error instanceof AdsProtocolError)) logger.error({ err: error }, 'xDS request failed');
          finish('invalid request');
          call.emit('error', {
            code: error instanceof AdsProtocolError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL,
            details: `trino-envoy-router: ${(error as Error).message}`,
          } satisfies Partial<grpc.StatusObject>);
          return;
        }
        const type = xdsTypeOf(request.typeUrl);
        const kind = outcome.request;
        if (kind.kind === 'ack') observer.acked(peer, type, kind.version);
        else if (kind.kind === 'nack') observer.rejected(peer, type, kind.rejectedVersion, kind.keptVersion, kind.message);
        send(outcome.responses);
      });
      call.on('end', () => {
        finish('client closed the stream');
        call.end();
      });
      call.on('cancelled', () => finish('cancelled'));
      call.on('error', (error: Error) => {
        logger.warn({ err: error }, 'xDS stream failed');
        finish('transport error');
      });
    },
    deltaAggregatedResources(call) {
      call.emit('error', {
        code: grpc.status.UNIMPLEMENTED,
        details: 'trino-envoy-router serves state-of-the-world ADS only: use api_type GRPC',
      } satisfies Partial<grpc.StatusObject>);
    },
  };

  return {
    implementation,
    streams: () => open.size,
    close() {
      closed = true;
      for (const [call, finish] of [...open]) {
        finish('router shutting down');
        call.end();
      }
    },
  };
}
