import type { Condition } from '../query/filters.ts';
import type { AnalyticsQuery, RollupRead } from '../store/analytics-types.ts';
import { encodeKey, ROLLUP_TABLES, type RollupTable } from '../store/rollup/tables.ts';

/**
 * Whether a rollup table can answer an analytics request exactly (docs/analytics.md, "Which requests rollups
 * serve"), and the read that does: every group_by and filtered field a dimension of the table; every filter an
 * equality, an "in" or "isnull": true on it; the range and every bucket start but the first (which may start before
 * the range) whole multiples of the table's grain, so that each row lies wholly inside one bucket and the range.
 * The smallest table that serves it is chosen (the hourly one before the customer-day one). Null: scan.
 */
export function planRollup(q: AnalyticsQuery): { table: RollupTable; read: RollupRead } | null {
  for (const table of ROLLUP_TABLES) {
    const read = readFor(table, q);
    if (read) return { table, read };
  }
  return null;
}

const aligned = (us: number, grain: number) => us % grain === 0;

function readFor(table: RollupTable, q: AnalyticsQuery): RollupRead | null {
  if (!aligned(q.start, table.grain) || !aligned(q.end, table.grain)) return null;
  if (q.bucketStarts?.some((s, i) => i > 0 && !aligned(s, table.grain))) return null;
  if (!q.groupBy.every((g) => g.target.kind === 'column' && table.dims.includes(g.target.name))) return null;
  const where: RollupRead['where'] = [];
  for (const c of q.conditions) {
    const w = keysOf(c, table);
    if (!w) return null;
    where.push(w);
  }
  return { table: table.name, from: q.start, to: q.end, where };
}

/** A condition as the encoded keys its dimension may hold; null when the table cannot tell. */
function keysOf(c: Condition, table: RollupTable): RollupRead['where'][number] | null {
  if (c.op === 'none') return { dim: table.dims[0], keys: [] };
  if (c.target.kind !== 'column' || !table.dims.includes(c.target.name)) return null;
  const dim = c.target.name;
  if (c.op === 'eq' && typeof c.value === 'string') return { dim, keys: [encodeKey(c.value)] };
  if (c.op === 'in' && c.values.every((v) => typeof v === 'string')) return { dim, keys: c.values.map(encodeKey) };
  if (c.op === 'isnull' && c.value) return { dim, keys: [encodeKey(null)] };
  return null;
}
