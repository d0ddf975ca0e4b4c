import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellHistogram, CellTree } from '../../../src/observability/metric-cells.js';

describe('CellTree', () => {
  it('gives one cell per distinct label values, in labelNames order', () => {
    const tree = new CellTree<'edge' | 'outcome' | 'backend'>(['edge', 'outcome', 'backend']);
    const a = tree.cell('ext_proc', 'forwarded', 'trino-a');
    a.value++;
    tree.cell('ext_proc', 'forwarded', 'trino-a').value++;
    tree.cell('ext_proc', 'forwarded', 'trino-b').value++;
    tree.cell('ext_authz', 'no_backend', '').value++;
    expect(tree.cell('ext_proc', 'forwarded', 'trino-a')).toBe(a);
    expect(tree.values().map((c) => [c.labels, c.value])).toEqual([
      [{ edge: 'ext_proc', outcome: 'forwarded', backend: 'trino-a' }, 2],
      [{ edge: 'ext_proc', outcome: 'forwarded', backend: 'trino-b' }, 1],
      [{ edge: 'ext_authz', outcome: 'no_backend', backend: '' }, 1],
    ]);
  });

  it('does not confuse values that would collide when joined', () => {
    const tree = new CellTree<'a' | 'b'>(['a', 'b']);
    tree.cell('x\u0000y', 'z').value++;
    tree.cell('x', 'y\u0000z').value++;
    expect(tree.values()).toHaveLength(2);
  });

  it('takes one to five labels', () => {
    expect(() => new CellTree([])).toThrow(RangeError);
    expect(() => new CellTree(['a', 'b', 'c', 'd', 'e', 'f'])).toThrow(RangeError);
    const five = new CellTree(['a', 'b', 'c', 'd', 'e']);
    expect(five.cell('1', '2', '3', '4', '5').labels).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '5' });
  });
});

describe('CellHistogram', () => {
  it('prints exactly what prom-client prints for the same observations', async () => {
    const bounds = [0.00001, 0.0001, 0.001, 0.01, 0.1];
    const observations = [0.000005, 0.00001, 0.00002, 0.0004, 0.003, 0.05, 0.1, 0.7, 2];

    const ours = new Registry();
    const histogram = new CellHistogram<'edge' | 'mechanism'>('decision_seconds', 'help text', ['edge', 'mechanism'], bounds, ours);
    const rules = histogram.cell({ edge: 'ext_proc', mechanism: 'rules' });
    histogram.cell({ edge: 'ext_proc', mechanism: 'probe' }); // never observed: left out, as prom-client does
    for (const value of observations) histogram.observe(rules, value);

    const reference = new Registry();
    const promHistogram = new Histogram({ name: 'decision_seconds', help: 'help text', labelNames: ['edge', 'mechanism'], buckets: bounds, registers: [reference] });
    for (const value of observations) promHistogram.observe({ edge: 'ext_proc', mechanism: 'rules' }, value);

    expect(await ours.metrics()).toBe(await reference.metrics());
    expect((await ours.getMetricsAsJSON())[0]).toMatchObject({ name: 'decision_seconds', type: 'histogram' });
  });

  it('counts a value equal to a bound in that bound\'s bucket, and resets', async () => {
    const registry = new Registry();
    const histogram = new CellHistogram<'edge'>('h', 'h', ['edge'], [1, 2], registry);
    const cell = histogram.cell({ edge: 'x' });
    histogram.observe(cell, 1);
    histogram.observe(cell, 2);
    histogram.observe(cell, 3);
    expect(await registry.metrics()).toContain('h_bucket{le="1",edge="x"} 1\nh_bucket{le="2",edge="x"} 2\nh_bucket{le="+Inf",edge="x"} 3\nh_sum{edge="x"} 6\nh_count{edge="x"} 3');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('h_count');
  });
});
