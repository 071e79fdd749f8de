import { apiGet } from './api.js';
import { bucketStarts } from './dashboard-state.js';

/**
 * What the dashboard shows, read from GET /api/records/analytics/ (docs/analytics.md) in five requests, and
 * shaped for the charts: every bucket of the range (empty ones as no value), the top models stacked.
 */

export const TOP_MODELS = 6;
export const TOP_CUSTOMERS = 10;
export const OTHER_MODELS = 'Other models';

/** ISO 8601 without milliseconds, from seconds. */
export const isoOf = (seconds) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/**
 * @param {{ range: [number, number], interval: string }} query
 * @param {AbortSignal} signal
 */
export async function loadDashboard({ range, interval }, signal) {
  const base = { param_a: isoOf(range[0]), end: isoOf(range[1]) };
  const get = (params) => apiGet('/api/records/analytics/', { ...base, ...params }, { signal });
  const [totals, models, modelsOverTime, overTime, customers] = await Promise.all([
    get({ measures: 'count,cost,uncosted_count,tokens_total,latency_p50,latency_p95,error_count,error_rate' }),
    get({ group_by: 'field_4', measures: 'cost,count,tokens_total', order_by: '-cost', limit: 1000 }),
    get({ interval, group_by: 'field_4', measures: 'cost', order_by: '-cost', limit: 1000 }),
    get({ interval, measures: 'count,error_rate,latency_p50,latency_p95,tokens_prompt,tokens_completion' }),
    // Up to 1,000 customers, the top ones kept here: the rest are summed below, as the API's "other" row would be
    // (on PostgreSQL that row made the scan take seconds at 100,000 records).
    get({ group_by: 'field_10', measures: 'cost,count,tokens_total', order_by: '-cost', limit: 1000 }),
  ]);
  const starts = bucketStarts(interval, range);
  const index = new Map(starts.map((s, i) => [s, i]));
  const at = (row) => index.get(Date.parse(row.bucket) / 1000);
  const column = (rows, measure) => {
    const values = starts.map(() => /** @type {number | null} */ (null));
    for (const row of rows) if (at(row) !== undefined) values[/** @type {number} */ (at(row))] = row[measure];
    return values;
  };

  const top = models.results.filter((r) => !r.other).slice(0, TOP_MODELS);
  const topNames = top.map((r) => r.group.field_4);
  const stack = topNames.map(() => starts.map(() => /** @type {number | null} */ (null)));
  const rest = starts.map(() => /** @type {number | null} */ (null));
  for (const row of modelsOverTime.results) {
    const i = at(row);
    if (i === undefined || row.cost === null) continue;
    const k = row.other ? -1 : topNames.indexOf(row.group.field_4);
    const target = k === -1 ? rest : stack[k];
    target[i] = (target[i] ?? 0) + row.cost;
  }
  return {
    source: [totals, models, modelsOverTime, overTime, customers].every((r) => r.source === 'rollup') ? 'rollup' : 'scan',
    totals: totals.results[0] ?? null,
    models: models.results,
    starts,
    costByModel: {
      names: topNames,
      series: stack,
      other: models.results.length > top.length ? rest : null,
    },
    overTime: {
      count: column(overTime.results, 'count'),
      errorRate: column(overTime.results, 'error_rate'),
      p50: column(overTime.results, 'latency_p50'),
      p95: column(overTime.results, 'latency_p95'),
      prompt: column(overTime.results, 'tokens_prompt'),
      completion: column(overTime.results, 'tokens_completion'),
    },
    customers: topAndRest(customers.results, TOP_CUSTOMERS),
  };
}

/** Sums of a measure over rows: null when no row has a value (as the API's sums are). */
const sum = (rows, measure) => rows.reduce((total, r) => (r[measure] === null ? total : (total ?? 0) + r[measure]), null);

/** The first n groups, and one "other" row (as the API makes it) summing every later one, when there are any. */
export function topAndRest(rows, n) {
  const groups = rows.filter((r) => !r.other);
  const rest = [...groups.slice(n), ...rows.filter((r) => r.other)];
  if (rest.length === 0) return groups;
  const group = Object.fromEntries(Object.keys(rest[0].group).map((k) => [k, null]));
  const other = {
    bucket: rest[0].bucket,
    group,
    other: true,
    count: sum(rest, 'count') ?? 0,
    cost: sum(rest, 'cost'),
    tokens_total: sum(rest, 'tokens_total'),
  };
  return [...groups.slice(0, n), other];
}
