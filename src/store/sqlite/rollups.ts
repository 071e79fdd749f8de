import type Database from 'better-sqlite3';
import { bytesSketch, addPairs, sketchBytes } from '../rollup/sketch.ts';
import {
  FLOAT_SUMS,
  ROLLUP_SOURCE_COLUMNS,
  ROLLUP_TABLES,
  RollupDelta,
  SKETCHES,
  SUMS,
  type RollupSource,
  type RollupTable,
} from '../rollup/tables.ts';

/**
 * Writes a RollupDelta into the rollup tables on the given connection, inside whatever transaction is open (the
 * records' own): one upsert per row the delta touches, sums added, sketches merged bin by bin (tally_sketch_add),
 * a float sum set back to exactly 0 when its last value goes; a row whose count falls to 0 is dropped.
 */
export function createRollupWriter(db: Database.Database): (delta: RollupDelta) => void {
  db.function('tally_sketch_add', { deterministic: true }, (a: Uint8Array | null, b: Uint8Array | null) =>
    sketchBytes(addPairs(bytesSketch(a), bytesSketch(b))),
  );
  const statements = ROLLUP_TABLES.map((table) => ({ table, ...statementsFor(db, table) }));
  return (delta) => {
    if (delta.size === 0) return;
    for (const { table, upsert, dropEmpty } of statements) {
      for (const w of delta.writes(table.name)) {
        const sketches = table.sketches ? [sketchBytes(w.lat), sketchBytes(w.ttft)] : [];
        upsert.run(w.org, w.t, ...w.keys, ...SUMS.map((s) => w.sums[s]), ...sketches);
        if (w.sums.n < 0) dropEmpty.run(w.org, w.t, ...w.keys);
      }
    }
  };
}

function statementsFor(db: Database.Database, table: RollupTable) {
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
  const upsert = db.prepare(
    `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ` +
      `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${set.join(', ')}`,
  );
  const dropEmpty = db.prepare(`DELETE FROM ${table.name} WHERE ${key.map((k) => `${k} = ?`).join(' AND ')} AND n <= 0`);
  return { upsert, dropEmpty };
}

/** A rebuild of one org's rollups over [from, to) (microseconds, whole UTC days). */
export type RebuildRequest = { orgId: string; from: number; to: number } | { ready: true };

/**
 * Returns the function that rebuilds a range of an org's rollups in one IMMEDIATE transaction: its rows in the range
 * dropped, then its records in the range (records_org_ts_cover) added up again as inserts add them. Answers the
 * number of records read. The caller keeps each range bounded (cli: a day at a time). { ready } marks the rollups
 * complete once every range is rebuilt.
 */
export function createRollupRebuilder(db: Database.Database): (request: RebuildRequest) => number {
  const write = createRollupWriter(db);
  const drops = ROLLUP_TABLES.map((t) => db.prepare(`DELETE FROM ${t.name} WHERE org_id = ? AND t >= ? AND t < ?`));
  const read = db.prepare(`SELECT ${ROLLUP_SOURCE_COLUMNS.join(', ')} FROM records WHERE org_id = ? AND ts >= ? AND ts < ?`);
  const ready = db.prepare('UPDATE rollups_state SET ready = 1');
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
