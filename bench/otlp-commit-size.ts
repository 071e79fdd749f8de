/**
 * What the size of a commit costs the writer: `tsx bench/otlp-commit-size.ts [seconds=3]`. Inserts the otlp
 * scenario's records (otlpRowBodies, derived and encoded before the clock starts, new ids each round) through the
 * writer's own insert (createInserter: one IMMEDIATE transaction a call, synchronous=FULL) into a fresh SQLite file,
 * in commits of 32 … 1,000 records, alternating the sizes over several rounds, and prints µs per record for each
 * (the fastest round: the machine is shared). Not part of `npm run bench`: it says whether fewer, larger commits pay.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newRecordId } from '../src/model/ids.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { createInserter } from '../src/store/sqlite/insert.ts';
import { openSqlite, openSqliteWriter, WRITER_AUTOCHECKPOINT_PAGES } from '../src/store/sqlite/open.ts';
import { startCheckpointer } from '../src/store/sqlite/checkpointer-client.ts';
import { otlpRowBodies } from './otlp-body.ts';
import { BENCH_ORG } from './processes.ts';

const seconds = Number(process.argv[2] ?? 3);
const SIZES = [32, 128, 256, 512, 1000];
const ROUNDS = 3;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-commit-size-'));
const file = path.join(dir, 'tally.db');
openSqlite(file).close(); // created and migrated
const db = openSqliteWriter(file);
db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
const checkpointer = startCheckpointer(file);
const insert = createInserter(db);
const bodies = otlpRowBodies(1000);
const encode = (n: number) => Array.from({ length: n }, (_, i) => encodeRecord(deriveRecord(bodies[i % 1000], BENCH_ORG, newRecordId())));
const best = new Map<number, number>();
try {
  for (let round = 0; round < ROUNDS; round++)
    for (const size of round % 2 === 0 ? SIZES : [...SIZES].reverse()) {
      const groups = Array.from({ length: Math.ceil(8000 / size) }, () => encode(size));
      let n = 0;
      const started = performance.now();
      const deadline = started + seconds * 1000;
      for (let g = 0; g < groups.length && performance.now() < deadline; g++) n += insert(groups[g]);
      const us = ((performance.now() - started) * 1000) / n;
      best.set(size, Math.min(best.get(size) ?? Infinity, us));
    }
  for (const size of SIZES) console.log(`${String(size).padStart(5)} records a commit: ${best.get(size)!.toFixed(1)} µs/record`);
} finally {
  db.close();
  await checkpointer.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
