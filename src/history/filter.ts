/**
 * The admin API's history filter, checked and with its defaults filled in, so the store runs
 * exactly what the contract in query-record.ts promises.
 */
import { InvalidHistoryFilterError } from './errors.js';
import { isRequestOutcome, type RequestOutcome } from '../routing/replies.js';
import type { QueryHistoryFilter } from './query-record.js';

export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 10_000;

export interface ResolvedHistoryFilter {
  readonly user: string | undefined;
  readonly source: string | undefined;
  readonly backend: string | undefined;
  readonly group: string | undefined;
  readonly outcome: RequestOutcome | undefined;
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly limit: number;
}

/** Absent or 0 limit: 100; above 10,000: 10,000; negative, fractional or not a number: refused. */
export function resolveHistoryFilter(filter: QueryHistoryFilter): ResolvedHistoryFilter {
  return {
    user: filter.user,
    source: filter.source,
    backend: filter.backend,
    group: filter.group,
    outcome: outcomeOf(filter.outcome),
    from: timeBound('from', filter.from),
    to: timeBound('to', filter.to),
    limit: resolveLimit(filter.limit),
  };
}

function resolveLimit(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new InvalidHistoryFilterError('limit', `must be a whole number from 0 to ${MAX_HISTORY_LIMIT}`, limit);
  }
  return Math.min(limit, MAX_HISTORY_LIMIT);
}

function timeBound(field: 'from' | 'to', value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value)) throw new InvalidHistoryFilterError(field, 'must be epoch milliseconds', value);
  return value;
}

/** The admin API passes any string: an outcome nobody records is refused, not silently empty. */
function outcomeOf(value: string | undefined): RequestOutcome | undefined {
  if (value === undefined) return undefined;
  if (!isRequestOutcome(value)) throw new InvalidHistoryFilterError('outcome', 'is not an outcome (forwarded, or a router reply reason)', value);
  return value;
}
