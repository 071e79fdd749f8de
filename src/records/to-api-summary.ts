import type { SummaryData } from '../store/summary-types.ts';
import { formatTimestamp } from '../time.ts';

/** The wire form of a summary: timestamps as ISO 8601, the bucket width in seconds, the error rate derived. */
export function toApiSummary(s: SummaryData) {
  const iso = (us: number | null) => (us === null ? null : formatTimestamp(us));
  return {
    count: s.count,
    total_cost: s.totalCost,
    uncosted_count: s.uncostedCount,
    total_tokens: s.totalTokens,
    latency_p50: s.latencyP50,
    latency_p95: s.latencyP95,
    error_count: s.errorCount,
    error_rate: s.count === 0 ? null : s.errorCount / s.count,
    first_timestamp: iso(s.firstTs),
    last_timestamp: iso(s.lastTs),
    bucket_seconds: s.bucketUs === null ? null : s.bucketUs / 1_000_000,
    buckets: s.buckets.map((b) => ({ start: formatTimestamp(b.start), count: b.count, cost: b.cost })),
  };
}

export type ApiSummary = ReturnType<typeof toApiSummary>;
