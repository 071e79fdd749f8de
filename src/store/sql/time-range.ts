import { TIMESTAMP_COLUMN as TS } from '../columns.ts';
import { floorTo, HOUR_US } from '../rollup/tables.ts';
import type { Dialect } from './dialect.ts';
import type { TimeRangeFilter } from '../summary-types.ts';
import type { RunSql } from './summary.ts';
import { whereSql } from './where.ts';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The first and last timestamp of the records at or after `since` that the conditions select, without a scan of
 * them: the first and last hour of `rollups_hour` that holds such a record (its primary key walked from either end,
 * stopping at the first row whose dimensions match; `tail`: the first and last timestamp of matching records not in
 * the tables yet), then the exact timestamps inside those two hours only (the time
 * index's range of one hour, filtered). Run inside one read snapshot by the caller. Null when no record matches, or
 * when an hour the rollups name holds none (a snapshot the caller did not share): the caller then scans.
 */
export async function filteredTimeRange(
  d: Dialect,
  run: RunSql,
  orgId: string,
  since: number | null,
  filter: TimeRangeFilter,
  tail: { first: number; last: number } | null = null,
): Promise<{ first: number; last: number } | null> {
  const params: unknown[] = []; // bound in text order ("?" placeholders are positional)
  const hour = (order: 'ASC' | 'DESC') => {
    const where = [`org_id = ${d.param(params, orgId)}`, 'n > 0'];
    if (since !== null) where.push(`t >= ${d.param(params, floorTo(since, HOUR_US))}`);
    for (const { dim, keys } of filter.where)
      where.push(keys.length === 0 ? '1 = 0' : `${dim} IN (${keys.map((k) => d.param(params, k)).join(', ')})`);
    return `(SELECT t FROM rollups_hour WHERE ${where.join(' AND ')} ORDER BY t ${order} LIMIT 1)`;
  };
  const [hours] = await run(`SELECT ${hour('ASC')} AS a, ${hour('DESC')} AS b`, params);
  let a = num(hours.a);
  let b = num(hours.b);
  if (tail !== null) {
    // Records not in the tables yet (SQLite's tail, rollup-fold.ts): their hours count as the tables' would.
    a = Math.min(a ?? Number.POSITIVE_INFINITY, floorTo(tail.first, HOUR_US));
    b = Math.max(b ?? Number.NEGATIVE_INFINITY, floorTo(tail.last, HOUR_US));
  }
  if (a === null || b === null) return null;
  const edge = async (fn: 'MIN' | 'MAX', hourStart: number): Promise<number | null> => {
    const p: unknown[] = [];
    const from = since === null ? hourStart : Math.max(since, hourStart);
    const sql = `SELECT ${fn}(${TS}) AS v FROM records WHERE ${whereSql(d, p, orgId, from, filter.conditions, TS)} AND ${TS} < ${d.param(p, hourStart + HOUR_US)}`;
    const [row] = await run(sql, p);
    return num(row.v);
  };
  const first = await edge('MIN', a);
  const last = await edge('MAX', b);
  return first === null || last === null ? null : { first, last };
}
