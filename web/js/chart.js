import { el, fill, svg } from './dom.js';
import { formatCompact, formatCost, formatTime } from './format.js';

const H = 170;
const PAD = { left: 44, right: 56, top: 12, bottom: 24 };

/** A "nice" axis maximum at or above n: 1, 2 or 5 times a power of ten. */
function niceMax(n) {
  if (!(n > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= n) ?? 10 * p;
}

/**
 * Records (bars, left axis) and cost (line, right axis) per time bucket, drawn as inline SVG.
 * @param {HTMLElement} container
 * @param {{ start: string, count: number, cost: number | null }[]} buckets
 */
export function renderChart(container, buckets) {
  if (buckets.length === 0) {
    fill(container, el('p', { class: 'empty' }, 'No records in this view.'));
    return;
  }
  // One SVG unit per CSS pixel, so labels keep their size at any width.
  const W = Math.max(360, Math.round(container.clientWidth || 720));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxCount = niceMax(Math.max(...buckets.map((b) => b.count)));
  const maxCost = niceMax(Math.max(0, ...buckets.map((b) => b.cost ?? 0)));
  const step = plotW / buckets.length;
  const barW = Math.max(1, Math.min(step * 0.8, 48));
  const x = (i) => PAD.left + i * step;
  const yCount = (n) => PAD.top + plotH - (n / maxCount) * plotH;
  const yCost = (c) => PAD.top + plotH - (c / maxCost) * plotH;
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const busiest = buckets.reduce((a, b) => (b.count > a.count ? b : a));
  const description = `${total} records from ${formatTime(buckets[0].start)} to ${formatTime(buckets[buckets.length - 1].start)} UTC; the busiest bucket, starting ${formatTime(busiest.start)}, has ${busiest.count}.`;

  const bars = buckets.map((b, i) =>
    svg(
      'rect',
      {
        class: 'bar',
        x: x(i) + (step - barW) / 2,
        y: yCount(b.count),
        width: barW,
        height: Math.max(0, PAD.top + plotH - yCount(b.count)),
      },
      svg('title', null, `${formatTime(b.start)} UTC: ${b.count} records, ${formatCost(b.cost)}`),
    ),
  );
  const points = buckets.map((b, i) => `${x(i) + step / 2},${yCost(b.cost ?? 0)}`).join(' ');
  const label = (attrs, text) => svg('text', { class: 'label', ...attrs }, text);
  fill(
    container,
    svg(
      'svg',
      { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Records and cost over time. ${description}` },
      svg('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
      svg('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: PAD.top, y2: PAD.top }),
      ...bars,
      svg('polyline', { class: 'cost-line', points }),
      label({ x: PAD.left - 6, y: PAD.top + 4, 'text-anchor': 'end' }, formatCompact(maxCount)),
      label({ x: PAD.left - 6, y: PAD.top + plotH, 'text-anchor': 'end' }, '0'),
      label({ x: W - PAD.right + 6, y: PAD.top + 4 }, maxCost >= 1 ? `$${formatCompact(maxCost)}` : formatCost(maxCost)),
      label({ x: W - PAD.right + 6, y: PAD.top + plotH }, '$0'),
      label({ x: PAD.left, y: H - 6 }, formatTime(buckets[0].start)),
      label({ x: W - PAD.right, y: H - 6, 'text-anchor': 'end' }, formatTime(buckets[buckets.length - 1].start)),
    ),
  );
}
