import { AppError } from '../../errors.ts';
import { scalarColumn } from '../columns.ts';
import type { Measure } from '../../query/analytics-params.ts';
import type { AnalyticsData, AnalyticsQuery, AnalyticsRow, GroupValue } from '../analytics-types.ts';
import type { Dialect } from './dialect.ts';
import type { RunSql } from './summary.ts';
import { whereSql } from './where.ts';

/**
 * The analytics scan (docs/analytics.md), written once for every store. Two statements at most, each one pass over
 * the matching records' few columns (never a whole record):
 * 1. the measures per bucket and group, the groups ranked within their bucket by order_by (a window), and only the
 *    first `limit` of each bucket returned, with how many groups the bucket has;
 * 2. only when a bucket has more groups than that: the measures of each such bucket over the records of the groups
 *    past the limit together (the "other" row), percentiles included.
 * Buckets are the calendar starts the request computed (query/calendar.ts): a record belongs to the last start at or
 * before it, which both engines find the same way, so both bucket alike whatever their time zone data.
 */

/** What differs between engines for analytics, beside the filters' Dialect. */
export interface AnalyticsDialect {
  base: Dialect;
  /** The 0-based index of the last of `starts` (ascending) at or before ts. */
  bucketIndex(params: unknown[], ts: string, starts: number[]): string;
  /** An aggregate: percentile_disc of the column at each fraction (rank ceil(q·n) of its non-null values). */
  percentiles(params: unknown[], column: string, fractions: readonly number[]): string;
  /** The i-th (0-based) value of a percentiles() result, in SQL. */
  percentileAt(expr: string, i: number): string;
  /** A percentiles() result as read from the driver: one value (or null) per fraction. */
  readPercentiles(value: unknown, count: number): (number | null)[];
  /** The metadata value at path as jsonb's text form; NULL when absent or JSON null. */
  metaKey(params: unknown[], path: string[]): string;
  /** A text expression ordered by code point. */
  codePoint(expr: string): string;
}

/** The most rows an answer holds (buckets × groups): past it the request is refused rather than read into memory. */
export const MAX_ROWS = 50_000;

const column = scalarColumn;
const TS = column('timestamp');
const COST = column('field_6');
const STATUS = column('status');

type PercentileColumn = 'lat_p' | 'ttft_p';
/** The percentile measures: the aggregate they come from and their fraction. */
const PERCENTILE: Partial<Record<Measure, { of: PercentileColumn; q: number }>> = {
  latency_p50: { of: 'lat_p', q: 0.5 },
  latency_p90: { of: 'lat_p', q: 0.9 },
  latency_p95: { of: 'lat_p', q: 0.95 },
  latency_p99: { of: 'lat_p', q: 0.99 },
  ttft_p50: { of: 'ttft_p', q: 0.5 },
  ttft_p95: { of: 'ttft_p', q: 0.95 },
};
const PERCENTILE_SOURCE: Record<PercentileColumn, string> = { lat_p: column('field_7'), ttft_p: column('field_8') };

/** The plain aggregates, by alias, and the measures that read them. */
const AGGREGATES: Record<string, { sql: (x: string) => string; for: Measure[] }> = {
  n: { sql: () => 'count(*)', for: ['count', 'error_rate'] },
  errors: { sql: (x) => `count(CASE WHEN ${x}${STATUS} = 'error' THEN 1 END)`, for: ['error_count', 'error_rate'] },
  uncosted: { sql: (x) => `(count(*) - count(${x}${COST}))`, for: ['uncosted_count'] },
  cost: { sql: (x) => `SUM(${x}${COST})`, for: ['cost'] },
  tp: { sql: (x) => `SUM(${x}${column('sub_field_a')})`, for: ['tokens_prompt'] },
  tc: { sql: (x) => `SUM(${x}${column('sub_field_b')})`, for: ['tokens_completion'] },
  tt: { sql: (x) => `SUM(${x}${column('sub_field_total')})`, for: ['tokens_total'] },
  lat_avg: { sql: (x) => `AVG(${x}${column('field_7')})`, for: ['latency_avg'] },
  rate_avg: { sql: (x) => `AVG(${x}${column('rate')})`, for: ['rate_avg'] },
};

/** The columns x (the matching records) must carry for these measures. */
const SOURCE_COLUMNS: Record<string, string[]> = {
  errors: [STATUS],
  uncosted: [COST],
  cost: [COST],
  tp: [column('sub_field_a')],
  tc: [column('sub_field_b')],
  tt: [column('sub_field_total')],
  lat_avg: [column('field_7')],
  rate_avg: [column('rate')],
  lat_p: [column('field_7')],
  ttft_p: [column('field_8')],
};

