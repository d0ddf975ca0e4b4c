/** A routed query as the router reports it (QuerySubmitted) -> the row the history keeps. */
import type { QuerySubmitted } from '../routing/request-router.js';
import { tableText } from '../routing/statement-view.js';
import type { StatementOutcome } from '../statement/facts.js';
import type { QueryRecord, StatementSummary } from './query-record.js';

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
    user: facts?.user ?? query.queued?.user ?? null,
    source: facts?.source ?? query.queued?.source ?? null,
    clientTags: facts?.clientTags ?? NO_TAGS,
    submittedAt: query.at,
    statement: query.statement === undefined ? null : statementSummary(query.statement),
    queuedMs: query.queued?.waitedMs ?? null,
  };
}

export function statementSummary(outcome: StatementOutcome): StatementSummary {
  if (outcome.status === 'unknown') return { kind: 'unknown', tablesRead: [], tablesWritten: [], parseMicros: 0, unknownReason: outcome.reason };
  return {
    kind: outcome.facts.kind,
    tablesRead: outcome.facts.tablesRead.map(tableText),
    tablesWritten: outcome.facts.tablesWritten.map(tableText),
    parseMicros: outcome.parseMicros,
    unknownReason: null,
  };
}
