import type { Store } from '../store/types.ts';
import type { SummaryData, SummaryQuery } from '../store/summary-types.ts';
import { SketchSum } from '../store/rollup/sketch.ts';
import { floorTo, HOUR_US } from '../store/rollup/tables.ts';
import { bucketWidth, PERCENTILES } from '../store/sql/summary.ts';

/**
 * The explorer's summary from the hourly rollups (docs/analytics.md, "The explorer's summary"), when they can give it
 * exactly: no filters, a start time (if any) on a whole hour, and a chart whose bucket width is whole hours (records
 * spread over more than ~2.5 days). The first and last timestamps come from two index seeks; the rest from the
 * rollup rows of those hours; latency percentiles from the sketches (within 1%). Null: the scan answers.
 */
export async function summaryFromRollups(store: Store, orgId: string, q: SummaryQuery): Promise<SummaryData | null> {
  if (q.conditions.length > 0 || (q.since !== null && q.since % HOUR_US !== 0)) return null;
  const range = await store.timeRange(orgId, q.since);
  if (range === null) return null;
  const width = bucketWidth(range.first, range.last);
  if (width % HOUR_US !== 0) return null;
  const to = floorTo(range.last, HOUR_US) + HOUR_US;
  const rows = await store.rollups(orgId, { table: 'rollups_hour', from: floorTo(range.first, HOUR_US), to, where: [] });
  if (rows === null) return null;
  const firstBucket = floorTo(range.first, width);
  const buckets = Array.from({ length: Math.floor((range.last - firstBucket) / width) + 1 }, (_, i) => ({
    start: firstBucket + i * width,
    count: 0,
    cost: 0,
    costed: 0,
  }));
  const lat = new SketchSum();
  let [count, costed, cost, tokens, errors] = [0, 0, 0, 0, 0];
  for (const r of rows) {
    const s = r.sums;
    const b = buckets[Math.floor((r.t - firstBucket) / width)];
    if (!b) continue; // stored after the range was read: left out, as the range leaves it out
    count += s.n;
    costed += s.costed;
    cost += s.cost;
    tokens += s.tt;
    errors += s.errors;
    b.count += s.n;
    b.cost += s.cost;
    b.costed += s.costed;
    lat.add(r.lat);
  }
  return {
    count,
    totalCost: count === 0 ? 0 : costed === 0 ? null : cost,
    uncostedCount: count - costed,
    totalTokens: tokens,
    latencyP50: lat.quantile(PERCENTILES[0]),
    latencyP95: lat.quantile(PERCENTILES[1]),
    errorCount: errors,
    firstTs: range.first,
    lastTs: range.last,
    bucketUs: width,
    buckets: buckets.map((b) => ({ start: b.start, count: b.count, cost: b.costed > 0 ? b.cost : null })),
  };
}