/** The aggregates (plain aliases and percentile columns with their fractions) that these measures need. */
function needs(measures: readonly Measure[]): { plain: string[]; percentiles: Map<PercentileColumn, number[]> } {
  const plain = Object.keys(AGGREGATES).filter((alias) => alias === 'n' || AGGREGATES[alias].for.some((m) => measures.includes(m)));
  const percentiles = new Map<PercentileColumn, number[]>();
  for (const m of measures) {
    const p = PERCENTILE[m];
    if (p) percentiles.set(p.of, [...new Set([...(percentiles.get(p.of) ?? []), p.q])]);
  }
  return { plain, percentiles };
}

function aggregateList(d: AnalyticsDialect, params: unknown[], measures: readonly Measure[], x: string): string {
  const { plain, percentiles } = needs(measures);
  const parts = plain.map((alias) => `${AGGREGATES[alias].sql(x)} AS ${alias}`);
  for (const [alias, fractions] of percentiles)
    parts.push(`${d.percentiles(params, `${x}${PERCENTILE_SOURCE[alias]}`, fractions)} AS ${alias}`);
  return parts.join(', ');
}

/** The measure over a grouped row's aggregates, in SQL, for ordering. */
function measureSql(d: AnalyticsDialect, measures: readonly Measure[], m: Measure): string {
  const p = PERCENTILE[m];
  if (p) return d.percentileAt(p.of, needs(measures).percentiles.get(p.of)!.indexOf(p.q));
  if (m === 'error_rate') return '(errors * 1.0 / n)';
  return Object.keys(AGGREGATES).find((alias) => alias !== 'n' && AGGREGATES[alias].for.includes(m)) ?? 'n';
}

/** x: the matching records' bucket, group keys and the columns the measures read. */
function matching(d: AnalyticsDialect, params: unknown[], orgId: string, q: AnalyticsQuery): { sql: string; keys: string[] } {
  const bucket = q.bucketStarts === null ? '0' : d.bucketIndex(params, TS, q.bucketStarts);
  // A group key is 'v' and the value's text, or 'n' without a value: never NULL, so that keys join and compare.
  const keys = q.groupBy.map((_, i) => `k${i}`);
  const keySql = q.groupBy.map(({ target }, i) => {
    const text = target.kind === 'column' ? target.column : d.metaKey(params, target.path);
    return `COALESCE('v' || ${text}, 'n') AS k${i}`;
  });
  const { plain, percentiles } = needs([...q.measures, q.orderBy.measure]);
  const cols = [...new Set([...plain, ...percentiles.keys()].flatMap((alias) => SOURCE_COLUMNS[alias] ?? []))];
  const select = [`${bucket} AS b`, ...keySql, ...cols].join(', ');
  const where = `${whereSql(d.base, params, orgId, q.start, q.conditions, TS, true)} AND ${TS} < ${d.base.param(params, q.end)}`;
  return { sql: `SELECT ${select} FROM records WHERE ${where}`, keys };
}

