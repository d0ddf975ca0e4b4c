/**
 * One info line per new query, the line operators search for "where did my query go":
 * query id, who sent it (user, source, client tags) and how it was routed (rule, group,
 * backend, mechanism). Absent values are null so every line has the same fields. Users and
 * tags are what the client declared; credentials never reach this line (the logger redacts
 * them regardless).
 */
import type { Logger } from 'pino';
import type { RequestFacts } from '../routing/model.js';
import type { QuerySubmitted, SubmissionRefused } from '../routing/request-router.js';

export const QUERY_SUBMITTED_MESSAGE = 'query submitted';

export function queryLogListener(logger: Pick<Logger, 'info' | 'isLevelEnabled'>): (query: QuerySubmitted) => void {
  return (query) => {
    if (!logger.isLevelEnabled('info')) return;
    const decision = query.decision?.outcome === 'routed' ? query.decision : undefined;
    logger.info({
      queryId: query.queryId,
      ...senderFields(query.facts),
      rule: decision?.rule ?? null,
      group: decision?.group ?? null,
      backend: query.backend,
      mechanism: query.mechanism,
    }, QUERY_SUBMITTED_MESSAGE);
  };
}

/** Who sent the query, as the client declared it; null where not known, so every line has the fields. */
function senderFields(facts: RequestFacts | undefined): { user: string | null; source: string | null; clientTags: readonly string[] } {
  return { user: facts?.user ?? null, source: facts?.source ?? null, clientTags: facts?.clientTags ?? [] };
}

export const SUBMISSION_REFUSED_MESSAGE = 'submission refused';
/** Lines per second before refusals are only counted: an outage refuses every submission. */
export const REFUSAL_LINES_PER_SECOND = 20;

/**
 * One info line per refused submission with the fields of the query line plus the reason and
 * what the client was told. Past REFUSAL_LINES_PER_SECOND in a second the rest are counted and
 * the next line says how many were left out (the query history keeps every one).
 */
export function refusalLogListener(
  logger: Pick<Logger, 'info' | 'isLevelEnabled'>,
  now: () => number = Date.now,
): (refusal: SubmissionRefused) => void {
  let second = -1;
  let lines = 0;
  let notLogged = 0;
  return (refusal) => {
    if (!logger.isLevelEnabled('info')) return;
    const current = Math.floor(now() / 1000);
    if (current !== second) {
      second = current;
      lines = 0;
    }
    if (lines >= REFUSAL_LINES_PER_SECOND) {
      notLogged++;
      return;
    }
    lines++;
    const decision = refusal.decision;
    logger.info({
      reason: refusal.reason,
      ...senderFields(refusal.facts),
      rule: decision?.rule ?? null,
      group: decision?.outcome === 'rejected' ? decision.attempts[0]?.group ?? null : null,
      message: refusal.message,
      ...(notLogged === 0 ? {} : { refusalsNotLogged: notLogged }),
    }, SUBMISSION_REFUSED_MESSAGE);
    notLogged = 0;
  };
}
