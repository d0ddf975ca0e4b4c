/**
 * What the plots show, from the query history alone (one definition: the rows ListQueries
 * returns): submissions per backend in time buckets, and decisions by outcome.
 */
export interface HistoryRow {
  readonly backend?: string | undefined;
  readonly outcome?: string | undefined;
  readonly submittedAt?: string | undefined;
}

export interface BucketSeries {
  /** Start of each bucket, ms since the epoch, oldest first. */
  readonly starts: readonly number[];
  /** Per backend (refusals under "refused"), a count per bucket. */
  readonly series: ReadonlyMap<string, readonly number[]>;
}

export const REFUSED_SERIES = 'refused';

export function queriesPerBackend(rows: readonly HistoryRow[], now: number, spanMs: number, bucketMs: number): BucketSeries {
  const count = Math.ceil(spanMs / bucketMs);
  const first = now - count * bucketMs;
  const starts = Array.from({ length: count }, (_, i) => first + i * bucketMs);
  const series = new Map<string, number[]>();
  for (const row of rows) {
    const at = row.submittedAt === undefined ? NaN : Date.parse(row.submittedAt);
    if (!(at >= first && at < now + 1)) continue;
    const index = Math.min(count - 1, Math.floor((at - first) / bucketMs));
    const name = row.backend !== undefined && row.backend !== '' ? row.backend : REFUSED_SERIES;
    let counts = series.get(name);
    if (counts === undefined) series.set(name, (counts = new Array<number>(count).fill(0)));
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return { starts, series: new Map([...series].sort(([a], [b]) => a.localeCompare(b))) };
}

/** [outcome, count], most frequent first. */
export function decisionsByOutcome(rows: readonly HistoryRow[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.outcome ?? 'forwarded', (counts.get(row.outcome ?? 'forwarded') ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
