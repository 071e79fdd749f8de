import type { Store } from '../store/types.ts';
import type { SummaryData, SummaryQuery } from '../store/summary-types.ts';
import type { Measure } from '../query/analytics-params.ts';
import type { AnalyticsQuery } from '../store/analytics-types.ts';
import { planRollup } from './rollup-plan.ts';
import { floorTo, HOUR_US } from '../store/rollup/tables.ts';
import { bucketWidth } from '../store/sql/summary.ts';

/**
 * The explorer's summary from the hourly rollups (docs/analytics.md, "The explorer's summary"), when they can give it
 * exactly: no filters, a start time (if any) on a whole hour, and a chart whose bucket width is whole hours (records
 * spread over more than ~2.5 days). The first and last timestamps come from two index seeks; the rest from the
 * rollup rows of those hours (two reads: the totals with the latency sketch, the buckets without); latency
 * percentiles (p50, p95: the summary's) from the sketches, within 1%. Null: the scan answers.
 */
export async function summaryFromRollups(store: Store, orgId: string, q: SummaryQuery): Promise<SummaryData | null> {
  if (q.conditions.length > 0 || (q.since !== null && q.since % HOUR_US !== 0)) return null;
  const range = await store.timeRange(orgId, q.since);
  if (range === null) return null;
  const width = bucketWidth(range.first, range.last);
  if (width % HOUR_US !== 0) return null;
  const firstBucket = floorTo(range.first, width);
  const starts = Array.from({ length: Math.floor((range.last - firstBucket) / width) + 1 }, (_, i) => firstBucket + i * width);
  const from = floorTo(range.first, HOUR_US);
  const to = floorTo(range.last, HOUR_US) + HOUR_US;
  const ask = (measures: Measure[], bucketStarts: number[] | null) => {
    const query: AnalyticsQuery = {
      conditions: [],
      start: from,
      end: to,
      bucketStarts,
      groupBy: [],
      measures,
      orderBy: { measure: 'count', descending: true },
      limit: 1,
    };
    const read = planRollup(query);
    return read === null ? null : store.rollupAnalytics(orgId, read, query);
  };
  // Two reads: the totals with the merged latency sketch (whole days from rollups_day), the chart's buckets without.
  const totals = await ask(['count', 'cost', 'uncosted_count', 'tokens_total', 'error_count', 'latency_p50', 'latency_p95'], null);
  const perBucket = totals === null ? null : await ask(['count', 'cost'], starts);
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
