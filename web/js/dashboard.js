import { ApiError } from './api.js';
import { mountRankedBars } from './charts/ranked-bars.js';
import { niceMax } from './charts/nice.js';
import { mountTimeChart } from './charts/time-chart.js';
import { isoOf, loadDashboard, OTHER_MODELS } from './dashboard-data.js';
import { dashSearch, intervalOf, intervalSeconds, intervalsFor, PRESETS, rangeOf, readDashState } from './dashboard-state.js';
import { bucketTable, customerTable, modelTable } from './dashboard-tables.js';
import { el, fill } from './dom.js';
import { formatCompact, formatCost, formatInt, formatPercent, formatSeconds } from './format.js';
import { renderSummary } from './summary-view.js';

/**
 * The dashboard tab: spend and quality over a range, from the analytics API. Cost per bucket stacked by model,
 * top customers by cost, latency p50/p95 with the error rate, token volume. Clicking a bar, a point, a model
 * or a customer opens the records table on that filter and time range.
 */

const DAY = 86400;
const NO_MODEL = '(no model)';

/** A filter on the model, or on having none. */
const modelFilter = (model) => ({ field_4: model === null ? { operator: 'isnull', value: [true] } : { operator: '', value: [model] } });
const customerFilter = (customer) => ({
  field_10: customer === null ? { operator: 'isnull', value: [true] } : { operator: '', value: [customer] },
});

const dateOf = (seconds) => isoOf(seconds).slice(0, 10);
const costTick = (v) => (v === 0 ? '$0' : v >= 1 ? `$${formatCompact(v)}` : formatCost(v));
const secondsTick = (v) => (v === 0 ? '0' : formatSeconds(v));

function figure(id, title, note) {
  const plot = el('div', { class: 'plot' });
  const extra = el('div', { class: 'figure-extra' });
  const node = el(
    'figure',
    { class: 'dash-chart', id, 'aria-labelledby': `${id}-title` },
    el('figcaption', null, el('h3', { id: `${id}-title` }, title), note ? el('span', { class: 'muted' }, note) : null),
    plot,
    extra,
  );
  return { node, plot, extra };
}

/**
 * @param {{ root: HTMLElement, serverNow: () => number, onOpenRecords: (view: { since: string, filters: Record<string, any>, sort?: string }) => void }} deps
 */
