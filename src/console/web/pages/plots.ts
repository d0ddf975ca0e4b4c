/**
 * Plots of the last hour of the query history: submissions per backend in 5-minute bars,
 * stacked, and decisions by outcome. Drawn as SVG (no plotting library), redrawn every 10 s.
 */
import { h, replace, time } from '../dom.js';
import type { Page } from '../page.js';
import { decisionsByOutcome, queriesPerBackend, REFUSED_SERIES, type BucketSeries } from '../plot-data.js';
import type { QueryRecord } from './queries.js';

const SVG = 'http://www.w3.org/2000/svg';
const HOUR_MS = 3_600_000;
const BUCKET_MS = 5 * 60_000;
/** ListQueries' ceiling: busier hours are drawn from their newest 10,000 submissions. */
const MAX_ROWS = 10_000;

function svg(tag: string, attributes: Record<string, string | number>, ...children: (SVGElement | string)[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

/** Series colours from the stylesheet: series-0 ... by the backend's place among the backends, red for refusals. */
function seriesClass(name: string, index: number): string {
  return name === REFUSED_SERIES ? 'series-refused' : `series-${index % 6}`;
}

/** Each series' colour class, by name (refusals do not take a backend's colour). */
function seriesClasses(names: Iterable<string>): Map<string, string> {
  const classes = new Map<string, string>();
  let index = 0;
  for (const name of names) classes.set(name, seriesClass(name, name === REFUSED_SERIES ? 0 : index++));
  return classes;
}

function stackedBars(data: BucketSeries): SVGElement {
  const width = 720, height = 220, left = 36, bottom = 24;
  const totals = data.starts.map((_, i) => [...data.series.values()].reduce((sum, counts) => sum + (counts[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const slot = (width - left) / Math.max(1, data.starts.length);
  const scale = (height - bottom - 8) / max;
  const classes = seriesClasses(data.series.keys());
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'plot', role: 'img', 'aria-label': 'queries per backend over the last hour' });
  chart.append(svg('text', { x: 0, y: 12, class: 'axis' }, String(max)), svg('text', { x: 0, y: height - bottom, class: 'axis' }, '0'));
  data.starts.forEach((start, i) => {
    let y = height - bottom;
    [...data.series].forEach(([name, counts]) => {
      const value = counts[i] ?? 0;
      if (value === 0) return;
      const barHeight = value * scale;
      y -= barHeight;
      chart.append(svg('rect', { x: left + i * slot + 2, y, width: slot - 4, height: barHeight, class: classes.get(name) ?? 'series-0' }, svg('title', {}, `${name}: ${value} from ${time(new Date(start).toISOString())}`)));
    });
    if (i % 3 === 0) chart.append(svg('text', { x: left + i * slot, y: height - 6, class: 'axis' }, time(new Date(start).toISOString()).slice(11, 16)));
  });
  return chart;
}

function horizontalBars(entries: readonly [string, number][]): SVGElement {
  const width = 720, row = 26, labelWidth = 200;
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${Math.max(1, entries.length) * row + 4}`, class: 'plot', role: 'img', 'aria-label': 'decisions by outcome' });
  entries.forEach(([outcome, count], i) => {
    const y = i * row + 4;
    chart.append(
      svg('text', { x: 0, y: y + 15, class: 'label' }, outcome),
      svg('rect', { x: labelWidth, y, width: Math.max(2, (count / max) * (width - labelWidth - 60)), height: row - 8, class: outcome === 'forwarded' ? 'series-0' : 'series-refused' }),
      svg('text', { x: labelWidth + (count / max) * (width - labelWidth - 60) + 6, y: y + 15, class: 'label' }, String(count)));
  });
  return chart;
}

export const plotsPage: Page = {
  id: 'plots',
  title: 'Plots',
  refreshMs: 10_000,
  async render(context) {
    const now = Date.now();
    const list = await context.api.call<{ queries?: QueryRecord[] }>('QueryService/ListQueries', { from: new Date(now - HOUR_MS).toISOString(), limit: MAX_ROWS });
    const rows = list.queries ?? [];
    const perBackend = queriesPerBackend(rows, now, HOUR_MS, BUCKET_MS);
    const classes = seriesClasses(perBackend.series.keys());
    const legend = h('ul', { class: 'legend' }, [...classes].map(([name, colour]) => h('li', {}, h('span', { class: `swatch ${colour}` }), name)));
    replace(context.root,
      h('h2', {}, 'Queries per backend, last hour'),
      rows.length >= MAX_ROWS ? h('p', { class: 'muted' }, `Drawn from the newest ${MAX_ROWS} submissions.`) : null,
      h('figure', { id: 'plot-backends' }, stackedBars(perBackend), legend),
      h('h2', {}, 'Decisions by outcome, last hour'),
      h('figure', { id: 'plot-outcomes' }, rows.length === 0 ? h('p', { class: 'muted' }, 'No queries in the last hour.') : horizontalBars(decisionsByOutcome(rows))));
  },
};
