import { mountTimeChart } from './charts/time-chart.js';
import { el, fill } from './dom.js';
import { formatCompact, formatCost, formatDuration, formatInt, formatTime } from './format.js';

/** The summary's chart: records (bars, left scale) and cost (line, right scale) per time bucket, drawn by uPlot. */

/** @type {WeakMap<HTMLElement, { chart: ReturnType<typeof mountTimeChart>, plotBox: HTMLElement, table: HTMLElement }>} */
const mounted = new WeakMap();

const costTick = (v) => (v === 0 ? '$0' : v >= 1 ? `$${formatCompact(v)}` : formatCost(v));

/** Every bucket from the first to the last, with the ones the summary left out as empty (bounded: 5,000). */
function allBuckets(buckets, bucketSeconds) {
  const known = new Map(buckets.map((b) => [Date.parse(b.start) / 1000, b]));
  const first = Date.parse(buckets[0].start) / 1000;
  const last = Date.parse(buckets[buckets.length - 1].start) / 1000;
  if (!(bucketSeconds > 0) || (last - first) / bucketSeconds > 5000) return [...known.entries()];
  const out = [];
  for (let s = first; s <= last; s += bucketSeconds) out.push([s, known.get(s) ?? { count: 0, cost: 0 }]);
  return out;
}

/**
 * @param {HTMLElement} container
 * @param {{ start: string, count: number, cost: number | null }[]} buckets
 * @param {number | null} [bucketSeconds]
 */
export function renderChart(container, buckets, bucketSeconds = null) {
  let parts = mounted.get(container);
  if (!parts) {
    const plotBox = el('div', { class: 'plot' });
    const table = el('details', { class: 'chart-data' });
    parts = { chart: mountTimeChart(plotBox), plotBox, table };
    mounted.set(container, parts);
  }
  if (buckets.length === 0) {
    container.removeAttribute('role');
    container.removeAttribute('aria-label');
    fill(container, el('p', { class: 'empty' }, 'No records in this view.'));
    return;
  }
  const width = bucketSeconds ?? 60;
  const rows = allBuckets(buckets, width);
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const busiest = buckets.reduce((a, b) => (b.count > a.count ? b : a));
  container.setAttribute('role', 'group');
  container.setAttribute(
    'aria-label',
    `Records and cost over time. ${total} records from ${formatTime(buckets[0].start)} to ${formatTime(buckets[buckets.length - 1].start)} UTC; the busiest bucket, starting ${formatTime(busiest.start)}, has ${busiest.count}.`,
  );
  fill(container, parts.plotBox, parts.table);
  parts.chart.update((theme) => ({
    starts: rows.map(([s]) => s),
    bucketSeconds: width,
    range: [rows[0][0], rows[rows.length - 1][0] + width],
    series: [
      {
        label: `Records per ${formatDuration(width)}`,
        kind: 'bar',
        color: theme.accent,
        values: rows.map(([, b]) => b.count),
        format: formatInt,
      },
      {
        label: 'Cost (USD)',
        kind: 'line',
        scale: 'y2',
        color: theme.warn,
        values: rows.map(([, b]) => (b.count === 0 ? 0 : b.cost)),
        format: formatCost,
      },
    ],
    y: { format: formatCompact, integer: true },
    y2: { format: costTick },
    height: 190,
  }));
  fill(
    parts.table,
    el('summary', null, 'Data'),
    el(
      'table',
      { class: 'data-table' },
      el(
        'thead',
        null,
        el('tr', null, el('th', null, 'Bucket start (UTC)'), el('th', { class: 'num' }, 'Records'), el('th', { class: 'num' }, 'Cost')),
      ),
      el(
        'tbody',
        null,
        ...buckets.map((b) =>
          el(
            'tr',
            { 'data-start': b.start },
            el('td', null, formatTime(b.start)),
            el('td', { class: 'num', 'data-value': String(b.count) }, formatInt(b.count)),
            el('td', { class: 'num', 'data-value': String(b.cost) }, formatCost(b.cost)),
          ),
        ),
      ),
    ),
  );
}
