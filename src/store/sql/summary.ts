import { FIELD_BY_NAME } from '../../fields/registry.ts';
import type { SummaryBucket, SummaryData, SummaryQuery } from '../summary-types.ts';
import type { Dialect } from './dialect.ts';
import { whereSql } from './where.ts';

/**
 * The summary's SQL, written once for every store in portable SQL: timestamps are integer microseconds in
 * both engines, so buckets are integer arithmetic; percentiles are "ORDER BY ... LIMIT 1 OFFSET k"
 * (nearest rank) rather than an engine's own percentile function. Each store only supplies a way to run
 * a statement and its Dialect.
 */

/** Runs one statement and returns its rows; values may come back as numbers or numeric strings. */
export type RunSql = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** The chart never has more buckets than this. */
export const MAX_BUCKETS = 60;

const S = 1_000_000;
/** Bucket widths a person reads easily, in microseconds, smallest first. */
const WIDTHS_US = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000].map((s) => s * S);

const column = (field: string): string => {
  const storage = FIELD_BY_NAME.get(field)?.storage;
  if (!storage || storage.kind !== 'scalar') throw new Error(`summary: ${field} is not a scalar column`);
  return storage.column;
};
const COST = column('field_6');
const LATENCY = column('field_7');
const TOKENS = column('sub_field_total');
const STATUS = column('status');
const TS = column('timestamp');

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** floor(a / w) for a possibly negative a, as the buckets need it. */
const floorDiv = (a: number, w: number) => Math.floor(a / w);

/** The smallest readable width that spreads [first, last] over at most MAX_BUCKETS buckets. */
export function bucketWidth(firstUs: number, lastUs: number): number {
  for (const w of WIDTHS_US) if (floorDiv(lastUs, w) - floorDiv(firstUs, w) + 1 <= MAX_BUCKETS) return w;
  const year = WIDTHS_US[WIDTHS_US.length - 1];
  return year * Math.ceil((lastUs - firstUs) / year / (MAX_BUCKETS - 1) + 1);
}

function totalsSql(d: Dialect, orgId: string, q: SummaryQuery) {
  const params: unknown[] = []; // bound in text order: "?" placeholders are positional
  const select =
    `SELECT count(*) AS n, SUM(${COST}) AS cost, count(${COST}) AS costed, SUM(${TOKENS}) AS tokens, ` +
    `count(${LATENCY}) AS timed, SUM(CASE WHEN ${STATUS} = ${d.param(params, 'error')} THEN 1 ELSE 0 END) AS errors, ` +
    `MIN(${TS}) AS first_ts, MAX(${TS}) AS last_ts`;
  return { sql: `${select} FROM records WHERE ${whereSql(d, params, orgId, q.since, q.conditions, TS)}`, params };
}

/**
 * The latency at 0-based rank k of n records that have one. The sort runs from whichever end is nearer,
 * so the p95's OFFSET is 5% of n rather than 95%: a sort that keeps only OFFSET + 1 rows.
 */
function latencyAtSql(d: Dialect, orgId: string, q: SummaryQuery, k: number, n: number) {
  const fromTop = n - 1 - k < k;
  const params: unknown[] = [];
  const where = whereSql(d, params, orgId, q.since, q.conditions, TS);
  const order = `${LATENCY} ${fromTop ? 'DESC' : 'ASC'}`;
  const sql = `SELECT ${LATENCY} AS v FROM records WHERE ${where} AND ${LATENCY} IS NOT NULL ORDER BY ${order} LIMIT 1 OFFSET CAST(${d.param(params, fromTop ? n - 1 - k : k)} AS BIGINT)`;
  return { sql, params };
}

function bucketsSql(d: Dialect, orgId: string, q: SummaryQuery, widthUs: number) {
  const params: unknown[] = []; // bound in text order: "?" placeholders are positional
  const w = () => `CAST(${d.param(params, widthUs)} AS BIGINT)`;
  // ts minus its non-negative remainder floors it to the bucket, also before 1970 (% truncates in both engines).
  const select = `SELECT (${TS} - (((${TS} % ${w()}) + ${w()}) % ${w()})) AS bucket, count(*) AS n, SUM(${COST}) AS cost`;
  const where = whereSql(d, params, orgId, q.since, q.conditions, TS);
  return { sql: `${select} FROM records WHERE ${where} GROUP BY 1 ORDER BY 1`, params };
}

/** Nearest-rank percentile: the value at rank ceil(p * n), 1-based. */
const rankOf = (p: number, n: number) => Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));

/** Every bucket from the first record's to the last record's, empty ones included. */
function fillBuckets(rows: Record<string, unknown>[], firstUs: number, lastUs: number, widthUs: number): SummaryBucket[] {
  const byStart = new Map(rows.map((r) => [Number(r.bucket), r]));
  const out: SummaryBucket[] = [];
  for (let start = floorDiv(firstUs, widthUs) * widthUs; start <= lastUs; start += widthUs) {
    const row = byStart.get(start);
    out.push({ start, count: row ? Number(row.n) : 0, cost: row ? num(row.cost) : null });
  }
  return out;
}

/** The whole summary in four statements: totals, two percentiles, buckets. */
export async function runSummary(d: Dialect, run: RunSql, orgId: string, q: SummaryQuery): Promise<SummaryData> {
  const t = totalsSql(d, orgId, q);
  const [totals] = await run(t.sql, t.params);
  const count = Number(totals.n);
  const timed = Number(totals.timed);
  const costed = Number(totals.costed);
  const latencyAt = async (p: number) => {
    if (timed === 0) return null;
    const s = latencyAtSql(d, orgId, q, rankOf(p, timed), timed);
    const [row] = await run(s.sql, s.params);
    return row ? num(row.v) : null;
  };
  const firstTs = num(totals.first_ts);
  const lastTs = num(totals.last_ts);
  let bucketUs: number | null = null;
  let buckets: SummaryBucket[] = [];
  if (firstTs !== null && lastTs !== null) {
    bucketUs = bucketWidth(firstTs, lastTs);
    const b = bucketsSql(d, orgId, q, bucketUs);
    buckets = fillBuckets(await run(b.sql, b.params), firstTs, lastTs, bucketUs);
  }
  return {
    count,
    totalCost: count === 0 ? 0 : costed === 0 ? null : num(totals.cost),
    uncostedCount: count - costed,
    totalTokens: num(totals.tokens) ?? 0,
    latencyP50: await latencyAt(0.5),
    latencyP95: await latencyAt(0.95),
    errorCount: num(totals.errors) ?? 0,
    firstTs,
    lastTs,
    bucketUs,
    buckets,
  };
}
