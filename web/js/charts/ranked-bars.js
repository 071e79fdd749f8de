import { niceMax } from './nice.js';
import { mountPlot } from './mount.js';
import { fillOf } from './theme.js';
import { uPlot } from './uplot.js';

/**
 * Horizontal bars for a ranking (top customers by cost) with uPlot: one bar per item, largest on top, the
 * item's name on the left axis, the value under the pointer in the legend, a click naming the item.
 *
 * @typedef {{ labels: string[], values: number[], label: string, format: (v: number | null) => string,
 *   color: (theme: import('./theme.js').ChartTheme) => string, emptyText?: string }} RankedSpec
 */

const MAX_LABEL = 22;
const short = (s) => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s);

/**
 * @param {HTMLElement} container
 * @param {{ onPick?: (index: number) => void }} [options]
 */
export function mountRankedBars(container, { onPick } = {}) {
  /** @type {RankedSpec | null} */
  let spec = null;
  const chart = mountPlot(
    container,
    { minWidth: 300, fallbackWidth: 480 },
    (theme, width) => {
      if (!spec) return null;
      if (spec.values.length === 0) return { empty: spec.emptyText ?? 'No records in this range.' };
      return { options: options(spec, theme, width), data: [spec.labels.map((_, i) => i), spec.values] };
    },
    (_plot, index) => onPick?.(index),
  );

  return {
    /** @param {RankedSpec} next */
    update(next) {
      spec = next;
      chart.draw();
    },
    get plot() {
      return chart.plot;
    },
  };
}

/** @returns {any} uPlot's options for a ranking of n items */
function options(s, theme, width) {
  const n = s.values.length;
  const axis = {
    stroke: theme.muted,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, size: 4 },
    font: '11px system-ui, sans-serif',
  };
  return {
    width,
    height: 44 + n * 26,
    padding: [8, 16, 0, 0],
    scales: {
      x: { time: false, ori: 1, dir: -1, range: () => [-0.5, n - 0.5] },
      y: { ori: 0, range: () => [0, niceMax(Math.max(0, ...s.values))] },
    },
    axes: [
      {
        ...axis,
        scale: 'x',
        side: 3,
        grid: { show: false },
        splits: () => s.labels.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => short(s.labels[i] ?? '')),
        size: 150,
        gap: 6,
      },
      { ...axis, scale: 'y', side: 0, values: (_u, splits) => splits.map(s.format), size: 26, space: 70 },
    ],
    series: [
      { label: 'Customer', value: (_u, v) => (v === null || v === undefined ? '—' : (s.labels[v] ?? '—')) },
      {
        label: s.label,
        stroke: s.color(theme),
        fill: fillOf(s.color(theme), theme),
        width: 0,
        paths: uPlot.paths.bars?.({ size: [0.7, 22] }),
        points: { show: false },
        value: (_u, v) => s.format(v),
      },
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
  };
}
