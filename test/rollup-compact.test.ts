import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite from 'better-sqlite3';
import type Database from 'better-sqlite3';
import type { CreateInput } from '../src/fields/validate.ts';
import { parseAnalyticsParams } from '../src/query/analytics-params.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { planRollup } from '../src/records/rollup-plan.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { rollupReadSql } from '../src/store/sql/rollups.ts';
import { addPairs, bytesSketch } from '../src/store/rollup/sketch.ts';
import { RollupDelta, type RollupSource, SUMS } from '../src/store/rollup/tables.ts';
import { COMPACT_AFTER } from '../src/store/sqlite/appended-hours.ts';
import { createRowWriter } from '../src/store/sqlite/insert.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { sqliteDialect } from '../src/store/sqlite/dialect.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { COMPACT_EVERY_MS, COMPACT_ROWS, createRollupCompactor } from '../src/store/sqlite/rollup-compact.ts';
import { createRollupWriter } from '../src/store/sqlite/rollups.ts';

// rollups_customer_hour on SQLite is appended to (migration 20) and compacted by the writer (rollup-compact.ts). These
// tests drive the compactor on a real store file, with a clock of their own: a look folds rows without changing what
// any key adds up to, gives up on hours of distinct keys, and reads no more than COMPACT_ROWS rows at once.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-compact-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const HOUR = Date.UTC(2026, 11, 1, 10); // ms
const ORG = 'org_compact';

interface Store {
  db: Database.Database;
  insert: (bodies: CreateInput[]) => void;
  unrollup: (bodies: CreateInput[]) => void;
  look: () => number;
  tick: () => void;
  rows: () => number;
}

let files = 0;
function openStore(rowsPerLook = COMPACT_ROWS): Store {
  const db = openSqlite(path.join(dir, `s${files++}.db`));
  const writeRows = createRowWriter(db);
  const writeRollups = createRollupWriter(db);
  let clock = 0;
  const look = createRollupCompactor(db, () => clock, rowsPerLook);
  const encode = (b: CreateInput) => encodeRecord(deriveRecord(b, ORG));
  return {
    db,
    insert: (bodies) => db.transaction(() => writeRows(bodies.map(encode)))(),
    // What a deletion of these records appends (erase.ts and expiry.ts write the same negative delta).
    unrollup: (bodies) => {
      const delta = new RollupDelta();
      for (const b of bodies) {
        const r = deriveRecord(b, ORG) as unknown as Record<string, unknown>;
        delta.add({ ...r, org_id: ORG, ts: Date.parse(String(b.timestamp)) * 1000 } as RollupSource, -1);
      }
      db.transaction(() => writeRollups(delta))();
    },
    look: () => db.transaction(() => look())(),
    tick: () => {
      clock += COMPACT_EVERY_MS;
    },
    rows: () => db.prepare('SELECT count(*) FROM rollups_customer_hour').pluck().get() as number,
  };
}

const body = (i: number, keys: number): CreateInput =>
  ({
    timestamp: new Date(HOUR + (i % 3_600_000)).toISOString(),
    field_3: 'type_a',
    field_4: `model-${i % keys}`,
    field_10: `customer-${Math.floor(i / keys) % 3}`,
    field_7: (i % 97) / 10,
    field_8: i % 5 === 0 ? null : (i % 13) / 100,
    field_6: (i % 7) / 1000,
    field_5: { sub_field_a: i % 11, sub_field_b: i % 3 },
  }) as CreateInput;

/** What each key of the hour adds up to (sums, and the sketches as "bin:count" text), keys with no records left out. */
function folded(s: Store): Map<string, string> {
  const out = new Map<string, { sums: number[]; lat: Int32Array; ttft: Int32Array }>();
  const rows = s.db
    .prepare(`SELECT field_3, field_4, field_10, status, ${SUMS.join(', ')}, lat, ttft FROM rollups_customer_hour ORDER BY k`)
    .raw()
    .all() as unknown[][];
  for (const r of rows) {
    const key = r.slice(0, 4).join('|');
    const sums = r.slice(4, 4 + SUMS.length).map(Number);
    const held = out.get(key);
    const lat = bytesSketch(r[4 + SUMS.length] as Buffer | null);
    const ttft = bytesSketch(r[5 + SUMS.length] as Buffer | null);
    if (!held) out.set(key, { sums, lat: new Int32Array(lat), ttft: new Int32Array(ttft) });
    else {
      held.sums = held.sums.map((v, i) => v + sums[i]);
      held.lat = addPairs(held.lat, lat);
      held.ttft = addPairs(held.ttft, ttft);
    }
  }
  const text = new Map<string, string>();
  for (const [key, v] of out) {
    if (v.sums[0] === 0) continue;
    // Float sums to 12 significant digits: the order they are added in may differ.
    const sums = v.sums.map((x) => Number(x.toPrecision(12)));
    text.set(key, `${sums.join(',')} / ${[...v.lat].join(',')} / ${[...v.ttft].join(',')}`);
  }
  return text;
}

