import type Database from 'better-sqlite3';
import type { AnalyticsDialect } from '../sql/analytics.ts';
import { METADATA_COLUMN } from '../../fields/registry.ts';
import { sqliteDialect } from './dialect.ts';
import { checkDeadline, type ReadDeadline } from './functions.ts';
import { jsonAt, jsonbText } from './pg-text.ts';

/** The bucket starts of the analytics read a reader connection is running (set by the dialect as it builds the SQL). */
export interface BucketState {
  starts: number[];
}

/** The last index i with starts[i] ≤ ts (0 when ts is before them all: the range never reaches there). */
function lastAtOrBefore(starts: number[], ts: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= ts) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Check the read budget once per this many values an aggregate takes in (Date.now() is cheap, not free). */
const CHECK_EVERY = 256;

/**
 * Registers what analytics needs on a reader connection: tally_bucket (the bucket of a timestamp among the read's
 * starts), tally_jsonb_at (jsonb's text of a metadata value, as PostgreSQL's ::text gives it) and the aggregate
 * tally_percentiles (percentile_disc at each of a JSON array of fractions, as a JSON array). Each checks the
 * read's deadline (functions.ts).
 */
export function registerAnalyticsFunctions(db: Database.Database, deadline: ReadDeadline, state: BucketState): void {
  let calls = 0;
  const check = () => {
    if ((++calls & (CHECK_EVERY - 1)) === 0) checkDeadline(deadline);
  };
  db.function('tally_bucket', { deterministic: false, safeIntegers: false }, (ts: number) => {
    check();
    return lastAtOrBefore(state.starts, Number(ts));
  });
  db.function('tally_jsonb_at', { deterministic: true }, (json: string | null, path: string) => {
    check();
    const node = json === null ? undefined : jsonAt(JSON.parse(json), JSON.parse(path) as string[]);
    return node === undefined || node === null ? null : jsonbText(node);
  });
  interface Values {
    fractions: number[] | null;
    values: Float64Array;
    n: number;
  }
  db.aggregate('tally_percentiles', {
    start: (): Values => ({ fractions: null, values: new Float64Array(16), n: 0 }),
    // better-sqlite3's types know one argument per step; SQLite passes every argument the call has.
    step: ((acc: Values, value: number | null, fractions: string) => {
      check();
      acc.fractions ??= JSON.parse(fractions) as number[];
      if (value === null) return;
      if (acc.n === acc.values.length) {
        const grown = new Float64Array(acc.values.length * 2);
        grown.set(acc.values);
        acc.values = grown;
      }
      acc.values[acc.n++] = Number(value);
    }) as unknown as (acc: Values, next: Values) => void,
    result: (acc: Values) => {
      if (acc.n === 0 || acc.fractions === null) return null;
      const sorted = acc.values.subarray(0, acc.n).sort();
      // percentile_disc: the value at rank ceil(q·n), computed as PostgreSQL computes it (float8).
      return JSON.stringify(acc.fractions.map((q) => sorted[Math.max(1, Math.ceil(q * acc.n)) - 1]));
    },
  });
}

/** SQLite's analytics dialect on a reader connection whose bucket state is `state`. */
export function sqliteAnalyticsDialect(state: BucketState): AnalyticsDialect {
  return {
    base: sqliteDialect,
    bucketIndex(_params, ts, starts) {
      state.starts = starts;
      return `tally_bucket(${ts})`;
    },
    percentiles(params, column, fractions) {
      return `tally_percentiles(${column}, ${sqliteDialect.param(params, JSON.stringify(fractions))})`;
    },
    percentileAt: (expr, i) => `(${expr} ->> ${i})`,
    readPercentiles(value, count) {
      if (value === null || value === undefined) return Array.from({ length: count }, () => null);
      return JSON.parse(String(value)) as number[];
    },
    metaKey(params, path) {
      return `tally_jsonb_at(${METADATA_COLUMN}, ${sqliteDialect.param(params, JSON.stringify(path))})`;
    },
    codePoint: (expr) => expr, // BINARY compares UTF-8 bytes: code point order
  };
}
