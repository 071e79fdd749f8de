import type Database from 'better-sqlite3';
import { addPairs, bytesSketch, pairsOf, sketchBytes } from '../rollup/sketch.ts';
import {
  FLOAT_SUMS,
  ROLLUP_SOURCE_COLUMNS,
  ROLLUP_TABLES,
  RollupDelta,
  SKETCHES,
  SUMS,
  type RollupChange,
  type RollupSource,
  type RollupTable,
} from '../rollup/tables.ts';

const N = SUMS.indexOf('n');

/** The most rows one upsert statement writes; a table's rows go in chunks of this size, then of halving sizes. */
export const UPSERT_CHUNK = 64;

/**
 * Writes a RollupDelta into the rollup tables on the given connection, inside whatever transaction is open (the
 * records' own): each row the delta touches upserted once, in key order (createChangeWriter, a table at a time).
 */
export function createRollupWriter(db: Database.Database): (delta: RollupDelta) => void {
  const writers = ROLLUP_TABLES.map((table) => ({ table, write: createChangeWriter(db, table) }));
  return (delta) => {
    if (delta.size === 0) return;
    for (const { table, write } of writers) write(delta.changes(table.name));
  };
}

/** tally_sketch_add(a, b): two sketches' bytes added bin by bin (an upsert's merge). */
function registerSketchAdd(db: Database.Database): void {
  db.function('tally_sketch_add', { deterministic: true }, (a: Uint8Array | null, b: Uint8Array | null) =>
    sketchBytes(addPairs(bytesSketch(a), bytesSketch(b))),
  );
}

/**
 * Upserts rows' changes into one rollup table: sums added, sketches merged bin by bin (tally_sketch_add), a float sum
 * set back to exactly 0 when its last value goes; a row whose count falls to 0 is dropped. Rows go several to a
 * statement (INSERT ... VALUES (..), (..) ... ON CONFLICT DO UPDATE): UPSERT_CHUNK at a time, the rest in chunks of
 * 32, 16, ... 1 rows, one prepared statement per size, so that a fold that touches ~630 customer-day rows
 * makes ~16 calls instead of ~630 (the cost of a call and of binding its values).
 */
export function createChangeWriter(db: Database.Database, table: RollupTable): (changes: RollupChange[]) => void {
  registerSketchAdd(db);
  const key = ['org_id', 't', ...table.dims];
  const sketches = table.sketches ? SKETCHES.map(([s]) => s) : [];
  const columns = [...key, ...SUMS, ...sketches];
  const floats = new Map(FLOAT_SUMS);
  const set = [
    ...SUMS.map((s) => {
      const count = floats.get(s);
      return count
        ? `${s} = CASE WHEN ${count} + excluded.${count} = 0 THEN 0 ELSE ${s} + excluded.${s} END`
        : `${s} = ${s} + excluded.${s}`;
    }),
    ...sketches.map((s) => `${s} = tally_sketch_add(${s}, excluded.${s})`),
  ];
  const row = `(${columns.map(() => '?').join(', ')})`;
  const upserts = new Map<number, Database.Statement>();
  const upsert = (rows: number): Database.Statement => {
    let statement = upserts.get(rows);
    if (!statement) {
      statement = db.prepare(
        `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')} ` +
          `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${set.join(', ')}`,
      );
      upserts.set(rows, statement);
    }
    return statement;
  };
  const dropEmpty = db.prepare(`DELETE FROM ${table.name} WHERE ${key.map((k) => `${k} = ?`).join(' AND ')} AND n <= 0`);
  const width = columns.length;
  const params: unknown[] = [];
  return (all) => {
    // A row whose records all came and went before it was written (the fold's tail, rollup-fold.ts) changes nothing:
    // written, it would add an empty row, or a float sum's rounding.
    const changes = all.some((c) => c.sums[N] === 0) ? all.filter((c) => c.sums[N] !== 0) : all;
    let at = 0;
    for (let size = UPSERT_CHUNK; at < changes.length; size = Math.max(1, size >> 1)) {
      while (changes.length - at >= size) {
        params.length = size * width;
        let p = 0;
        for (let i = at; i < at + size; i++) {
          const c = changes[i];
          params[p++] = c.org;
          params[p++] = c.t;
          for (const k of c.keys) params[p++] = k;
          for (let s = 0; s < c.sums.length; s++) params[p++] = c.sums[s];
          if (table.sketches) {
            params[p++] = sketchBytes(pairsOf(c.lat));
            params[p++] = sketchBytes(pairsOf(c.ttft));
          }
        }
        upsert(size).run(params);
        for (let i = at; i < at + size; i++) {
          const c = changes[i];
          if (c.sums[N] < 0) dropEmpty.run(c.org, c.t, ...c.keys);
        }
        at += size;
      }
    }
  };
}

/** A rebuild of one org's rollups over [from, to) (microseconds, whole UTC days). */
export type RebuildRequest = { orgId: string; from: number; to: number } | { ready: true };

/**
 * Returns the function that rebuilds a range of an org's rollups in one IMMEDIATE transaction: its rows in the range
 * dropped, then its folded records in the range (records_org_ts_cover; seq at most through_seq) added up again. Answers the
 * number of records read. The caller keeps each range bounded (cli: a day at a time). { ready } marks the rollups
 * complete once every range is rebuilt.
 */
export function createRollupRebuilder(db: Database.Database): (request: RebuildRequest) => number {
  const write = createRollupWriter(db);
  const drops = ROLLUP_TABLES.map((t) => db.prepare(`DELETE FROM ${t.name} WHERE org_id = ? AND t >= ? AND t < ?`));
  // Only the folded records: the tail's are added up by the writer's fold (rollup-fold.ts), and reads add them.
  const read = db.prepare(
    `SELECT ${ROLLUP_SOURCE_COLUMNS.join(', ')} FROM records WHERE org_id = ? AND ts >= ? AND ts < ? AND seq <= (SELECT through_seq FROM rollups_state)`,
  );
  const ready = db.prepare('UPDATE rollups_state SET ready = 1, customer_hour = 1');
  const rebuild = db.transaction((r: RebuildRequest): number => {
    if ('ready' in r) return ready.run().changes;
    for (const drop of drops) drop.run(r.orgId, r.from, r.to);
    const delta = new RollupDelta();
    for (const row of read.iterate(r.orgId, r.from, r.to)) delta.add(row as RollupSource, 1);
    write(delta);
    return delta.size;
  });
  return (request) => rebuild.immediate(request);
}
