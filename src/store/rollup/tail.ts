import type { RollupRead } from '../analytics-types.ts';
import type { RollupAnswer } from './answer.ts';
import { pairsOf } from './sketch.ts';
import { ROLLUP_TABLES, RollupDelta, type RollupSource, SUMS, type SumName } from './tables.ts';

/**
 * The records a rollup read adds to the rows it reads: those not yet folded into the tables (SQLite's tail,
 * store/sqlite/rollup-fold.ts), added up as each part's table would hold them, and each row that the read's range and
 * filters take added into the answer as one more row of that table.
 */
export function addTail(read: RollupRead, answer: RollupAnswer, records: Iterable<RollupSource>): void {
  const delta = new RollupDelta();
  for (const r of records) delta.add(r, 1);
  if (delta.size === 0) return;
  const sums = {} as Record<SumName, number>;
  for (const part of read.parts) {
    const table = ROLLUP_TABLES.find((t) => t.name === part.table)!;
    const at = (dim: string) => table.dims.indexOf(dim);
    const where = read.where.map((w) => ({ at: at(w.dim), keys: new Set(w.keys) }));
    const groupAt = read.groupBy.map(at);
    for (const c of delta.changes(part.table)) {
      if (c.t < part.from || c.t >= part.to) continue;
      if (where.some((w) => !w.keys.has(c.keys[w.at]))) continue;
      for (let i = 0; i < SUMS.length; i++) sums[SUMS[i]] = c.sums[i];
      answer.add(
        c.t,
        groupAt.map((i) => c.keys[i]),
        sums,
        read.sketches.includes('lat') ? pairsOf(c.lat) : null,
        read.sketches.includes('ttft') ? pairsOf(c.ttft) : null,
      );
    }
  }
}
