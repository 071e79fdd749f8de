import Database from 'better-sqlite3';
import fs from 'node:fs';
import { BENCH_ORG } from './processes.ts';
import { MODELS } from './record-body.ts';
/**
 * `npx tsx bench/rollup-hour-layout.ts <seeded SQLite file> <scratch file>` (an experiment, docs/performance.md): the
 * hourly rollups of a seeded file copied into a scratch file twice, as kept (WITHOUT ROWID, the model index) and as a
 * rowid table with the key as a UNIQUE index and the same model index; one model's hours read by the model index,
 * the models in turn, 40 reads, two rounds. The scratch file is removed after.
 */
const [src, scratch] = process.argv.slice(2);
fs.rmSync(scratch, { force: true });
const db = new Database(scratch);
db.exec(`ATTACH '${src}' AS src`);
const cols = `org_id TEXT NOT NULL, t INTEGER NOT NULL, field_3 TEXT NOT NULL, field_4 TEXT NOT NULL, status TEXT NOT NULL,
  n INTEGER NOT NULL, errors INTEGER NOT NULL, costed INTEGER NOT NULL, cost REAL NOT NULL,
  tp_n INTEGER NOT NULL, tp INTEGER NOT NULL, tc_n INTEGER NOT NULL, tc INTEGER NOT NULL, tt_n INTEGER NOT NULL, tt INTEGER NOT NULL,
  lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, rate_n INTEGER NOT NULL, rate_sum REAL NOT NULL, lat BLOB, ttft BLOB`;
db.exec(`CREATE TABLE h_wr (${cols}, PRIMARY KEY (org_id, t, field_3, field_4, status)) WITHOUT ROWID;
  CREATE INDEX h_wr_model ON h_wr (org_id, field_4, t);
  CREATE TABLE h_rowid (${cols});
  CREATE UNIQUE INDEX h_rowid_key ON h_rowid (org_id, t, field_3, field_4, status);
  CREATE INDEX h_rowid_model ON h_rowid (org_id, field_4, t);
  INSERT INTO h_wr SELECT * FROM src.rollups_hour ORDER BY org_id, t, field_3, field_4, status;
  INSERT INTO h_rowid SELECT * FROM src.rollups_hour ORDER BY org_id, t, field_3, field_4, status;`);
db.exec('DETACH src');
db.close();
const r = new Database(scratch);
r.pragma('cache_size = -65536');
const from = Date.UTC(2026, 0, 1) * 1000;
const to = Date.UTC(2026, 0, 31) * 1000;
for (const round of [1, 2])
  for (const [table, index] of [
    ['h_wr', 'h_wr_model'],
    ['h_rowid', 'h_rowid_model'],
  ]) {
    const stmt = r
      .prepare(`SELECT t, n, lat FROM ${table} INDEXED BY ${index} WHERE org_id = ? AND t >= ? AND t < ? AND field_4 = ?`)
      .raw();
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      rows = stmt.all(BENCH_ORG, from, to, `v${MODELS[i % MODELS.length]}`).length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`round ${round} ${table}: ${rows} rows, p50 ${times[20].toFixed(2)} ms, max ${times[39].toFixed(2)} ms`);
  }
r.close();
fs.rmSync(scratch, { force: true });
