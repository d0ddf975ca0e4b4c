/** A routed query (QuerySubmitted) or a refused submission (SubmissionRefused) -> the row the history keeps. */
import { randomUUID } from 'node:crypto';
import { FORWARDED } from '../routing/replies.js';
import type { QuerySubmitted, SubmissionRefused } from '../routing/request-router.js';
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
    outcome: FORWARDED,
    message: null,
  };
}

/** Prefix of the ids the router gives refusals: Trino's ids start with a date, so they never collide. */
export const REFUSAL_ID_PREFIX = 'refused_';

export function refusalRecord(refusal: SubmissionRefused): QueryRecord {
  const decision = refusal.decision;
  const facts = refusal.facts;
  return {
    queryId: `${REFUSAL_ID_PREFIX}${randomUUID().replaceAll('-', '')}`,
    backend: null,
    // The group the rules sent it to first: the one an operator looks at.
    group: decision?.outcome === 'rejected' ? decision.attempts[0]?.group ?? null : null,
    rule: decision?.rule ?? null,
    mechanism: 'rules',
    user: facts?.user ?? null,
    source: facts?.source ?? null,
    clientTags: facts?.clientTags ?? NO_TAGS,
    submittedAt: refusal.at,
    statement: refusal.statement === undefined ? null : statementSummary(refusal.statement),
    queuedMs: null,
    outcome: refusal.reason,
    message: refusal.message,
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
