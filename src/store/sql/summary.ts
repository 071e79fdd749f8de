import { scalarColumn } from '../columns.ts';
import type { SummaryBucket, SummaryData, SummaryQuery } from '../summary-types.ts';
import type { Dialect } from './dialect.ts';
import { whereSql } from './where.ts';

/**
 * The summary's SQL, written once for every store: timestamps are integer microseconds in both engines, so
 * buckets are integer arithmetic. Three statements, each at most one pass over the matching rows:
 * 1. the first and last timestamp (two index seeks when only the org and a start time constrain the rows);
 * 2. count, cost, tokens, uncosted and error counts per bucket, the totals being their sums;
 * 3. the latency p50 and p95, exact nearest rank, both from one pass (how is the dialect's business).
 * Under org and start time alone, the covering index (org_id, ts, field_6, sub_field_total, status, field_7)
 * answers all three without reading a record, and nothing goes through SQL's sorter.
 */

/** Runs one statement and returns its rows; values may come back as numbers or numeric strings. */
export type RunSql = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** A statement and its bound parameters, in placeholder order. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** The chart never has more buckets than this. */
const MAX_BUCKETS = 60;

/** The latency percentiles reported, as fractions; nearest rank (docs/api.md documents it). */
export const PERCENTILES = [0.5, 0.95] as const;

const S = 1_000_000;
/** Bucket widths a person reads easily, in microseconds, smallest first. */
const WIDTHS_US = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000, 7776000,
  31536000,
].map((s) => s * S);

const column = scalarColumn;
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

/** The start of every bucket from the first record's to the last record's. */
function bucketStarts(firstUs: number, lastUs: number, widthUs: number): number[] {
  const starts: number[] = [];
  for (let start = floorDiv(firstUs, widthUs) * widthUs; start <= lastUs; start += widthUs) starts.push(start);
  return starts;
}

/** Only the org and a start time constrain the rows: the (org_id, ts) index alone finds them, in order. */
const byTimeOnly = (q: SummaryQuery) => q.conditions.length === 0;

/** The first and last timestamp of the matching records. */
export function rangeStatement(d: Dialect, orgId: string, q: SummaryQuery): Statement {
  const params: unknown[] = []; // bound in text order: "?" placeholders are positional
  const where = () => whereSql(d, params, orgId, q.since, q.conditions, TS, true);
  if (byTimeOnly(q)) {
    // A lone MIN or MAX over the index's second column is a seek to one end of the org's range.
    return {
      sql: `SELECT (SELECT MIN(${TS}) FROM records WHERE ${where()}) AS first_ts, (SELECT MAX(${TS}) FROM records WHERE ${where()}) AS last_ts`,
      params,
    };
  }
  // One pass over what the filters select. The count(*) keeps both engines from turning MIN and MAX into walks
  // along the time index that test the filters row by row: for a rare match that is most of the org.
  return { sql: `SELECT MIN(${TS}) AS first_ts, MAX(${TS}) AS last_ts, count(*) AS n FROM records WHERE ${where()}`, params };
}

/** The per-bucket aggregates; the totals add them up. */
function aggregates(d: Dialect, params: unknown[]): string {
  return (
    `count(*) AS n, SUM(${COST}) AS cost, SUM(${TOKENS}) AS tokens, count(*) FILTER (WHERE ${COST} IS NULL) AS uncosted, ` +
    `count(*) FILTER (WHERE ${STATUS} = ${d.param(params, 'error')}) AS errors`
  );
}

/**
 * One row per bucket: its start, count, cost (null when no record in it has one), tokens, uncosted and errors.
 * Under org and start time alone, one range of the time index per bucket (UNION ALL): one pass in time order
 * and no sort, where a GROUP BY on a computed bucket would sort every row. Under filters, a GROUP BY over
 * what they select (the ranges would evaluate the filters' subqueries once per bucket).
 */
