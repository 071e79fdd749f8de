import type { Measure } from '../query/analytics-params.ts';
import type { Condition, Target } from '../query/filters.ts';
import type { RollupTable } from './rollup/tables.ts';

/** What an analytics read asks of a store: the parsed request (query/analytics-params.ts) without its wire form. */
export interface AnalyticsQuery {
  conditions: Condition[];
  /** [start, end) in microseconds. */
  start: number;
  end: number;
  /** Bucket starts in microseconds, oldest first (the first at or before start); null for one bucket. */
  bucketStarts: number[] | null;
  groupBy: { name: string; target: Target }[];
  measures: Measure[];
  orderBy: { measure: Measure; descending: boolean };
  limit: number;
}

/** A group's value on one dimension: a column's text, a metadata value as JSON, or null where records have none. */
export type GroupValue = string | number | boolean | null | object;

/** One row of the answer, in the answer's order. */
export interface AnalyticsRow {
  /** The bucket's start in microseconds; null without buckets. */
  bucket: number | null;
  /** One value per group_by dimension, in its order; all null in an "other" row. */
  group: GroupValue[];
  /** The row that adds up every group past the limit in its bucket. */
  other: boolean;
  /** The requested measures (and count). */
  values: Partial<Record<Measure, number | null>>;
}

export interface AnalyticsData {
  source: 'scan' | 'rollup';
  rows: AnalyticsRow[];
}

/**
 * A read of rollup rows (store/rollup/tables.ts): the org's rows of one or more ranges of tables with the same
 * dimensions (whole days from rollups_day, the hours at the edges from rollups_hour), some dimensions narrowed.
 */
export interface RollupRead {
  /** Microsecond ranges [from, to), each a multiple of its table's grain. */
  parts: { table: RollupTable['name']; from: number; to: number }[];
  /** Each listed dimension must hold one of the encoded keys (tables.ts encodeKey). */
  where: { dim: string; keys: string[] }[];
  /** The dimensions the answer groups by, in its order. */
  groupBy: string[];
  /** The sketches the measures need (the others are not read; without any, the sums are added up in SQL). */
  sketches: ('lat' | 'ttft')[];
}
