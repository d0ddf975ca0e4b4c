import { describe, expect, it } from 'vitest';
import { decisionsByOutcome, queriesPerBackend, REFUSED_SERIES } from '../../../src/console/web/plot-data.js';

describe('console plot data', () => {
  const now = Date.parse('2026-12-08T01:00:00Z');
  const at = (minutesAgo: number): string => new Date(now - minutesAgo * 60_000).toISOString();

  it('counts submissions per backend in buckets of the span, refusals as their own series', () => {
    const data = queriesPerBackend([
      { backend: 'trino-a', submittedAt: at(59) },
      { backend: 'trino-a', submittedAt: at(58) },
      { backend: 'trino-b', submittedAt: at(1) },
      { backend: '', outcome: 'no_backend', submittedAt: at(2) },
      { backend: 'trino-b', submittedAt: at(61) },
      { backend: 'trino-b', submittedAt: 'garbage' },
    ], now, 3_600_000, 30 * 60_000);
    expect(data.starts).toEqual([now - 3_600_000, now - 1_800_000]);
    expect([...data.series]).toEqual([[REFUSED_SERIES, [0, 1]], ['trino-a', [2, 0]], ['trino-b', [0, 1]]]);
  });

  it('counts decisions by outcome, most frequent first', () => {
    expect(decisionsByOutcome([{ outcome: 'forwarded' }, { outcome: 'no_backend' }, { outcome: 'forwarded' }, {}])).toEqual([['forwarded', 3], ['no_backend', 1]]);
  });
});
