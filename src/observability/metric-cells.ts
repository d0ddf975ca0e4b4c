/**
 * Request-path counting without prom-client's per-call cost. prom-client hashes and
 * validates the label object on every inc/observe (about a microsecond each, plus garbage);
 * here a label set's cell is found through nested maps of the values themselves (tens of
 * nanoseconds, no allocation once the cell exists), and requests bump plain numbers in it. Scrapes read the cells: counters and gauges through prom-client's `collect` hooks,
 * the histogram as a registry metric of its own that prints what prom-client's would.
 */
import type { Metric, Registry } from 'prom-client';

export type Labels<L extends string> = Readonly<Record<L, string>>;

export interface CountCell<L extends string> {
  readonly labels: Labels<L>;
  value: number;
}

/**
 * Count cells addressed by their label values, in labelNames order, through nested maps: the
 * request path looks up strings it already has (hashes cached by V8) and builds no key.
 * At most five labels; values past labelNames.length are ignored.
 */
export class CellTree<L extends string> {
  private readonly root = new Map<string, unknown>();
  private readonly cells: CountCell<L>[] = [];

  constructor(private readonly labelNames: readonly L[]) {
    if (labelNames.length < 1 || labelNames.length > 5) throw new RangeError(`a cell tree takes 1 to 5 labels, got ${labelNames.length}`);
  }

  cell(v0: string, v1 = '', v2 = '', v3 = '', v4 = ''): CountCell<L> {
    const last = this.labelNames.length - 1;
    let node = this.root;
    for (let depth = 0; depth < last; depth++) {
      const value = valueAt(depth, v0, v1, v2, v3, v4);
      let next = node.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const value = valueAt(last, v0, v1, v2, v3, v4);
    let cell = node.get(value) as CountCell<L> | undefined;
    if (cell === undefined) {
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((name, i) => {
        labels[name] = valueAt(i, v0, v1, v2, v3, v4);
      });
      cell = { labels, value: 0 };
      node.set(value, cell);
      this.cells.push(cell);
    }
    return cell;
  }

  values(): readonly CountCell<L>[] {
    return this.cells;
  }
}

function valueAt(index: number, v0: string, v1: string, v2: string, v3: string, v4: string): string {
  switch (index) {
    case 0: return v0;
    case 1: return v1;
    case 2: return v2;
    case 3: return v3;
    default: return v4;
  }
}

export interface HistogramCell<L extends string> {
  readonly labels: Labels<L>;
  /** Per bucket (not cumulative); the last slot counts values above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * A Prometheus histogram whose series are cells: `cell(labels)` once per label set, then
 * `observe(cell, value)` per request (a scan of a dozen bounds, no allocation). Registered
 * on a prom-client Registry, it is exported with `_bucket` (cumulative, `le`), `_sum` and
 * `_count` series like prom-client's own Histogram.
 */
export class CellHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly cells: HistogramCell<L>[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
    bounds: readonly number[],
    registry: Registry,
  ) {
    this.bounds = [...bounds].sort((a, b) => a - b);
    // prom-client's Registry takes any metric that answers get() and reset().
    registry.registerMetric(this as unknown as Metric<string>);
  }

  /** Call once per label set, not per request. */
  cell(labels: Labels<L>): HistogramCell<L> {
    const cell = { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
    this.cells.push(cell);
    return cell;
  }

  observe(cell: HistogramCell<L>, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    cell.counts[i] = (cell.counts[i] ?? 0) + 1;
    cell.sum += value;
    cell.count += 1;
  }

  /** Series with no observation yet are left out, as prom-client does. */
  get(): { name: string; help: string; type: string; aggregator: string; values: ExportedValue[] } {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const cell of this.cells) {
      if (cell.count === 0) continue;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i] ?? 0;
        values.push({ labels: { le: bound, ...cell.labels }, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { le: '+Inf', ...cell.labels }, value: cell.count, metricName: bucketName });
      values.push({ labels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const cell of this.cells) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}
