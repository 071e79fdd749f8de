import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { deriveRecord } from '../src/records/derive.ts';
import { RECORD_COLUMNS, encodeColumn } from '../src/store/columns.ts';
import { metaTag, metaValue } from '../src/store/sqlite/dialect.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { BENCH_ORG } from './processes.ts';
import { chatRecord } from './record-body.ts';

/**
 * The storage floor: the raw rate of inserting the same rows (records plus their record_meta rows) into the
 * same schema, through better-sqlite3 directly, 1000 rows per durable transaction, with every row encoded
 * before the clock starts. Nothing else is in the loop, so no server can beat it.
 */
export interface FloorOptions {
  /** Secondary indexes to drop before measuring (to price each index; bench/index-cost.ts). */
  dropIndexes?: string[];
  /** Whether to write the record_meta rows (default true). */
  metadata?: boolean;
}

export function storageFloor(dir: string, seconds: number, opts: FloorOptions = {}): { perSecond: number; rows: number } {
  fs.mkdirSync(dir, { recursive: true });
  const db: Database.Database = openSqlite(path.join(dir, 'tally.db'));
  for (const index of opts.dropIndexes ?? []) db.exec(`DROP INDEX ${index}`);
  const withMeta = opts.metadata ?? true;
  const names = RECORD_COLUMNS.map((c) => c.name);
  const idIndex = names.indexOf('id');
  const insert = db.prepare(`INSERT INTO records (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
  const insertMeta = db.prepare('INSERT INTO record_meta (org_id, k, t, v, seq) VALUES (?, ?, ?, ?, ?)');
  const rows = Array.from({ length: 1000 }, (_, i) => {
    const record = deriveRecord(chatRecord(i), BENCH_ORG);
    const row = record as unknown as Record<string, unknown>;
    const values = RECORD_COLUMNS.map((c) => encodeColumn(c, row[c.name]));
    const meta = Object.entries(record.field_9 ?? {}).map(([k, v]) => [BENCH_ORG, k, metaTag(v), metaValue(v as string)] as const);
    return { values, meta };
  });
  let n = 0;
  const ids = (batch: number) => rows.map((_, i) => `record_floor_${batch}_${i}`);
  const tx = db.transaction((batchIds: string[]) => {
    for (let i = 0; i < rows.length; i++) {
      const { values, meta } = rows[i];
      values[idIndex] = batchIds[i];
      const seq = insert.run(values).lastInsertRowid;
      if (withMeta) for (const m of meta) insertMeta.run(m[0], m[1], m[2], m[3], seq);
    }
  });
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let batch = 0;
  while (process.hrtime.bigint() < deadline) {
    const batchIds = ids(batch++); // cheap, but outside the transaction
    tx.immediate(batchIds);
    n += rows.length;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return { perSecond: n / elapsed, rows: n };
}
