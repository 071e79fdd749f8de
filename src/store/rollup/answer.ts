import { AppError } from '../../errors.ts';
import type { Measure } from '../../query/analytics-params.ts';
import type { AnalyticsQuery, AnalyticsRow } from '../analytics-types.ts';
import { MAX_ROWS } from '../sql/analytics.ts';
import { SketchSum, type SketchPairs } from './sketch.ts';
import { decodeKey, SUMS, type SumName } from './tables.ts';

/** A group's rows added up: the sums and both sketches merged. */
interface Group {
  keys: string[];
  sums: Record<SumName, number>;
  lat: SketchSum;
  ttft: SketchSum;
}

const PERCENTILES: Partial<Record<Measure, ['lat' | 'ttft', number]>> = {
  latency_p50: ['lat', 0.5],
  latency_p90: ['lat', 0.9],
  latency_p95: ['lat', 0.95],
  latency_p99: ['lat', 0.99],
  ttft_p50: ['ttft', 0.5],
  ttft_p95: ['ttft', 0.95],
};

/** A sum over values, null when there were none. */
const sumOf = (s: Record<SumName, number>, sum: SumName, n: SumName) => (s[n] > 0 ? s[sum] : null);

/** A measure of a group, as the scan computes it (store/sql/analytics.ts), percentiles from the sketches. */
function measure(g: Group, m: Measure): number | null {
  const s = g.sums;
  const p = PERCENTILES[m];
  if (p) return g[p[0]].quantile(p[1]);
  switch (m) {
    case 'count':
      return s.n;
    case 'error_count':
      return s.errors;
    case 'error_rate':
      return s.errors / s.n;
    case 'cost':
      return sumOf(s, 'cost', 'costed');
    case 'uncosted_count':
      return s.n - s.costed;
    case 'tokens_prompt':
      return sumOf(s, 'tp', 'tp_n');
    case 'tokens_completion':
      return sumOf(s, 'tc', 'tc_n');
    case 'tokens_total':
      return sumOf(s, 'tt', 'tt_n');
    case 'latency_avg':
      return s.lat_n > 0 ? s.lat_sum / s.lat_n : null;
    case 'rate_avg':
      return s.rate_n > 0 ? s.rate_sum / s.rate_n : null;
    default:
      return null;
  }
}

const newGroup = (keys: string[]): Group => ({
  keys,
  sums: Object.fromEntries(SUMS.map((s) => [s, 0])) as Record<SumName, number>,
  lat: new SketchSum(),
  ttft: new SketchSum(),
});

function addTo(g: Group, sums: Record<SumName, number>): void {
  for (const s of SUMS) g.sums[s] += sums[s];
}

/** Code point order of two strings (UTF-16 order differs past U+FFFF). */
function codePointCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The last index i with starts[i] ≤ t. */
function bucketIndex(starts: number[], t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The sums each measure reads (measure() above); n is always read: a row of no records is skipped by it. */
const MEASURE_SUMS: Partial<Record<Measure, SumName[]>> = {
  error_count: ['errors'],
  error_rate: ['errors'],
  cost: ['cost', 'costed'],
  uncosted_count: ['costed'],
  tokens_prompt: ['tp', 'tp_n'],
  tokens_completion: ['tc', 'tc_n'],
  tokens_total: ['tt', 'tt_n'],
  latency_avg: ['lat_sum', 'lat_n'],
  rate_avg: ['rate_sum', 'rate_n'],
};

/** Which sums a request's measures read (a rollup read adds up only these; the others read as 0). */
export function sumsFor(measures: readonly Measure[]): Set<SumName> {
  return new Set<SumName>(['n', ...measures.flatMap((m) => MEASURE_SUMS[m] ?? [])]);
}

/** Which sketches a request's measures read (a rollup read leaves the others out). */
export function sketchesFor(measures: readonly Measure[]): ('lat' | 'ttft')[] {
  const wanted = new Set(measures.map((m) => PERCENTILES[m]?.[0]).filter((x) => x !== undefined));
  return (['lat', 'ttft'] as const).filter((s) => wanted.has(s));
}

/**
 * The analytics answer from rollup rows, added up as they are read (where they are read: SQLite's reader thread),
 * with the scan's shape and rules: groups per bucket ranked by order_by (nulls last, ties by the group keys in code
 * point order), the first `limit`, and one "other" row adding up the rest.
 */
export class RollupAnswer {
  private readonly buckets = new Map<number, Map<string, Group>>();

  constructor(private readonly q: AnalyticsQuery) {}

  /** One rollup row: its start, its group_by keys (in order), sums, and the sketches read (or null). */
  add(t: number, own: string[], sums: Record<SumName, number>, lat: SketchPairs | null, ttft: SketchPairs | null): void {
    if (sums.n <= 0) return;
    const b = this.q.bucketStarts === null ? 0 : bucketIndex(this.q.bucketStarts, t);
    let groups = this.buckets.get(b);
    if (!groups) {
      groups = new Map();
      this.buckets.set(b, groups);
    }
    const id = own.join('\u0000');
    let g = groups.get(id);
    if (!g) {
      g = newGroup(own);
      groups.set(id, g);
    }
    addTo(g, sums);
    if (lat) g.lat.add(lat);
    if (ttft) g.ttft.add(ttft);
  }

  rows(): AnalyticsRow[] {
    const q = this.q;
    const { measure: by, descending } = q.orderBy;
    const out: AnalyticsRow[] = [];
    const values = (g: Group) => Object.fromEntries(q.measures.map((m) => [m, measure(g, m)])) as AnalyticsRow['values'];
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      const ranked = [...this.buckets.get(b)!.values()]
        .map((g) => ({ g, v: measure(g, by) }))
        .sort((x, y) => {
          if (x.v !== y.v) {
            if (x.v === null) return 1;
            if (y.v === null) return -1;
            return descending ? y.v - x.v : x.v - y.v;
          }
          for (let i = 0; i < x.g.keys.length; i++) {
            const c = codePointCompare(x.g.keys[i], y.g.keys[i]);
            if (c !== 0) return c;
          }
          return 0;
        });
      const bucket = q.bucketStarts === null ? null : q.bucketStarts[b];
      for (const { g } of ranked.slice(0, q.limit)) out.push({ bucket, group: g.keys.map(decodeKey), other: false, values: values(g) });
      if (ranked.length > q.limit) {
        const rest = newGroup([]);
        for (const { g } of ranked.slice(q.limit)) {
          addTo(rest, g.sums);
          rest.lat.merge(g.lat);
          rest.ttft.merge(g.ttft);
        }
        out.push({ bucket, group: q.groupBy.map(() => null), other: true, values: values(rest) });
      }
      if (out.length > MAX_ROWS) {
        throw new AppError(
          'invalid_query_parameter',
          `Parameter limit: the answer would hold more than ${MAX_ROWS} rows; use a smaller limit, a longer interval, a shorter range or fewer group_by dimensions`,
          [{ field: 'limit', message: `more than ${MAX_ROWS} rows` }],
        );
      }
    }
    return out;
  }
}
