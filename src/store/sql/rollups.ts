import type { RollupRead, RollupRow } from '../analytics-types.ts';
import type { SketchPairs } from '../rollup/sketch.ts';
import { ROLLUP_TABLES, SUMS, type SumName } from '../rollup/tables.ts';
import type { Dialect } from './dialect.ts';

/** The statement that reads a RollupRead's rows, written once for every store (a range of the primary key). */
export function rollupReadSql(d: Dialect, params: unknown[], orgId: string, read: RollupRead): string {
  const table = ROLLUP_TABLES.find((t) => t.name === read.table)!;
  const where = [`org_id = ${d.param(params, orgId)}`, `t >= ${d.param(params, read.from)}`, `t < ${d.param(params, read.to)}`];
  for (const { dim, keys } of read.where) {
    if (!table.dims.includes(dim)) throw new Error(`rollups: ${read.table} has no dimension ${dim}`);
    where.push(keys.length === 0 ? 'FALSE' : `${dim} IN (${keys.map((k) => d.param(params, k)).join(', ')})`);
  }
  return `SELECT t, ${[...table.dims, ...SUMS].join(', ')}, lat, ttft FROM ${table.name} WHERE ${where.join(' AND ')}`;
}

/** A row of rollupReadSql as RollupRow, its sketches read by the store's own decoder. */
export function rollupRowOf(read: RollupRead, row: Record<string, unknown>, sketch: (v: unknown) => SketchPairs): RollupRow {
  const table = ROLLUP_TABLES.find((t) => t.name === read.table)!;
  const sums = {} as Record<SumName, number>;
  for (const s of SUMS) sums[s] = Number(row[s]);
  return { t: Number(row.t), keys: table.dims.map((d) => String(row[d])), sums, lat: sketch(row.lat), ttft: sketch(row.ttft) };
}
