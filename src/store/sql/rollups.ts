import type { AnalyticsQuery, AnalyticsRow, RollupRead } from '../analytics-types.ts';
import { RollupAnswer, sumsFor } from '../rollup/answer.ts';
import type { SketchPairs } from '../rollup/sketch.ts';
import { addTail } from '../rollup/tail.ts';
import { ROLLUP_TABLES, type RollupSource, SUMS, type SumName } from '../rollup/tables.ts';
import type { Dialect } from './dialect.ts';

/**
 * The statement that reads a RollupRead, written once for every store: each part a range of its table's primary key,
 * together (UNION ALL); columns t, the group_by dimensions, the sums, then the sketches asked for. Without sketches
 * the sums are added up in SQL per row start (when the answer has buckets) and group, so that only those rows reach
 * JS; with sketches every row does, to be merged there. Only the sums the measures read are read (the others are 0):
 * adding up 14 columns over 30,000 customer-days cost SQLite 2.5 times the 3 that the top customers by cost need.
 */
export function rollupReadSql(d: Dialect, params: unknown[], orgId: string, read: RollupRead, q: AnalyticsQuery): string {
  const bucketed = q.bucketStarts !== null;
  const needed = sumsFor([...q.measures, q.orderBy.measure]);
  const zero = (s: SumName) => `0 AS ${s}`;
  const parts = read.parts.map((part) => {
    const table = ROLLUP_TABLES.find((t) => t.name === part.table)!;
    const where = [`org_id = ${d.param(params, orgId)}`, `t >= ${d.param(params, part.from)}`, `t < ${d.param(params, part.to)}`];
    for (const { dim, keys } of read.where) {
      if (!table.dims.includes(dim)) throw new Error(`rollups: ${part.table} has no dimension ${dim}`);
      where.push(keys.length === 0 ? '1 = 0' : `${dim} IN (${keys.map((k) => d.param(params, k)).join(', ')})`);
    }
    const columns = ['t', ...read.groupBy, ...SUMS.map((s) => (needed.has(s) ? s : zero(s))), ...read.sketches];
    return `SELECT ${columns.join(', ')} FROM ${table.name}${hint(d, part.table, read)} WHERE ${where.join(' AND ')}`;
  });
  const rows = parts.join(' UNION ALL ');
  if (read.sketches.length > 0) return rows;
  const by = [...(bucketed ? ['t'] : []), ...read.groupBy];
  const select = [bucketed ? 't' : '0 AS t', ...read.groupBy, ...SUMS.map((s) => (needed.has(s) ? `sum(${s}) AS ${s}` : zero(s)))];
  return `SELECT ${select.join(', ')} FROM (${rows}) r${by.length > 0 ? ` GROUP BY ${by.join(', ')}` : ''}`;
}

/**
 * Whether the rollups hold every record a read needs: rollups_state.ready (every table, since migration 14 on SQLite,
 * 12 on PostgreSQL) and, for rollups_customer_hour, its own customer_hour (SQLite migration 18, PostgreSQL 17): both
 * false on a store upgraded with records until "tally rollups rebuild".
 */
export const ROLLUPS_STATE_SQL = 'SELECT ready, customer_hour FROM rollups_state';
export function rollupsReadyFor(read: RollupRead, state: { ready: unknown; customer_hour: unknown } | undefined): boolean {
  if (!state?.ready) return false;
  return Boolean(state.customer_hour) || read.parts.every((p) => p.table !== 'rollups_customer_hour');
}

/** At most this many models filtered for: past it, reading their hours by the model index costs more than the key range. */
const MODEL_INDEX_KEYS = 4;

/**
 * The hours of a few models by the index (org_id, field_4, t) of migration 17 (SQLite; 15 on PostgreSQL): the key
 * range holds every model's hours, ~20 times the rows of one model at 20 (issue 17: hourly p95 of one model). Where
 * the dialect needs the index named (SQLite: no statistics), it is named.
 */
function hint(d: Dialect, table: string, read: RollupRead): string {
  if (table !== 'rollups_hour' || !d.indexedBy) return '';
  const model = read.where.find((w) => w.dim === 'field_4');
  // Else the key (SQLite migration 19: the key is an index of a rowid table, and without statistics the planner
  // would take the model index for any model filter).
  return d.indexedBy(model && model.keys.length > 0 && model.keys.length <= MODEL_INDEX_KEYS ? 'rollups_hour_model' : 'rollups_hour_key');
}

/** A function that adds one row of rollupReadSql (an array in its column order) into the answer. */
function rowAdder(read: RollupRead, answer: RollupAnswer, sketch: (v: unknown) => SketchPairs): (row: unknown[]) => void {
  const dims = read.groupBy.length;
  const latAt = read.sketches.indexOf('lat');
  const ttftAt = read.sketches.indexOf('ttft');
  const base = 1 + dims + SUMS.length;
  const sums = {} as Record<SumName, number>;
  return (row) => {
    for (let i = 0; i < SUMS.length; i++) sums[SUMS[i]] = Number(row[1 + dims + i] ?? 0);
    answer.add(
      Number(row[0]),
      row.slice(1, 1 + dims) as string[],
      sums,
      latAt < 0 ? null : sketch(row[base + latAt]),
      ttftAt < 0 ? null : sketch(row[base + ttftAt]),
    );
  };
}

/**
 * Adds rows of rollupReadSql (as arrays, in its column order) into the answer, sketches read by the store's decoder,
 * and the records not yet in the tables (`tail`: SQLite's, rollup-fold.ts) as the tables would hold them.
 */
export function answerRollupRows(
  read: RollupRead,
  q: AnalyticsQuery,
  rows: Iterable<unknown[]>,
  sketch: (v: unknown) => SketchPairs,
  tail: Iterable<RollupSource> = [],
): AnalyticsRow[] {
  const answer = new RollupAnswer(q);
  const add = rowAdder(read, answer, sketch);
  for (const row of rows) add(row);
  addTail(read, answer, tail);
  return answer.rows();
}

/** The longest turn of the event loop answerRollupRowsInTurns takes (ms) before it lets other work run. */
export const ROLLUP_TURN_MS = 4;

/**
 * answerRollupRows where the rows are added up on the event loop (PostgreSQL's store; SQLite's run in a reader
 * thread): rows as the driver gives them (objects, in rollupReadSql's column order), added up in turns of at most
 * `turnMs` (checked every 64 rows), each followed by setImmediate, so that a read of thousands of rows with wide
 * sketches (3-25 µs a row) does not hold the event loop for tenths of a second.
 */
export async function answerRollupRowsInTurns(
  read: RollupRead,
  q: AnalyticsQuery,
  rows: readonly Record<string, unknown>[],
  sketch: (v: unknown) => SketchPairs,
  turnMs = ROLLUP_TURN_MS,
): Promise<AnalyticsRow[]> {
  const answer = new RollupAnswer(q);
  const add = rowAdder(read, answer, sketch);
  const columns = rows.length === 0 ? [] : Object.keys(rows[0]);
  let turn = performance.now();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    add(columns.map((c) => row[c]));
    if ((i & 63) === 63 && performance.now() - turn >= turnMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turn = performance.now();
    }
  }
  return answer.rows();
}
