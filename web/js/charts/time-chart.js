import { niceMax } from './nice.js';
import { mountPlot } from './mount.js';
import { fillOf } from './theme.js';
import { bucketLabel, timeTicks } from './time-axis.js';
import { uPlot } from './uplot.js';

/**
 * A chart over time buckets with uPlot: bars (optionally stacked) and lines, on a left and an optional right
 * scale, with real time and value ticks, the values under the pointer in the legend, and a click that names
 * the bucket (and, on a stack, the series) under the pointer.
 *
 * @typedef {{ label: string, values: (number | null)[], color: string, kind: 'bar' | 'line', scale?: 'y' | 'y2',
 *   stack?: boolean, dash?: number[], format: (v: number | null) => string }} TimeSeries
 * @typedef {{ starts: number[], bucketSeconds: number, range: [number, number], series: TimeSeries[],
 *   y: { format: (v: number) => string, label?: string, integer?: boolean }, y2?: { format: (v: number) => string, label?: string, max?: number },
 *   height?: number, emptyText?: string }} TimeSpec
 * @typedef {(theme: import('./theme.js').ChartTheme) => TimeSpec} BuildSpec
 */

/**
 * Mounts a chart in a container; update() draws it from a spec built for the current colours. It is drawn
 * again when the colour scheme changes and resized with its container.
 * @param {HTMLElement} container
 * @param {{ onPick?: (index: number, seriesIndex: number | null) => void }} [options]
 */
export function mountTimeChart(container, { onPick } = {}) {
  /** @type {BuildSpec | null} */
  let build = null;
  /** @type {TimeSpec | null} */
  let spec = null;
  const chart = mountPlot(
    container,
    { minWidth: 320, fallbackWidth: 640 },
    (theme, width) => {
      if (!build) return null;
      spec = build(theme);
      if (!spec.series.some((s) => s.values.some((v) => v !== null))) return { empty: spec.emptyText ?? 'No records in this range.' };
      return { options: options(spec, theme, width), data: data(spec) };
    },
    (plot, index) => {
      if (onPick && spec) onPick(index, seriesAt(plot, spec, index));
    },
  );

  return {
    /** @param {BuildSpec} next */
    update(next) {
      build = next;
      chart.draw();
    },
    /** The uPlot instance (for tests and for pointing at a bucket). */
    get plot() {
      return chart.plot;
    },
  };
}

/** Stacked series hold running totals (bottom first); uPlot draws them top first so each stays visible. */
function stacked(spec) {
  const sums = spec.starts.map(() => 0);
  const tops = spec.series.map((s) =>
    s.stack
      ? s.values.map((v, i) => {
          sums[i] += v ?? 0;
          return v === null && sums[i] === 0 ? null : sums[i];
        })
      : s.values,
  );
  return tops;
}

/** uPlot's series order: lines and unstacked bars as given, stacked bars from the top of the stack down. */
function drawOrder(spec) {
  const order = spec.series.map((_, i) => i);
  const stack = order.filter((i) => spec.series[i].stack).reverse();
  return [...stack, ...order.filter((i) => !spec.series[i].stack)];
}

function data(spec) {
  const half = spec.bucketSeconds / 2;
  const tops = stacked(spec);
  return [spec.starts.map((s) => s + half), ...drawOrder(spec).map((i) => tops[i])];
}

/** The series whose segment of the stack is under the pointer, in the spec's order; null off the stack. */
function seriesAt(plot, spec, index) {
  const order = spec.series.map((_, i) => i).filter((i) => spec.series[i].stack);
  if (order.length === 0) return null;
  const value = plot.posToVal(plot.cursor.top ?? -1, 'y');
  let below = 0;
  for (const i of order) {
    const top = below + (spec.series[i].values[index] ?? 0);
    if (value >= below && value < top) return i;
    below = top;
  }
  return null;
}

/** The indexes of values with no value on either side. */
function isolated(values) {
  const missing = (i) => values[i] === null || values[i] === undefined;
  return values.flatMap((_, i) => (!missing(i) && missing(i - 1) && missing(i + 1) ? [i] : []));
}

/** Tick steps for counts: whole numbers only. */
const INTEGER_STEPS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2.5e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9,
];

/** @returns {any} uPlot's options */
function options(spec, theme, width) {
  const tops = stacked(spec);
  const maxOf = (scale) => Math.max(0, ...spec.series.flatMap((s, i) => ((s.scale ?? 'y') === scale ? tops[i].map((v) => v ?? 0) : [])));
  const axis = {
    stroke: theme.muted,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
    font: '11px system-ui, sans-serif',
    labelFont: '11px system-ui, sans-serif',
  };
  const bars = uPlot.paths.bars?.({ size: [0.72, 56], gap: 1 });
  return {
    width,
    height: spec.height ?? 200,
    padding: [12, spec.y2 ? 8 : 22, 0, 4], // room for the last time label
    scales: {
      x: { time: true, range: () => spec.range },
      y: { range: () => [0, niceMax(maxOf('y'))] },
      ...(spec.y2 ? { y2: { range: () => [0, spec.y2?.max ?? niceMax(maxOf('y2'))] } } : {}),
    },
    axes: [
      { ...axis, values: (_u, splits, _i, _space, step) => timeTicks(splits, step), space: 64, size: 42 },
      {
        ...axis,
        scale: 'y',
        values: (_u, splits) => splits.map(spec.y.format),
        incrs: spec.y.integer ? INTEGER_STEPS : undefined,
        size: 58,
        label: spec.y.label,
        labelSize: spec.y.label ? 16 : 0,
      },
      ...(spec.y2
        ? [
            {
              ...axis,
              scale: 'y2',
              side: 1,
              grid: { show: false },
              values: (_u, splits) => splits.map(spec.y2?.format),
              size: 58,
              label: spec.y2.label,
              labelSize: spec.y2.label ? 16 : 0,
            },
          ]
        : []),
    ],
    series: [
      { label: 'Bucket', value: (_u, v) => (v === null ? '—' : bucketLabel(v - spec.bucketSeconds / 2, spec.bucketSeconds)) },
      ...drawOrder(spec).map((i) => {
        const s = spec.series[i];
        return {
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: s.color,
          width: s.kind === 'line' ? 2 : 0,
          dash: s.dash,
          fill: s.kind === 'bar' ? fillOf(s.color, theme) : undefined,
          paths: s.kind === 'bar' ? bars : undefined,
          points: {
            show: s.kind === 'line' && spec.starts.length <= 40,
            // Past 40 buckets only a value between two gaps gets its dot: a line cannot show it.
            filter: (_u, _si, show) => (show || s.kind !== 'line' ? null : isolated(s.values)),
            size: 5,
            fill: s.color,
          },
          spanGaps: false,
          value: (_u, _v, _si, idx) => (idx === null || idx === undefined ? '—' : s.format(s.values[idx] ?? null)),
        };
      }),
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
  };
}
