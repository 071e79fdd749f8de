import type { AnalyticsParams } from '../query/analytics-params.ts';
import { formatInZone } from '../query/calendar.ts';
import type { GroupValue } from '../store/analytics-types.ts';
import type { Store } from '../store/types.ts';
import { formatTimestamp } from '../time.ts';

/** The reply of docs/analytics.md. */
export interface ApiAnalytics {
  param_a: string;
  end: string;
  interval: string | null;
  tz: string;
  group_by: string[];
  source: 'rollup' | 'scan';
  results: Record<string, unknown>[];
}

export interface AnalyticsService {
  analytics(orgId: string, params: AnalyticsParams): Promise<ApiAnalytics>;
}

/** True for the names of UTC itself, whose buckets are written with "Z" rather than "+00:00". */
const isUtc = (tz: string) => ['UTC', 'ETC/UTC'].includes(tz.toUpperCase());

export function createAnalyticsService(store: Store): AnalyticsService {
  return {
    async analytics(orgId, p) {
      const { source, rows } = await store.analytics(orgId, {
        conditions: p.conditions,
        start: p.start,
        end: p.end,
        bucketStarts: p.bucketStarts,
        groupBy: p.groupBy,
        measures: p.measures,
        orderBy: p.orderBy,
        limit: p.limit,
      });
      const utc = isUtc(p.tz);
      const results = rows.map((row) => ({
        bucket: row.bucket === null ? null : formatInZone(p.tz, row.bucket / 1000, utc),
        group: Object.fromEntries(p.groupBy.map((g, i): [string, GroupValue] => [g.name, row.group[i]])),
        ...row.values,
        ...(row.other ? { other: true } : {}),
      }));
      return {
        param_a: formatTimestamp(p.start),
        end: formatTimestamp(p.end),
        interval: p.interval,
        tz: p.tz,
        group_by: p.groupBy.map((g) => g.name),
        source,
        results,
      };
    },
  };
}
