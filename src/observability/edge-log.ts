/**
 * The edges' observer that logs: routing outcomes at debug (never info: one line per request
 * would swamp a busy gateway), stream failures at warn.
 */
import type { Logger } from 'pino';
import type { EdgeObserver } from '../envoy/edge-observer.js';
import type { RequestContext } from '../routing/request-router.js';

export function edgeLogObserver(logger: Logger): EdgeObserver {
  return {
    streamOpened() {},
    streamClosed() {},
    streamError(edge, kind, error) {
      logger.warn({ edge, kind, err: error }, `${edge} ${edge === 'ext_proc' ? 'stream' : 'call'} failed`);
    },
    routed(_edge, context: RequestContext) {
      if (!logger.isLevelEnabled('debug')) return;
      const instruction = context.instruction;
      if (instruction.kind === 'forward') {
        logger.debug({ backend: instruction.backend, mechanism: instruction.mechanism, rule: instruction.decision?.outcome === 'routed' ? instruction.decision.rule : undefined }, 'request routed');
      } else {
        logger.debug({ status: instruction.status, reason: instruction.reason }, 'request answered by the router');
      }
    },
  };
}
