import type { Condition } from '../query/filters.ts';
import type { RollupRead } from './analytics-types.ts';

/** What a summary covers: the same start time and filters as a list, without paging or sorting. */
export interface SummaryQuery {
  conditions: Condition[];
  since: number | null;
}

/** One time bucket of the chart; start is in microseconds since the epoch. */
export interface SummaryBucket {
  start: number;
  count: number;
  /** Sum of the known costs in the bucket; null when none of its records has a cost. */
  cost: number | null;
}

/** Aggregates over the matching records, timestamps in microseconds. */
export interface SummaryData {
  count: number;
  /** Sum of the known costs: 0 for no records, null when records exist but none has a cost. */
  totalCost: number | null;
  /** Records counted without a cost (unknown model): the total leaves them out. */
  uncostedCount: number;
  totalTokens: number;
  latencyP50: number | null;
  latencyP95: number | null;
  errorCount: number;
  firstTs: number | null;
  lastTs: number | null;
  bucketUs: number | null;
  buckets: SummaryBucket[];
}

/** What narrows a filtered time range (Store.timeRange): the list's conditions, and the same as keys of the hourly rollup's dimensions. */
export interface TimeRangeFilter {
  conditions: Condition[];
  where: RollupRead['where'];
}