/** The grouped rows ranked within their bucket (r). */
function ranked(d: AnalyticsDialect, params: unknown[], q: AnalyticsQuery, keys: string[], measures: readonly Measure[]): string {
  const by = ['b', ...keys].join(', ');
  const order = [
    `${measureSql(d, measures, q.orderBy.measure)} ${q.orderBy.descending ? 'DESC' : 'ASC'} NULLS LAST`,
    ...keys.map((k) => d.codePoint(k)),
  ].join(', ');
  return (
    `g AS (SELECT ${by}, ${aggregateList(d, params, measures, '')} FROM x GROUP BY ${by}), ` +
    `r AS (SELECT g.*, row_number() OVER (PARTITION BY b ORDER BY ${order}) AS rn, count(*) OVER (PARTITION BY b) AS ng FROM g)`
  );
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A grouped row's measures, as the reply gives them. */
function valuesOf(d: AnalyticsDialect, row: Record<string, unknown>, measures: readonly Measure[]): AnalyticsRow['values'] {
  const { percentiles } = needs(measures);
  const read = new Map([...percentiles].map(([alias, fractions]) => [alias, d.readPercentiles(row[alias], fractions.length)]));
  const values: AnalyticsRow['values'] = {};
  for (const m of measures) {
    const p = PERCENTILE[m];
    if (p) values[m] = read.get(p.of)![percentiles.get(p.of)!.indexOf(p.q)];
    else if (m === 'error_rate') values[m] = Number(row.errors) / Number(row.n);
    else if (m === 'count') values[m] = Number(row.n);
    else {
      const alias = Object.keys(AGGREGATES).find((a) => a !== 'n' && AGGREGATES[a].for.includes(m))!;
      values[m] = num(row[alias]);
    }
  }
  return values;
}

function groupValue(key: unknown, target: AnalyticsQuery['groupBy'][number]['target']): GroupValue {
  const text = String(key);
  if (text === 'n') return null;
  return target.kind === 'column' ? text.slice(1) : (JSON.parse(text.slice(1)) as GroupValue);
}

/**
 * Statement 2, the "other" rows: the matching records whose bucket and keys are not among the first `limit` of their
 * bucket, added up per bucket (a bucket with no group past the limit has no such record, so no row). NOT IN against
 * the top keys rather than a join with the groups past the limit: PostgreSQL runs NOT IN over a subquery as a hashed
 * subplan, one probe per record, where a join of the two CTEs is planned from their estimates, and without table
 * statistics (a freshly filled table) it chose a nested loop that compared every record with every group past the
 * limit (100,000 records of 500 customers: ~50M comparisons, past the 5 s read budget). Keys are never NULL (x).
 */
export function otherRowsSql(d: AnalyticsDialect, params: unknown[], orgId: string, q: AnalyticsQuery): string {
  const measures = [...new Set<Measure>([...q.measures, q.orderBy.measure])];
  const x = matching(d, params, orgId, q);
  // Only the order's aggregate is needed to rank: the groups within the limit are the same as statement 1's.
  const rank = ranked(d, params, q, x.keys, [q.orderBy.measure]);
  const keys = ['b', ...x.keys];
  // Placeholders are bound in the order they appear (SQLite's are positional): the aggregates' before the limit.
  const select = `SELECT x.b AS b, ${aggregateList(d, params, measures, 'x.')} FROM x`;
  const top = `SELECT ${keys.join(', ')} FROM r WHERE rn <= ${d.base.param(params, q.limit)}`;
  return `WITH x AS (${x.sql}), ${rank} ${select} WHERE (${keys.map((k) => `x.${k}`).join(', ')}) NOT IN (${top}) GROUP BY x.b`;
}

/** The whole answer: the ranked groups, then the "other" rows where a bucket has more groups than the limit. */
export async function runAnalytics(d: AnalyticsDialect, run: RunSql, orgId: string, q: AnalyticsQuery): Promise<AnalyticsData> {
  const measures = [...new Set<Measure>([...q.measures, q.orderBy.measure])];
  const params: unknown[] = [];
  const x = matching(d, params, orgId, q);
  const top = `WITH x AS (${x.sql}), ${ranked(d, params, q, x.keys, measures)} SELECT * FROM r WHERE rn <= ${d.base.param(params, q.limit)} ORDER BY b, rn LIMIT ${d.base.param(params, MAX_ROWS + 1)}`;
  const rows = await run(top, params);
  const overflow = new Set(rows.filter((r) => Number(r.ng) > q.limit).map((r) => Number(r.b)));
  if (rows.length + overflow.size > MAX_ROWS) {
    throw new AppError(
      'invalid_query_parameter',
      `Parameter limit: the answer would hold more than ${MAX_ROWS} rows; use a smaller limit, a longer interval, a shorter range or fewer group_by dimensions`,
      [{ field: 'limit', message: `more than ${MAX_ROWS} rows` }],
    );
  }
  const others = new Map<number, Record<string, unknown>>();
  if (overflow.size > 0) {
    const p: unknown[] = [];
    for (const row of await run(otherRowsSql(d, p, orgId, q), p)) others.set(Number(row.b), row);
  }
  const bucketOf = (b: unknown) => (q.bucketStarts === null ? null : q.bucketStarts[Number(b)]);
  const out: AnalyticsRow[] = [];
  const reply = (m: AnalyticsRow['values']) => Object.fromEntries(q.measures.map((k) => [k, m[k] ?? null])) as AnalyticsRow['values'];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    out.push({
      bucket: bucketOf(row.b),
      group: q.groupBy.map((g, j) => groupValue(row[`k${j}`], g.target)),
      other: false,
      values: reply(valuesOf(d, row, measures)),
    });
    const last = i + 1 === rows.length || Number(rows[i + 1].b) !== Number(row.b);
    const other = last ? others.get(Number(row.b)) : undefined;
    if (other)
      out.push({ bucket: bucketOf(row.b), group: q.groupBy.map(() => null), other: true, values: reply(valuesOf(d, other, measures)) });
  }
  return { source: 'scan', rows: out };
}
