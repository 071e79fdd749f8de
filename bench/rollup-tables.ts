/**
 * What each rollup table costs a commit of the storage floor's rows: the floor's 1,000 chat records (bench/storage-
 * floor.ts) with rising timestamps, added up into a RollupDelta, then each table's rows written (createChangeWriter)
 * in a transaction of its own on a fresh store file, timed apart (wall ms a commit, which is CPU on an idle core).
 * Prints the median per table and for adding the records up. Usage: npx tsx bench/rollup-tables.ts [commits, 300]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deriveRecord } from '../src/records/derive.ts';
import { COLUMN_INDEX, encodeRecord } from '../src/store/encoded-record.ts';
import { ROLLUP_TABLES, RollupDelta, sourceOfValues } from '../src/store/rollup/tables.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { createChangeWriter } from '../src/store/sqlite/rollups.ts';
import { BENCH_ORG } from './processes.ts';
import { chatRecord } from './record-body.ts';

const commits = Number(process.argv[2] ?? 300);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-rollup-tables-'));
try {
  const db = openSqlite(path.join(dir, 'tally.db'));
  const writers = ROLLUP_TABLES.map((t) => ({ name: t.name, write: createChangeWriter(db, t) }));
  const rows = Array.from({ length: 1000 }, (_, i) => encodeRecord(deriveRecord(chatRecord(i), BENCH_ORG)).values);
  const tsAt = COLUMN_INDEX.get('ts')!;
  const source = sourceOfValues(COLUMN_INDEX);
  const times = new Map<string, number[]>([['add up', []], ...writers.map((w) => [w.name, []] as [string, number[]])]);
  const tsBase = Date.now() * 1000;
  for (let c = 0; c < commits; c++) {
    let t0 = performance.now();
    const delta = new RollupDelta();
    for (let i = 0; i < rows.length; i++) {
      rows[i][tsAt] = tsBase + c * rows.length + i;
      delta.add(source(rows[i]), 1);
    }
    times.get('add up')!.push(performance.now() - t0);
    for (const w of writers) {
      t0 = performance.now();
      db.transaction(() => w.write(delta.changes(w.name))).immediate();
      times.get(w.name)!.push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${commits} commits of 1,000 records`,
  );
  for (const [name, xs] of times) console.log(`${name}: ${median(xs).toFixed(2)} ms a commit (median)`);
  db.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
