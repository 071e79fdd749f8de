import type Database from 'better-sqlite3';
import { bytesSketch } from '../rollup/sketch.ts';
import { FLOAT_SUMS, ROLLUP_TABLES, SUMS, type RollupChange } from '../rollup/tables.ts';
import { APPENDED, appendedHours } from './appended-hours.ts';
import { createChangeWriter } from './rollups.ts';

/** The most rows one look at an hour reads (and deletes, and writes back folded): a few ms of the writer thread. */
export const COMPACT_ROWS = 4096;
/** At most one look this often (ms), riding an insert's transaction. */
export const COMPACT_EVERY_MS = 100;

/** The indexes in SUMS of each float sum and of the count that says it has values. */
const FLOATS = FLOAT_SUMS.map(([sum, count]) => [SUMS.indexOf(sum), SUMS.indexOf(count)] as const);

/**
 * Compaction of the appended rollup tables (appended-hours.ts; SQLite migration 20): one look at a due hour folds its
 * oldest rows (by k, at most COMPACT_ROWS) into a row per key, in the transaction of the insert it rides: those
 * rows deleted, their sums and sketches added up per key and written back as new rows, a key whose rows add up to no
 * records left out. Whatever rows are folded, their sum per key is unchanged, so every read adds up to the same
 * answer before and after; a look is exact however the hour's rows were split. Returns the rows read (0: nothing due,
 * or too soon since the last look). `now` and `rowsPerLook` are for tests.
 */
export function createRollupCompactor(
  db: Database.Database,
  now: () => number = () => performance.now(),
  rowsPerLook = COMPACT_ROWS,
): () => number {
  const hours = appendedHours(db);
  const looks = ROLLUP_TABLES.filter((t) => APPENDED.has(t.name)).map((table) => {
    const dims = table.dims;
    const sketches = table.sketches ? (['lat', 'ttft'] as const) : [];
    const read = db
      .prepare(`SELECT k, ${[...dims, ...SUMS, ...sketches].join(', ')} FROM ${table.name} WHERE org_id = ? AND t = ? ORDER BY k LIMIT ?`)
      .raw();
    const remove = db.prepare(`DELETE FROM ${table.name} WHERE org_id = ? AND t = ? AND k <= ?`);
    const write = createChangeWriter(db, table);
    return (org: string, t: number): { read: number; kept: number; all: boolean } => {
      const rows = read.all(org, t, rowsPerLook) as unknown[][];
      if (rows.length < 2) return { read: rows.length, kept: rows.length, all: true };
      const byKey = new Map<string, RollupChange>();
      for (const row of rows) {
        const keys = row.slice(1, 1 + dims.length) as string[];
        const id = keys.join('\u0000');
        let c = byKey.get(id);
        if (!c) {
          c = { org, t, keys, sums: new Float64Array(SUMS.length), lat: new Map(), ttft: new Map() };
          byKey.set(id, c);
        }
        const base = 1 + dims.length;
        for (let i = 0; i < SUMS.length; i++) c.sums[i] += Number(row[base + i]);
        sketches.forEach((s, k) => {
          const pairs = bytesSketch(row[base + SUMS.length + k] as Uint8Array | null);
          const bins = c[s];
          for (let i = 0; i < pairs.length; i += 2) bins.set(pairs[i], (bins.get(pairs[i]) ?? 0) + pairs[i + 1]);
        });
      }
      const kept: RollupChange[] = [];
      for (const c of byKey.values()) {
        for (const [sum, count] of FLOATS) if (c.sums[count] === 0) c.sums[sum] = 0; // exactly 0 with no values left
        if (c.sums.some((v) => v !== 0) || [...c.lat.values(), ...c.ttft.values()].some((v) => v !== 0)) kept.push(c);
      }
      if (kept.length * 2 > rows.length) return { read: rows.length, kept: kept.length, all: rows.length < rowsPerLook };
      remove.run(org, t, rows[rows.length - 1][0]);
      write(kept);
      return { read: rows.length, kept: kept.length, all: rows.length < rowsPerLook };
    };
  });
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    if (looks.length === 0 || now() - last < COMPACT_EVERY_MS) return 0;
    const h = hours.next();
    if (!h) return 0;
    last = now();
    let read = 0;
    let kept = 0;
    let all = true;
    for (const look of looks) {
      const r = look(h.org, h.t);
      read += r.read;
      kept += r.kept;
      all &&= r.all;
    }
    hours.looked(h, read, kept, all);
    return read;
  };
}
