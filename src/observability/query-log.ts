/**
 * One info line per new query, the line operators search for "where did my query go":
 * query id, who sent it (user, source, client tags) and how it was routed (rule, group,
 * backend, mechanism). Absent values are null so every line has the same fields. Users and
 * tags are what the client declared; credentials never reach this line (the logger redacts
 * them regardless).
 */
import type { Logger } from 'pino';
import type { QuerySubmitted } from '../routing/request-router.js';

export const QUERY_SUBMITTED_MESSAGE = 'query submitted';

export function queryLogListener(logger: Pick<Logger, 'info' | 'isLevelEnabled'>): (query: QuerySubmitted) => void {
  return (query) => {
    if (!logger.isLevelEnabled('info')) return;
    const decision = query.decision?.outcome === 'routed' ? query.decision : undefined;
    const facts = query.facts;
    logger.info({
      queryId: query.queryId,
      user: facts?.user ?? null,
      source: facts?.source ?? null,
      clientTags: facts?.clientTags ?? [],
      rule: decision?.rule ?? null,
      group: decision?.group ?? null,
      backend: query.backend,
      mechanism: query.mechanism,
    }, QUERY_SUBMITTED_MESSAGE);
  };
}
