/** The README's metrics table lists every metric the router registers, with its exact labels. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, RouterMetrics } from '../../../src/observability/metrics.js';
import { QUEUE_REPLY_REASONS, ROUTER_ERROR_KINDS } from '../../../src/routing/replies.js';

const README = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');

/** `| \`name\` | type | \`a\`, \`b\` | meaning |` rows of the metrics section. */
function documentedMetrics(): Map<string, { type: string; labels: string[] }> {
  // A subsection of "Operating it": it ends at the next heading of its level or above.
  const start = README.indexOf('\n### Metrics, logs and query history\n');
  expect(start).toBeGreaterThan(0);
  const next = /\n#{2,3} /g;
  next.lastIndex = start + 1;
  const end = next.exec(README)?.index ?? README.length;
  const rows = new Map<string, { type: string; labels: string[] }>();
  for (const line of README.slice(start, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`(trino_router_[a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name === undefined) continue;
    rows.set(name, { type: cells[2] ?? '', labels: [...(cells[3] ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!) });
  }
  return rows;
}

describe('README metrics table', () => {
  it('documents every registered metric with its type and labels, and nothing else', async () => {
    const metrics = new RouterMetrics({ processMetrics: false });
    const documented = documentedMetrics();
    expect([...documented.keys()].sort()).toEqual(Object.values(METRIC_NAMES).sort());
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      const single = metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames: readonly string[] };
      expect(documented.get(metric.name), metric.name).toEqual({ type: String(metric.type), labels: [...single.labelNames] });
    }
  });
});

describe('README outcomes table', () => {
  it('defines every outcome value: forwarded and each reason the router answers itself', () => {
    const start = README.indexOf('**Outcomes**');
    expect(start).toBeGreaterThan(0);
    const rows = README.slice(start).split('\n\n')[1] ?? '';
    const defined = [...rows.matchAll(/^\| `([a-z_]+)` \| [^|]+ \| (.+) \|$/gm)].map((m) => m[1]);
    expect(defined.sort()).toEqual(['forwarded', ...ROUTER_ERROR_KINDS, ...QUEUE_REPLY_REASONS].sort());
  });
});
