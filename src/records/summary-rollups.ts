import type { Condition } from '../query/filters.ts';
import type { Store } from '../store/types.ts';
import type { SummaryData, SummaryQuery } from '../store/summary-types.ts';
import type { Measure } from '../query/analytics-params.ts';
import type { AnalyticsQuery } from '../store/analytics-types.ts';
import { planRollup } from './rollup-plan.ts';
import { floorTo, HOUR_US } from '../store/rollup/tables.ts';
import { bucketWidth } from '../store/sql/summary.ts';

/**
 * The explorer's summary from the hourly rollups (docs/analytics.md, "The explorer's summary"), when they can give it
 * exactly: no filters or only filters the hourly rollups hold (type, model, status), a start time (if any) on a whole
 * hour, and a chart whose bucket width is whole hours (records spread over more than ~2.5 days). The first and last
 * timestamps come from two index seeks (filtered: Store.timeRange's filter, two edge hours read); the rest from the
 * rollup rows of those hours (two reads: the totals with the latency sketch, the buckets without); latency
 * percentiles (p50, p95: the summary's) from the sketches, within 1%. Null: the scan answers.
 */
export async function summaryFromRollups(store: Store, orgId: string, q: SummaryQuery): Promise<SummaryData | null> {
  if (q.since !== null && q.since % HOUR_US !== 0) return null;
  let range: { first: number; last: number } | null;
  if (q.conditions.length === 0) range = await store.timeRange(orgId, q.since);
  else {
    // Filters the hourly rollups hold (type, model, status: equality, in, isnull): their first and last timestamps from
    // the rollups and the two edge hours' records (rollups_hour); anything else is a scan, a customer too (its hourly
    // table holds nearly a row per record: the customer index's scan is the faster).
    const read = planRollup(ask(q.conditions, 0, HOUR_US, ['latency_p50'], null));
    if (read === null || read.parts.some((p) => p.table !== 'rollups_hour')) return null;
    range = await store.timeRange(orgId, q.since, { conditions: q.conditions, where: read.where });
  }
  if (range === null) return null;
  const width = bucketWidth(range.first, range.last);
  if (width % HOUR_US !== 0) return null;
  const firstBucket = floorTo(range.first, width);
  const starts = Array.from({ length: Math.floor((range.last - firstBucket) / width) + 1 }, (_, i) => firstBucket + i * width);
  const from = floorTo(range.first, HOUR_US);
  const to = floorTo(range.last, HOUR_US) + HOUR_US;
  const read = (measures: Measure[], bucketStarts: number[] | null) => {
    const query = ask(q.conditions, from, to, measures, bucketStarts);
    const plan = planRollup(query);
    return plan === null ? null : store.rollupAnalytics(orgId, plan, query);
  };
  // Two reads: the totals with the merged latency sketch (whole days from rollups_day), the chart's buckets without.
  const totals = await read(['count', 'cost', 'uncosted_count', 'tokens_total', 'error_count', 'latency_p50', 'latency_p95'], null);
  const perBucket = totals === null ? null : await read(['count', 'cost'], starts);
  if (totals === null || perBucket === null) return null;
  const t = totals[0]?.values ?? {};
  const count = t.count ?? 0;
  const byStart = new Map(perBucket.map((r) => [r.bucket, r.values]));
  return {
    count,
    totalCost: count === 0 ? 0 : (t.cost ?? null),
    uncostedCount: t.uncosted_count ?? 0,
    totalTokens: t.tokens_total ?? 0,
    latencyP50: t.latency_p50 ?? null,
    latencyP95: t.latency_p95 ?? null,
    errorCount: t.error_count ?? 0,
    firstTs: range.first,
    lastTs: range.last,
    bucketUs: width,
    buckets: starts.map((start) => {
      const v = byStart.get(start);
      return { start, count: v?.count ?? 0, cost: v?.cost ?? null };
    }),
  };
}

/** An analytics request over [start, end) with the summary's filters, one answer row (no group). */
function ask(conditions: Condition[], start: number, end: number, measures: Measure[], bucketStarts: number[] | null): AnalyticsQuery {
  return { conditions, start, end, bucketStarts, groupBy: [], measures, orderBy: { measure: 'count', descending: true }, limit: 1 };
}
