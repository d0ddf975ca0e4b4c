/** A routed query as the router reports it (QuerySubmitted) -> the row the history keeps. */
import type { QuerySubmitted } from '../routing/request-router.js';
import type { QueryRecord } from './query-record.js';

const NO_TAGS: readonly string[] = [];

export function toQueryRecord(query: QuerySubmitted): QueryRecord {
  const decision = query.decision?.outcome === 'routed' ? query.decision : undefined;
  const facts = query.facts;
  return {
    queryId: query.queryId,
    backend: query.backend,
    group: decision?.group ?? null,
    rule: decision?.rule ?? null,
    mechanism: query.mechanism,
    user: facts?.user ?? null,
    source: facts?.source ?? null,
    clientTags: facts?.clientTags ?? NO_TAGS,
    submittedAt: query.at,
  };
}
