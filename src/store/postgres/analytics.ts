import { METADATA_COLUMN } from '../../fields/registry.ts';
import type { AnalyticsDialect } from '../sql/analytics.ts';
import { postgresDialect } from './dialect.ts';

const d = postgresDialect;

/** PostgreSQL's analytics dialect: width_bucket over the starts, percentile_disc over an array of fractions. */
export const postgresAnalyticsDialect: AnalyticsDialect = {
  base: d,
  // width_bucket(x, thresholds) is the 1-based count of thresholds ≤ x.
  bucketIndex: (params, ts, starts) => `(width_bucket(${ts}, ${d.param(params, starts)}::int8[]) - 1)`,
  // One sort per group gives every fraction; the rank is ceil(q * n) in float8, as SQLite's computes it.
  percentiles: (params, column, fractions) => `percentile_disc(${d.param(params, fractions)}::float8[]) WITHIN GROUP (ORDER BY ${column})`,
  percentileAt: (expr, i) => `(${expr})[${i + 1}]`,
  readPercentiles(value, count) {
    if (value === null || value === undefined) return Array.from({ length: count }, () => null);
    return (value as unknown[]).map((v) => (v === null ? null : Number(v)));
  },
  metaKey(params, path) {
    // As the filters reach a value (dialect.ts): a top-level key by ->, a longer path by #>. JSON null is no value.
    const at =
      path.length === 1
        ? `${METADATA_COLUMN} -> ${d.param(params, path[0])}::text`
        : `${METADATA_COLUMN} #> ${d.param(params, path)}::text[]`;
    return `NULLIF((${at})::text, 'null')`;
  },
  codePoint: (expr) => `${expr} COLLATE "C"`,
};
