import type { MetaValue } from '../../query/filters.ts';
import type { ListQuery } from '../types.ts';

/**
 * A list whose only filter is a top-level metadata equality or "in" (no start time, no other condition): the
 * one shape both stores count from per-value counters instead of from the records. Null for every other list.
 */
export function loneMetaFilter(q: ListQuery): { key: string; values: MetaValue[] } | null {
  if (q.since !== null || q.conditions.length !== 1) return null;
  const c = q.conditions[0];
  if ((c.op !== 'eq' && c.op !== 'in') || c.target.kind !== 'meta' || c.target.path.length !== 1) return null;
  return { key: c.target.path[0], values: c.op === 'in' ? c.values : [c.value] };
}
