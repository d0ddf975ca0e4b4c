/**
 * The shipped Grafana dashboard must only chart what the router exports: every metric name in
 * every query is registered by RouterMetrics (histogram series with their suffixes), and every
 * label it groups or filters by exists on that metric.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_STATES, METRIC_NAMES, RouterMetrics } from '../../../src/observability/metrics.js';

const GRAFANA_DIR = resolve(import.meta.dirname, '../../../deploy/grafana');
/** Added by Prometheus at scrape time, not by the router. */
const TARGET_LABELS = ['job', 'instance'];

interface Exported {
  /** Series name -> the labels it carries. */
  readonly series: Map<string, Set<string>>;
}

async function exportedSeries(): Promise<Exported> {
  const metrics = new RouterMetrics();
  const series = new Map<string, Set<string>>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    const single = metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames?: readonly string[] };
    const labels = new Set([...(single.labelNames ?? []), ...TARGET_LABELS]);
    const type = String(metric.type);
    if (type === 'histogram') {
      series.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else if (type === 'summary') {
      series.set(metric.name, new Set([...labels, 'quantile']));
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else {
      series.set(metric.name, labels);
    }
  }
  return { series };
}

interface Query {
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL expression in a dashboard: panel targets (rows included) and template variables. */
function queriesOf(dashboard: Record<string, unknown>): Query[] {
  const queries: Query[] = [];
  const visitPanels = (panels: unknown): void => {
    for (const panel of (panels as Record<string, unknown>[] | undefined) ?? []) {
      for (const target of (panel.targets as Record<string, unknown>[] | undefined) ?? []) {
        queries.push({ where: `panel "${String(panel.title)}" target ${String(target.refId)}`, expr: String(target.expr) });
      }
      visitPanels(panel.panels);
    }
  };
  visitPanels(dashboard.panels);
  const variables = ((dashboard.templating as { list?: Record<string, unknown>[] } | undefined)?.list ?? []);
  for (const variable of variables) {
    if (variable.type !== 'query') continue;
    const query = variable.query as { query?: string } | string;
    queries.push({ where: `variable ${String(variable.name)}`, expr: typeof query === 'string' ? query : String(query.query) });
  }
  return queries;
}

const METRIC_TOKEN = /\b((?:trino_router|process|nodejs)_[a-zA-Z0-9_]+)\b/g;
const GROUPING = /\b(?:by|without)\s*\(([^)]*)\)/g;
const MATCHER = /\b([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"/g;

function dashboards(): { file: string; json: Record<string, unknown> }[] {
  return readdirSync(GRAFANA_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8')) as Record<string, unknown> }));
}

describe('Grafana dashboards in deploy/grafana', () => {
  const all = dashboards();

  it('exist and have queries', () => {
    expect(all.map((d) => d.file)).toContain('trino-envoy-router.json');
    for (const { json } of all) expect(queriesOf(json).length).toBeGreaterThan(10);
  });

  it('reference only metric series the router exports', async () => {
    const { series } = await exportedSeries();
    const unknown: string[] = [];
    for (const { file, json } of all) {
      for (const query of queriesOf(json)) {
        const names = [...query.expr.matchAll(METRIC_TOKEN)].map((m) => m[1]!);
        expect(names.length, `${file}: ${query.where} names no router metric`).toBeGreaterThan(0);
        for (const name of names) if (!series.has(name)) unknown.push(`${file}: ${query.where}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('group and filter only by labels those metrics carry', async () => {
    const { series } = await exportedSeries();
    const problems: string[] = [];
    for (const { file, json } of all) {
      for (const query of queriesOf(json)) {
        const names = [...query.expr.matchAll(METRIC_TOKEN)].map((m) => m[1]!);
        const labels = new Set(names.flatMap((name) => [...(series.get(name) ?? [])]));
        const used = [
          ...[...query.expr.matchAll(GROUPING)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()).filter((l) => l !== '')),
          ...[...query.expr.matchAll(MATCHER)].map((m) => m[1]!),
        ];
        for (const label of used) if (!labels.has(label)) problems.push(`${file}: ${query.where}: label ${label} not on ${names.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('charts what operators look at first: traffic by backend, p50/p95/p99 latency, backend health, errors', () => {
    const exprs = all.flatMap(({ json }) => queriesOf(json).map((q) => q.expr)).join('\n');
    expect(exprs).toMatch(new RegExp(`sum by \\(backend\\) \\(rate\\(${METRIC_NAMES.routingDecisions}`));
    for (const quantile of ['0.5', '0.95', '0.99']) {
      expect(exprs).toContain(`histogram_quantile(${quantile}, sum by (le) (rate(${METRIC_NAMES.decisionDuration}_bucket`);
    }
    expect(exprs).toContain(METRIC_NAMES.backendState);
    expect(exprs).toContain(METRIC_NAMES.edgeErrors);
  });

  it('the backend state timeline knows every state, and only real ones', () => {
    const dashboard = all.find((d) => d.file === 'trino-envoy-router.json')!.json;
    const panel = (dashboard.panels as Record<string, unknown>[]).find((p) => p.type === 'state-timeline')!;
    const expr = String((panel.targets as { expr: string }[])[0]!.expr);
    const states = [...expr.matchAll(/state="([a-z_]+)"/g)].map((m) => m[1]);
    expect([...states].sort()).toEqual([...BACKEND_STATES].sort());
    const mappings = (panel.fieldConfig as { defaults: { mappings: { options: Record<string, { text: string }> }[] } }).defaults.mappings;
    expect(mappings.flatMap((m) => Object.values(m.options).map((o) => o.text)).sort()).toEqual([...BACKEND_STATES].sort());
  });

  it('panel ids are unique and every panel sits on the 24-column grid', () => {
    for (const { json } of all) {
      const panels = json.panels as { id: number; gridPos: { x: number; w: number; h: number } }[];
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
        expect(panel.gridPos.h).toBeGreaterThan(0);
      }
    }
  });
});