describe('compaction of the appended hourly customer rollups (SQLite)', () => {
  test('a look folds an hour of many commits into a row per key, and what every key adds up to stays the same', () => {
    const s = openStore();
    const keys = 4; // 4 models × 3 customers: 12 keys
    const bodies = Array.from({ length: COMPACT_AFTER + 100 }, (_, i) => body(i, keys));
    for (const b of bodies) s.insert([b]); // a commit each: a row each
    s.unrollup(bodies.filter((_, i) => i % 10 === 0)); // deletions: rows of negative counts
    s.unrollup(bodies.filter((_, i) => Math.floor(i / keys) % 3 === 2 && i % keys === 1)); // one key: every record gone
    const before = folded(s);
    const rowsBefore = s.rows();
    assert.ok(rowsBefore > COMPACT_AFTER, `${rowsBefore} rows appended`);
    const read = s.look();
    assert.equal(read, rowsBefore, 'the look read every row of the hour');
    assert.equal(s.rows(), before.size, 'a row per key with records left');
    assert.deepEqual(folded(s), before);
    assert.equal(s.look(), 0, 'a second look within COMPACT_EVERY_MS does nothing');
    s.tick();
    assert.equal(s.look(), 0, 'nothing is due once folded');
  });

  test('an hour of distinct keys is left as it is, and looked at again only after twice as many rows', () => {
    const s = openStore();
    const n = COMPACT_AFTER;
    for (let i = 0; i < n; i++) s.insert([body(i, n)]); // every row its own key (models 0..n-1)
    const rowids = s.db.prepare('SELECT k FROM rollups_customer_hour ORDER BY k').pluck().all();
    assert.equal(s.look(), n);
    assert.deepEqual(s.db.prepare('SELECT k FROM rollups_customer_hour ORDER BY k').pluck().all(), rowids, 'nothing rewritten');
    s.tick();
    for (let i = 0; i < n; i++) s.insert([body(n + i, 2 * n)]);
    assert.equal(s.look(), 0, 'not due again after COMPACT_AFTER more rows');
    for (let i = 0; i < n; i++) s.insert([body(2 * n + i, 3 * n)]);
    assert.equal(s.look(), 3 * n, 'due again after twice as many');
  });

  test('a look reads at most COMPACT_ROWS rows; the rest of the hour is folded by the next', () => {
    const s = openStore();
    const total = COMPACT_ROWS + 300;
    const bodies = Array.from({ length: total }, (_, i) => body(i, 1)); // 3 keys (one model, three customers)
    const db = s.db;
    // A commit each, in one transaction of many statements (as fast as a test can go): still a row per commit, since
    // each insert() call writes its own rollup rows.
    db.transaction(() => {
      for (const b of bodies) s.insert([b]);
    })();
    const before = folded(s);
    assert.equal(s.rows(), total);
    assert.equal(s.look(), COMPACT_ROWS);
    assert.equal(s.rows(), 3 + 300, 'the first COMPACT_ROWS folded, the rest as they were');
    assert.deepEqual(folded(s), before);
    s.tick();
    assert.equal(s.look(), 303);
    assert.equal(s.rows(), 3);
    assert.deepEqual(folded(s), before);
  });

  test('a look that reaches only deletions keeps them (rows of negative counts), and every key still adds up', () => {
    const s = openStore(200);
    const bodies = Array.from({ length: 600 }, (_, i) => body(i, 1)); // 3 keys
    for (const b of bodies) s.insert([b]);
    for (const b of bodies.slice(0, 400)) s.unrollup([b]); // 400 rows of deletions after the 600
    const before = folded(s);
    // Looks take the oldest rows first and write folded rows last: the third reaches deletions only.
    let looks = 0;
    while (s.look() > 0 && looks < 50) {
      looks++;
      assert.deepEqual(folded(s), before, `after look ${looks}`);
      s.tick();
    }
    assert.ok(looks >= 3, `${looks} looks`);
  });

  test('migration 20 keeps the rows of the upserted table and appends after them', () => {
    const file = path.join(dir, `upgrade-${files++}.db`);
    const old = new BetterSqlite(file);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= 19)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }
    const sums = SUMS.map((_, i) => i + 1);
    const blob = Buffer.from(Int32Array.of(7, 2).buffer);
    old
      .prepare(`INSERT INTO rollups_customer_hour VALUES (?, ?, 'vtype_a', 'vm', 'vc', 'vok', ${SUMS.map(() => '?').join(', ')}, ?, NULL)`)
      .run(ORG, HOUR * 1000, ...sums, blob);
    old.close();
    const db = openSqlite(file);
    const rows = db.prepare('SELECT * FROM rollups_customer_hour').all() as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    assert.deepEqual(
      SUMS.map((s) => rows[0][s]),
      sums,
    );
    assert.deepEqual([...bytesSketch(rows[0].lat as Buffer)], [7, 2]);
    // A range of hours is a range of the key (org_id, t, k): no other index, no scan of every org's hours.
    const q = parseAnalyticsParams(
      { param_a: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z', interval: 'hour', group_by: 'field_10', measures: 'latency_p95' },
      Date.now() * 1000,
    );
    const read = planRollup(q);
    assert.equal(read?.parts[0].table, 'rollups_customer_hour');
    const params: unknown[] = [];
    const sql = rollupReadSql(sqliteDialect, params, ORG, read!, q);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    assert.match(plan, /SEARCH rollups_customer_hour USING PRIMARY KEY \(org_id=\? AND t>\? AND t<\?\)/);
    const writeRows = createRowWriter(db);
    db.transaction(() => writeRows([encodeRecord(deriveRecord(body(0, 1), ORG))]))();
    db.transaction(() => writeRows([encodeRecord(deriveRecord(body(1, 1), ORG))]))();
    assert.deepEqual(db.prepare('SELECT k FROM rollups_customer_hour ORDER BY k').pluck().all(), [1, 2, 3], 'appended after the old row');
    db.close();
  });
});
