import type { Condition } from '../query/filters.ts';
import type { AnalyticsQuery, RollupRead } from '../store/analytics-types.ts';
import { sketchesFor } from '../store/rollup/answer.ts';
import { DAY_US, encodeKey, floorTo, HOUR_US } from '../store/rollup/tables.ts';

/**
 * Whether the rollups can answer an analytics request exactly (docs/analytics.md, "Which requests rollups serve"),
 * and the read that does: every group_by and filtered field a dimension of the tables read; every filter an
 * equality, an "in" or "isnull": true on it; the range's ends and every bucket boundary inside it on the grain of
 * the rows read there, so that each row lies wholly inside one bucket and the range. Type, model and status are
 * read from whole UTC days (rollups_day) where the boundaries allow it, and from hours (rollups_hour) at the edges
 * and elsewhere; the customer alone, without percentiles, from whole UTC days (rollups_customer_day); the customer
 * otherwise (with another dimension, by the hour, percentiles) from hours (rollups_customer_hour). Null: scan.
 */
export function planRollup(q: AnalyticsQuery): RollupRead | null {
  if (!q.groupBy.every((g) => g.target.kind === 'column')) return null;
  const groupBy = q.groupBy.map((g) => g.target.name);
  const sketches = sketchesFor([...q.measures, q.orderBy.measure]);
  // Boundaries inside the range: every bucket start but the first (at or before the start).
  const boundaries = q.bucketStarts?.slice(1) ?? [];
  const on = (grain: number, xs: number[]) => xs.every((x) => x % grain === 0);
  const typed = whereFor(q, ['field_3', 'field_4', 'status'], groupBy);
  if (typed && on(HOUR_US, [q.start, q.end, ...boundaries])) {
    const dayFrom = floorTo(q.start + DAY_US - 1, DAY_US);
    const dayTo = floorTo(q.end, DAY_US);
    const wholeDays =
      dayFrom < dayTo &&
      on(
        DAY_US,
        boundaries.filter((b) => b > dayFrom && b < dayTo),
      );
    const parts: RollupRead['parts'] = wholeDays
      ? [
          { table: 'rollups_hour' as const, from: q.start, to: dayFrom },
          { table: 'rollups_day' as const, from: dayFrom, to: dayTo },
          { table: 'rollups_hour' as const, from: dayTo, to: q.end },
        ].filter((p) => p.from < p.to)
      : [{ table: 'rollups_hour', from: q.start, to: q.end }];
    return { parts, where: typed, groupBy, sketches };
  }
  const customers = whereFor(q, ['field_10'], groupBy);
  // The customer table keeps no sketches: percentiles by customer are scans.
  if (customers && sketches.length === 0 && on(DAY_US, [q.start, q.end, ...boundaries]))
    return { parts: [{ table: 'rollups_customer_day', from: q.start, to: q.end }], where: customers, groupBy, sketches };
  // The rest of the contract's "at the least": the customer with type, model or status, by the hour, in a zone with
  // whole-hour boundaries, with percentiles: the hourly customer table (nearly a row per record: exact, not fast).
  const all = whereFor(q, ['field_3', 'field_4', 'field_10', 'status'], groupBy);
  if (all && on(HOUR_US, [q.start, q.end, ...boundaries]))
    return { parts: [{ table: 'rollups_customer_hour', from: q.start, to: q.end }], where: all, groupBy, sketches };
  return null;
}

/** The request's filters as keys of these dimensions; null when a group_by or a filter is not one of them. */
function whereFor(q: AnalyticsQuery, dims: string[], groupBy: string[]): RollupRead['where'] | null {
  if (!groupBy.every((g) => dims.includes(g))) return null;
  const where: RollupRead['where'] = [];
  for (const c of q.conditions) {
    const w = keysOf(c, dims);
    if (!w) return null;
    where.push(w);
  }
  return where;
}

/** A condition as the encoded keys its dimension may hold; null when the rollups cannot tell. */
function keysOf(c: Condition, dims: string[]): RollupRead['where'][number] | null {
  if (c.op === 'none') return { dim: dims[0], keys: [] };
  if (c.target.kind !== 'column' || !dims.includes(c.target.name)) return null;
  const dim = c.target.name;
  if (c.op === 'eq' && typeof c.value === 'string') return { dim, keys: [encodeKey(c.value)] };
  if (c.op === 'in' && c.values.every((v) => typeof v === 'string')) return { dim, keys: c.values.map(encodeKey) };
  if (c.op === 'isnull' && c.value) return { dim, keys: [encodeKey(null)] };
  return null;
}