export function createDashboard({ root, serverNow, onOpenRecords }) {
  const presetButtons = Object.keys(PRESETS).map((p) =>
    el('button', { type: 'button', class: 'secondary small', 'data-preset': p, 'aria-pressed': 'false' }, `Last ${p}`),
  );
  const fromInput = el('input', { id: 'dash-from', type: 'date' });
  const toInput = el('input', { id: 'dash-to', type: 'date' });
  const intervalSelect = el('select', { id: 'dash-interval' });
  const controls = el(
    'form',
    { class: 'dash-controls' },
    el('span', { class: 'presets', role: 'group', 'aria-label': 'Range presets' }, ...presetButtons),
    el('label', { for: 'dash-from' }, 'From'),
    fromInput,
    el('label', { for: 'dash-to' }, 'to'),
    toInput,
    el('span', { class: 'muted' }, '(UTC, inclusive)'),
    el('button', { type: 'submit', class: 'small' }, 'Apply range'),
    el('label', { for: 'dash-interval', class: 'interval-label' }, 'Interval'),
    intervalSelect,
  );
  const error = el('p', { class: 'error-banner', role: 'alert', hidden: true });
  const stats = el('dl', { class: 'stats', id: 'dash-stats' });
  const rangeText = el('span', { class: 'muted', id: 'dash-range', 'aria-live': 'polite' });
  const cost = figure('dash-cost', 'Cost by model', 'stacked per bucket; click a bar to see its records');
  const customers = figure('dash-customers', 'Top customers by cost', 'click a customer to see their records');
  const latency = figure('dash-latency', 'Latency and error rate', 'p50 and p95 per bucket (left), error rate (right)');
  const tokens = figure('dash-tokens', 'Token volume', 'prompt and completion tokens per bucket');
  fill(
    root,
    el(
      'section',
      { class: 'card dash', 'aria-labelledby': 'dash-title', 'aria-busy': 'false' },
      el('div', { class: 'dash-head' }, el('h2', { id: 'dash-title' }, 'Dashboard'), rangeText),
      controls,
      error,
      stats,
      el('div', { class: 'dash-grid' }, cost.node, customers.node, latency.node, tokens.node),
    ),
  );
  const section = /** @type {HTMLElement} */ (root.firstElementChild);

  /** What is on screen: the range, interval and bucket starts the charts were drawn from. */
  let shown = {
    key: '',
    range: /** @type {[number, number]} */ ([0, 0]),
    interval: 'day',
    starts: /** @type {number[]} */ ([]),
    data: null,
  };

  /** The records of one bucket (clamped to the range), or of the whole range. */
  function openRange(filters, index = null, sort = undefined) {
    const [from, to] = shown.range;
    const start = index === null ? from : Math.max(from, shown.starts[index]);
    const end = index === null ? to : Math.min(to, shown.starts[index + 1] ?? to);
    onOpenRecords({ since: isoOf(start), filters: { ...filters, timestamp: { operator: 'lt', value: [isoOf(end)] } }, sort });
  }

  const costChart = mountTimeChart(cost.plot, {
    onPick: (index, series) => {
      const names = shown.data?.costByModel.names ?? [];
      openRange(series !== null && series < names.length ? modelFilter(names[series]) : {}, index);
    },
  });
  const customerChart = mountRankedBars(customers.plot, {
    onPick: (index) => {
      const row = shown.data?.customers.filter((r) => !r.other)[index];
      if (row) openRange(customerFilter(row.group.field_10));
    },
  });
  const latencyChart = mountTimeChart(latency.plot, { onPick: (index) => openRange({}, index, '-field_7') });
  const tokenChart = mountTimeChart(tokens.plot, { onPick: (index) => openRange({}, index) });

  function go(state) {
    history.pushState(null, '', `${location.pathname}${dashSearch(state)}`);
    void show();
  }

  for (const button of presetButtons)
    button.addEventListener('click', () => go({ preset: button.getAttribute('data-preset'), from: '', to: '', interval: null }));
  controls.addEventListener('submit', (event) => {
    event.preventDefault();
    const from = Date.parse(`${fromInput.value}T00:00:00Z`);
    const to = Date.parse(`${toInput.value}T00:00:00Z`) + DAY * 1000;
    if (Number.isNaN(from) || Number.isNaN(to) || from >= to) {
      error.textContent = 'Choose a start date on or before the end date.';
      error.hidden = false;
      return;
    }
    go({ preset: null, from: isoOf(from / 1000), to: isoOf(to / 1000), interval: null }); // a new range picks its interval
  });
  intervalSelect.addEventListener('change', () => go({ ...readDashState(), interval: intervalSelect.value || null }));

  /** Shows the controls for a state and range. */
  function showControls(state, range, interval) {
    for (const b of presetButtons) b.setAttribute('aria-pressed', String(b.getAttribute('data-preset') === state.preset));
    fromInput.value = dateOf(range[0]);
    toInput.value = dateOf(range[1] - 1);
    const allowed = intervalsFor(range);
    fill(intervalSelect, el('option', { value: '' }, `Auto (${interval})`), ...allowed.map((i) => el('option', { value: i }, i)));
    intervalSelect.value = state.interval && allowed.includes(/** @type {any} */ (state.interval)) ? state.interval : '';
  }

  let controller = /** @type {AbortController | null} */ (null);
  /** Loads and draws the dashboard for the state in the URL (again only when it changed, or when forced). */
  async function show(force = false) {
    const state = readDashState();
    const range = rangeOf(state, serverNow());
    const interval = intervalsFor(range).includes(/** @type {any} */ (intervalOf(state, range))) ? intervalOf(state, range) : 'month';
    const key = JSON.stringify([range, interval]);
    showControls(state, range, interval);
    if (key === shown.key && !force) return;
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    section.setAttribute('aria-busy', 'true');
    rangeText.textContent = `${isoOf(range[0]).replace('T', ' ').replace('Z', '')} to ${isoOf(range[1]).replace('T', ' ').replace('Z', '')} UTC, per ${interval}`;
    try {
      const data = await loadDashboard({ range, interval }, mine.signal);
      error.hidden = true;
      shown = { key, range, interval, starts: data.starts, data };
      draw(data, range, interval);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 401) location.reload();
      error.textContent = e instanceof Error ? e.message : String(e);
      error.hidden = false;
    } finally {
      if (controller === mine) section.setAttribute('aria-busy', 'false');
    }
  }

  function draw(data, range, interval) {
    const t = data.totals;
    renderSummary(stats, {
      count: t?.count ?? 0,
      total_cost: t?.cost ?? null,
      uncosted_count: t?.uncosted_count ?? 0,
      total_tokens: t?.tokens_total ?? null,
      latency_p50: t?.latency_p50 ?? null,
      latency_p95: t?.latency_p95 ?? null,
      error_rate: t?.error_rate ?? null,
      error_count: t?.error_count ?? 0,
    });
    section.setAttribute('data-source', data.source);
    const width = intervalSeconds(interval);
    const x = {
      starts: data.starts,
      bucketSeconds: width,
      range: /** @type {[number, number]} */ ([data.starts[0] ?? range[0], (data.starts.at(-1) ?? range[1]) + width]),
    };

    costChart.update((theme) => ({
      ...x,
      series: [
        ...data.costByModel.names.map((name, i) => ({
          label: name ?? NO_MODEL,
          kind: /** @type {const} */ ('bar'),
          stack: true,
          color: theme.palette[i % theme.palette.length],
          values: data.costByModel.series[i],
          format: formatCost,
        })),
        ...(data.costByModel.other
          ? [
              {
                label: OTHER_MODELS,
                kind: /** @type {const} */ ('bar'),
                stack: true,
                color: theme.other,
                values: data.costByModel.other,
                format: formatCost,
              },
            ]
          : []),
      ],
      y: { format: costTick },
      height: 230,
    }));
    fill(
      cost.extra,
      modelTable(data.models, data.costByModel.names, (model) => openRange(modelFilter(model))),
    );

    const top = data.customers.filter((r) => !r.other);
    customerChart.update({
      labels: top.map((r) => r.group.field_10 ?? '(no customer)'),
      values: top.map((r) => r.cost ?? 0),
      label: 'Cost',
      format: formatCost,
      color: (theme) => theme.accent,
    });
    fill(
      customers.extra,
      customerTable(data.customers, (customer) => openRange(customerFilter(customer))),
    );

    latencyChart.update((theme) => ({
      ...x,
      series: [
        { label: 'p50', kind: 'line', color: theme.accent, values: data.overTime.p50, format: formatSeconds },
        { label: 'p95', kind: 'line', color: theme.palette[4], values: data.overTime.p95, format: formatSeconds },
        {
          label: 'Error rate',
          kind: 'line',
          scale: 'y2',
          color: theme.error,
          dash: [5, 4],
          values: data.overTime.errorRate,
          format: formatPercent,
        },
      ],
      y: { format: secondsTick },
      y2: { format: formatPercent, max: Math.min(1, niceMax(Math.max(0.01, ...data.overTime.errorRate.map((v) => v ?? 0)))) },
    }));
    fill(
      latency.extra,
      bucketTable(
        'dash-latency-table',
        data.starts,
        width,
        [
          { label: 'p50', values: data.overTime.p50, format: formatSeconds },
          { label: 'p95', values: data.overTime.p95, format: formatSeconds },
          { label: 'Error rate', values: data.overTime.errorRate, format: formatPercent },
        ],
        data.overTime.count,
        (index) => openRange({}, index, '-field_7'),
      ),
    );
    tokenChart.update((theme) => ({
      ...x,
      series: [
        { label: 'Prompt', kind: 'bar', stack: true, color: theme.accent, values: data.overTime.prompt, format: formatInt },
        { label: 'Completion', kind: 'bar', stack: true, color: theme.palette[1], values: data.overTime.completion, format: formatInt },
      ],
      y: { format: formatCompact, integer: true },
    }));
    fill(
      tokens.extra,
      bucketTable(
        'dash-tokens-table',
        data.starts,
        width,
        [
          { label: 'Prompt', values: data.overTime.prompt, format: formatInt },
          { label: 'Completion', values: data.overTime.completion, format: formatInt },
        ],
        data.overTime.count,
        (index) => openRange({}, index),
      ),
    );
  }

  return {
    /** Shows the dashboard for the URL's state: loads again when it was hidden or the state changed. */
    show() {
      const returning = root.hidden; // back from the records tab: records may have arrived since
      root.hidden = false;
      void show(returning);
    },
    hide() {
      root.hidden = true;
      controller?.abort();
    },
  };
}