export function bucketsStatement(d: Dialect, orgId: string, q: SummaryQuery, firstUs: number, lastUs: number, widthUs: number): Statement {
  const params: unknown[] = [];
  if (byTimeOnly(q)) {
    const branches = bucketStarts(firstUs, lastUs, widthUs).map((start) => {
      const bucket = `CAST(${d.param(params, start)} AS BIGINT) AS bucket`;
      const select = `SELECT ${bucket}, ${aggregates(d, params)}`;
      // The start time folds into the bucket's range: two lower bounds on ts would leave the seek to one of them.
      const from = Math.max(start, q.since ?? start);
      const where = `${whereSql(d, params, orgId, null, [], TS, true)} AND ${TS} >= ${d.param(params, from)} AND ${TS} < ${d.param(params, start + widthUs)}`;
      return `${select} FROM records WHERE ${where}`;
    });
    return { sql: branches.join(' UNION ALL '), params };
  }
  const w = () => `CAST(${d.param(params, widthUs)} AS BIGINT)`;
  // ts minus its non-negative remainder floors it to the bucket, also before 1970 (% truncates in both engines).
  const select = `SELECT (${TS} - (((${TS} % ${w()}) + ${w()}) % ${w()})) AS bucket, ${aggregates(d, params)}`;
  const where = whereSql(d, params, orgId, q.since, q.conditions, TS, true);
  return { sql: `${select} FROM records WHERE ${where} GROUP BY 1`, params };
}

/** The latency percentiles of the matching records that have one, as columns p0, p1, ... (null when none has). */
export function percentilesStatement(d: Dialect, orgId: string, q: SummaryQuery): Statement {
  const params: unknown[] = [];
  const sql = d.percentiles(params, LATENCY, PERCENTILES, (p) => whereSql(d, p, orgId, q.since, q.conditions, TS, true));
  return { sql, params };
}

/** Adds doubles with Neumaier's compensation: the total of the buckets' sums is as exact as a single SUM. */
function sumOf(values: number[]): number {
  let sum = 0;
  let carry = 0;
  for (const v of values) {
    const t = sum + v;
    carry += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + carry;
}

/** Every bucket from the first record's to the last record's, empty ones included. */
function fillBuckets(rows: Record<string, unknown>[], firstUs: number, lastUs: number, widthUs: number): SummaryBucket[] {
  const byStart = new Map(rows.map((r) => [Number(r.bucket), r]));
  return bucketStarts(firstUs, lastUs, widthUs).map((start) => {
    const row = byStart.get(start);
    const count = row ? Number(row.n) : 0;
    return { start, count, cost: count > 0 ? num(row!.cost) : null };
  });
}

const EMPTY: SummaryData = {
  count: 0,
  totalCost: 0,
  uncostedCount: 0,
  totalTokens: 0,
  latencyP50: null,
  latencyP95: null,
  errorCount: 0,
  firstTs: null,
  lastTs: null,
  bucketUs: null,
  buckets: [],
};

/** The whole summary in three statements: time range, buckets (and so the totals), percentiles. */
export async function runSummary(d: Dialect, run: RunSql, orgId: string, q: SummaryQuery): Promise<SummaryData> {
  const range = rangeStatement(d, orgId, q);
  const [ends] = await run(range.sql, range.params);
  const firstTs = num(ends.first_ts);
  const lastTs = num(ends.last_ts);
  if (firstTs === null || lastTs === null) return { ...EMPTY };
  const bucketUs = bucketWidth(firstTs, lastTs);
  const b = bucketsStatement(d, orgId, q, firstTs, lastTs, bucketUs);
  const rows = await run(b.sql, b.params);
  const p = percentilesStatement(d, orgId, q);
  const [percentiles] = await run(p.sql, p.params);

  const total = (key: string) => rows.reduce((n, r) => n + (num(r[key]) ?? 0), 0);
  const count = total('n');
  const uncosted = total('uncosted');
  const costs = rows.map((r) => num(r.cost)).filter((c): c is number => c !== null);
  return {
    count,
    totalCost: count === 0 ? 0 : count === uncosted ? null : sumOf(costs),
    uncostedCount: uncosted,
    totalTokens: total('tokens'),
    latencyP50: num(percentiles.p0),
    latencyP95: num(percentiles.p1),
    errorCount: total('errors'),
    firstTs,
    lastTs,
    bucketUs,
    buckets: fillBuckets(rows, firstTs, lastTs, bucketUs),
  };
}
