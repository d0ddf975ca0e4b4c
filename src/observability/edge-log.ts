/**
 * The edges' observer that logs: routing outcomes at debug (never info: one line per request
 * would swamp a busy gateway; the per-query info line is query-log.ts), stream failures at
 * warn. At info level the per-request path costs one level check.
 */
import type { Logger } from 'pino';
import type { EdgeObserver } from '../envoy/edge-observer.js';
import type { RequestContext } from '../routing/request-router.js';
import { classifyTrinoPath, namesQuery } from '../trino/paths.js';

/** Method, path and, for a follow-up, the query id its path names. */
function requestOf(context: RequestContext): { method?: string; path?: string; queryId?: string } {
  const method = context.target?.method ?? context.facts?.method;
  const path = context.target?.path ?? context.facts?.path;
  if (method === undefined || path === undefined) return {};
  const trinoPath = classifyTrinoPath(method, path);
  return namesQuery(trinoPath) ? { method, path, queryId: trinoPath.queryId } : { method, path };
}

export function edgeLogObserver(logger: Logger): EdgeObserver {
  return {
    streamOpened() {},
    streamClosed() {},
    streamError(edge, kind, error) {
      logger.warn({ edge, kind, err: error }, `${edge} ${edge === 'ext_proc' ? 'stream' : 'call'} failed`);
    },
    routed(edge, context: RequestContext, decisionSeconds) {
      if (!logger.isLevelEnabled('debug')) return;
      const instruction = context.instruction;
      const decisionMs = Math.round(decisionSeconds * 1e6) / 1e3;
      if (instruction.kind === 'forward') {
        const decision = instruction.decision?.outcome === 'routed' ? instruction.decision : undefined;
        logger.debug({
          edge,
          backend: instruction.backend,
          mechanism: instruction.mechanism,
          group: decision?.group,
          rule: decision?.rule,
          ...requestOf(context),
          decisionMs,
        }, 'request routed');
      } else {
        logger.debug({ edge, status: instruction.status, reason: instruction.reason, ...requestOf(context), decisionMs }, 'request answered by the router');
      }
    },
  };
}
