import type { AnalyticsParams } from '../query/analytics-params.ts';
import { bucketLabel, formatInZone } from '../query/calendar.ts';
import type { AnalyticsData, AnalyticsQuery, GroupValue } from '../store/analytics-types.ts';
import { planRollup } from './rollup-plan.ts';
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

/** From the rollups when a table can serve the request and holds every record (rollup-plan.ts), else the scan. */
async function answer(store: Store, orgId: string, q: AnalyticsQuery): Promise<AnalyticsData> {
  const read = planRollup(q);
  const rows = read ? await store.rollupAnalytics(orgId, read, q) : null;
  if (rows) return { source: 'rollup', rows };
  return store.analytics(orgId, q);
}

export function createAnalyticsService(store: Store): AnalyticsService {
  return {
    async analytics(orgId, p) {
      const query: AnalyticsQuery = {
        conditions: p.conditions,
        start: p.start,
        end: p.end,
        bucketStarts: p.bucketStarts,
        groupBy: p.groupBy,
        measures: p.measures,
        orderBy: p.orderBy,
        limit: p.limit,
      };
      const { source, rows } = await answer(store, orgId, query);
      const utc = isUtc(p.tz);
      // A bucket is named by its start as date_trunc gives it (bucketLabel), once per bucket.
      const names = new Map<number, string>();
      const nameOf = (boundary: number): string => {
        let name = names.get(boundary);
        if (name === undefined) {
          const ms = boundary / 1000;
          name = formatInZone(p.tz, utc || p.interval === null ? ms : bucketLabel(p.tz, p.interval, ms), utc);
          names.set(boundary, name);
        }
        return name;
      };
      const results = rows.map((row) => ({
        bucket: row.bucket === null ? null : nameOf(row.bucket),
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
