import type Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { CreateInput } from '../src/fields/validate.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { RECORD_COLUMNS, encodeColumn } from '../src/store/columns.ts';
import { metaTag, metaValue } from '../src/store/sqlite/dialect.ts';
import { MetaCounts, metaCountWriter } from '../src/store/sqlite/meta-counts.ts';
import { COLUMN_INDEX } from '../src/store/encoded-record.ts';
import { sourceOfValues } from '../src/store/rollup/tables.ts';
import { DEFAULT_FOLD, foldOf } from '../src/store/sqlite/rollup-fold.ts';
import { startCheckpointer } from '../src/store/sqlite/checkpointer-client.ts';
import { WRITER_AUTOCHECKPOINT_PAGES, openSqlite } from '../src/store/sqlite/open.ts';
import { BENCH_ORG } from './processes.ts';
import { chatRecord } from './record-body.ts';

/**
 * The storage floor: the raw rate of inserting the same rows (records plus their record_meta rows, and the
 * per-org and per-value counts and the analytics rollups the store keeps beside them, folded as the store folds
 * them) into the same schema, through better-sqlite3
 * directly, 1000 rows per durable transaction, with every row encoded and its counts added up before the clock
 * starts (each batch's per-value counts are copied outside its transaction). Nothing else is in the loop, so no
 * server can beat it. Ids and timestamps are new in every batch and timestamps rise, as the store stamps records on
 * arrival: a floor that reused one set of timestamps (as this one did until 2026-11-29) inserts into the middle of
 * the time indexes instead of at their right edge, and measured ~20% slower than the rows the server writes.
 */
export interface FloorOptions {
  /** Secondary indexes to drop before measuring (to price each index; bench/index-cost.ts). */
  dropIndexes?: string[];
  /** CREATE INDEX statements to run before measuring (to price an index not in the schema). */
  addIndexes?: string[];
  /** Whether to write the record_meta rows and their per-value counts (default true). */
  metadata?: boolean;
  /** Whether to keep the per-value metadata counts (default true; false prices them, bench/index-cost.ts). */
  metaCounts?: boolean;
  /** Adds a metadata key with a different value in every record (prices per-value counting at its worst). */
  uniqueMetaValues?: boolean;
  /**
   * Checkpoints as the store does (its checkpointer thread, and the writer's larger auto-checkpoint size) instead of
   * better-sqlite3's default, where the commit that crosses 1,000 WAL pages copies them into the file itself.
   */
  checkpointer?: boolean;
  /**
   * Whether to keep the analytics rollups as the store does (default true; false prices them): each record added to
   * the tail in its transaction, the tail folded into the rollup tables once it holds DEFAULT_FOLD.records (what
   * the writer does under a steady load; rollup-fold.ts).
   */
  rollups?: boolean;
  /** The rows' create bodies (1000; default chatRecord(0 … 999)): the otlp scenario's are the records its spans become. */
  bodies?: readonly CreateInput[];
}

export function storageFloor(
  dir: string,
  seconds: number,
  opts: FloorOptions = {},
): { perSecond: number; rows: number; stopped: Promise<void> } {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'tally.db');
  const db: Database.Database = openSqlite(file);
  if (opts.checkpointer) db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
  const checkpointer = opts.checkpointer ? startCheckpointer(file) : null;
  for (const index of opts.dropIndexes ?? []) db.exec(`DROP INDEX ${index}`);
  for (const sql of opts.addIndexes ?? []) db.exec(sql);
  const withMeta = opts.metadata ?? true;
  const names = RECORD_COLUMNS.map((c) => c.name);
  const idIndex = names.indexOf('id');
  const tsIndex = names.indexOf('ts');
  const insert = db.prepare(`INSERT INTO records (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
  const insertMeta = db.prepare('INSERT INTO record_meta (org_id, k, t, v, seq) VALUES (?, ?, ?, ?, ?)');
  const addCount = db.prepare(
    'INSERT INTO org_record_counts (org_id, n) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET n = n + excluded.n',
  );
  const addMetaCounts = metaCountWriter(db);
  const withRollups = opts.rollups ?? true;
  const fold = foldOf(db);
  const rollupSource = sourceOfValues(COLUMN_INDEX);
  const rows = Array.from({ length: 1000 }, (_, i) => {
    const body = { ...(opts.bodies?.[i] ?? chatRecord(i)) } as Record<string, unknown>;
    if (opts.uniqueMetaValues) body.field_9 = { ...(body.field_9 as object), request_id: `req_${i}` };
    const record = deriveRecord(body as CreateInput, BENCH_ORG);
    const row = record as unknown as Record<string, unknown>;
    const values = RECORD_COLUMNS.map((c) => encodeColumn(c, row[c.name]));
    const meta = Object.entries(record.field_9 ?? {}).map(([k, v]) => [BENCH_ORG, k, metaTag(v), metaValue(v as string)] as const);
    return { values, meta };
  });
  const counts = new MetaCounts();
  for (const { meta } of rows) for (const m of meta) counts.add(m[0], m[1], m[2]!, m[3]);
  let batch = 0;
  const perValue = (b: number) => {
    // With unique values, each batch counts values no earlier batch had, as the store would.
    const batchCounts = new MetaCounts();
    for (const [org, k, t, v, c] of counts.entries())
      batchCounts.add(org, k, t, opts.uniqueMetaValues && k === 'request_id' ? `${v}_${b}` : v, c);
    return batchCounts;
  };
  let n = 0;
  const tsBase = Date.now() * 1000;
  const ids = (b: number) => rows.map((_, i) => `record_floor_${b}_${i}`);
  const tx = db.transaction((batchIds: string[], batchCounts: MetaCounts) => {
    // As the store's insert does (insert.ts): the tail checked before the records change. Without it, the first fold's
    // own check found the memory unchecked and read the whole tail again from the records (~1.5 µs a record of a
    // 4-second run, charged to the rollups in bench/rollup-cost.ts).
    if (withRollups) fold.check();
    for (let i = 0; i < rows.length; i++) {
      const { values, meta } = rows[i];
      values[idIndex] = batchIds[i];
      values[tsIndex] = tsBase + batch * rows.length + i; // arrival order, as the store stamps records
      const seq = insert.run(values).lastInsertRowid;
      if (withRollups) fold.inserted(rollupSource(values));
      if (withMeta)
        for (let j = 0; j < meta.length; j++)
          insertMeta.run(
            meta[j][0],
            meta[j][1],
            meta[j][2],
            opts.uniqueMetaValues && meta[j][1] === 'request_id' ? `${meta[j][3]}_${batch}` : meta[j][3],
            seq,
          );
    }
    addCount.run(BENCH_ORG, rows.length);
    if (withMeta && (opts.metaCounts ?? true)) addMetaCounts(batchCounts);
  });
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    const batchIds = ids(batch); // cheap, but outside the transaction
    tx.immediate(batchIds, perValue(batch));
    batch++;
    n += rows.length;
    if (withRollups && fold.size() >= DEFAULT_FOLD.records) fold.fold();
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return { perSecond: n / elapsed, rows: n, stopped: checkpointer ? checkpointer.close() : Promise.resolve() };
}
