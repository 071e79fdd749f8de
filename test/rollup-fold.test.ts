import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { createEraser, ERASE_COLUMNS } from '../src/store/sqlite/erase.ts';
import { registerFunctions } from '../src/store/sqlite/functions.ts';
import { createInserter } from '../src/store/sqlite/insert.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { foldOf } from '../src/store/sqlite/rollup-fold.ts';
import { TAIL_RECORDS_MAX } from '../src/store/sqlite/tail-sql.ts';
import { startTestApp, type TestApp, tempDir } from './helpers/app.ts';
import { POISON_TRIGGER, sqlOnStore } from './helpers/store-sql.ts';

/**
 * SQLite's rollups folded from the records (store/sqlite/rollup-fold.ts, docs/analytics.md "Rollups"): records after
 * rollups_state.through_seq are the tail, held by the writer in memory and added by every read. Here: a tail the
 * writer never folds (its thresholds set out of reach) is read by every kind of rollup request, survives a failed
 * insert and a restart, and is folded by the next writer; a seq that a deletion frees and SQLite gives again is in
 * the tail, not taken for folded.
 */

const NEVER = { TALLY_ROLLUP_FOLD_RECORDS: '1000000', TALLY_ROLLUP_FOLD_IDLE_MS: '3600000', TALLY_ROLLUP_FOLD_MAX_MS: '3600000' };
const DAY = Date.UTC(2026, 10, 2);

const record = (i: number, customer = `c${i % 4}`) => ({
  timestamp: new Date(DAY + ((i * 7919) % (3 * 86_400)) * 1000).toISOString(),
  field_4: `m${i % 3}`,
  field_10: customer,
  field_7: 0.05 + (i % 50) / 10,
  field_8: i % 7 === 0 ? null : (i % 11) / 20,
  field_6: (i % 13) / 1000,
  field_18: i % 9 === 0 ? 500 : 200,
});

/** Requests of every rollup table (the planner's choice: by day, by the hour, by customer and day, by customer and hour). */
const REQUESTS = [
  { group_by: ['field_4'], interval: 'day', measures: ['count', 'cost', 'latency_p95', 'error_count'] },
  { group_by: ['field_10'], measures: ['cost', 'count'], order_by: '-cost', limit: 2 },
  { interval: 'hour', measures: ['latency_p95', 'ttft_p50', 'count'], filters: { field_4: { operator: '', value: ['m1'] } } },
  { group_by: ['field_10', 'field_4'], interval: 'hour', measures: ['count', 'latency_p50', 'tokens_total'] },
].map((r) => ({ param_a: '2026-11-01T00:00:00Z', end: '2026-11-09T00:00:00Z', ...r }));

const PERCENTILE = /_p\d+$/;

/** Every request answered from the rollups, equal to the scan's answer (a filter on a field no rollup keeps). */
async function assertAnswersExact(t: TestApp, what: string): Promise<void> {
  for (const r of REQUESTS) {
    const got = await t.request('POST', '/api/records/analytics/', r);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.source, 'rollup', `${what}: ${JSON.stringify(r)}`);
    const scan = await t.request('POST', '/api/records/analytics/', {
      ...r,
      filters: { ...r.filters, field_18: { operator: 'gte', value: [100] } },
    });
    assert.equal(scan.body.source, 'scan');
    const [a, b] = [got.body.results, scan.body.results] as [any[], any[]];
    assert.equal(a.length, b.length, `${what}: rows of ${JSON.stringify(r)}`);
    a.forEach((row, i) => {
      assert.deepEqual([row.bucket, row.group], [b[i].bucket, b[i].group], `${what}: row ${i} of ${JSON.stringify(r)}`);
      for (const m of r.measures) {
        const [x, y] = [row[m], b[i][m]];
        if (x === null || y === null) assert.equal(x, y, `${what}: ${m}`);
        else assert.ok(Math.abs(x - y) <= (PERCENTILE.test(m) ? 0.01 : 1e-9) * Math.max(Math.abs(y), 1e-300), `${what}: ${m} ${x} ≠ ${y}`);
      }
    });
  }
}

/** Erases a customer's records through the API. */
async function eraseCustomer(t: TestApp, customer: string): Promise<void> {
  const erased = await t.request('POST', '/api/records/erase/', { filters: { field_10: { operator: '', value: [customer] } } });
  assert.equal(erased.status, 200, JSON.stringify(erased.body));
}

async function foldState(t: TestApp): Promise<{ through: number; top: number }> {
  const [row] = await sqlOnStore(
    t,
    { sqlite: '', postgres: '' },
    'SELECT through_seq AS through, coalesce((SELECT max(seq) FROM records), 0) AS top FROM rollups_state',
  );
  return { through: Number(row.through), top: Number(row.top) };
}

/** Waits (at most 10 s) until the writer has folded every record (it does once it has been idle 50 ms by default; after failed folds, within 5 s). */
async function untilFolded(t: TestApp): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = await foldState(t);
    if (s.through >= s.top) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the writer did not fold the rollups within 10 s');
}

describe('SQLite rollups folded from the records', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('reads add the records not folded, through an erasure; a restart folds them', async () => {
    const data = dir();
    const t = await startTestApp('sqlite', { ...NEVER, TALLY_DATA_DIR: data });
    try {
      await t.createMany(300, (i) => record(i));
      for (let i = 0; i < 20; i++) await t.create(record(300 + i));
      assert.deepEqual(await foldState(t), { through: 0, top: 320 }, 'nothing folded');
      await assertAnswersExact(t, 'a tail of 320 records');

      await eraseCustomer(t, 'c1');
      await assertAnswersExact(t, 'after an erasure of tail records');
    } finally {
      await t.close();
    }

    // Closed without a fold (as a crash would leave it): the next writer reads the tail and folds it.
    const again = await startTestApp('sqlite', { TALLY_DATA_DIR: data });
    try {
      await assertAnswersExact(again, 'after a restart');
      await untilFolded(again);
      const s = await foldState(again);
      assert.ok(s.through >= s.top && s.top > 0, JSON.stringify(s));
      await assertAnswersExact(again, 'folded after the restart');
      await eraseCustomer(again, 'c2');
      await assertAnswersExact(again, 'after an erasure of folded records');
    } finally {
      await again.close();
    }
  });

  test('a seq freed by deleting the newest records and given again is in the tail', async () => {
    const data = dir();
    const t = await startTestApp('sqlite', { TALLY_DATA_DIR: data });
    try {
      // Twelve hours apart: the folded records of one model alone span three days (the summary's rollup path).
      const spread = (i: number, customer?: string) => ({
        ...record(i, customer),
        timestamp: new Date(DAY + i * 12 * 3_600_000).toISOString(),
      });
      await t.createMany(10, (i) => spread(i));
      await t.createMany(3, (i) => spread(10 + i, 'last'));
      await untilFolded(t);
      assert.deepEqual(await foldState(t), { through: 13, top: 13 });
      await eraseCustomer(t, 'last');
      assert.deepEqual(await foldState(t), { through: 10, top: 10 }, 'through_seq lowered to the newest record left');
    } finally {
      await t.close();
    }
    const u = await startTestApp('sqlite', { ...NEVER, TALLY_DATA_DIR: data });
    try {
      await u.create({ ...record(20, 'again'), timestamp: '2026-11-07T23:30:00Z' }); // the newest of all
      assert.deepEqual(await foldState(u), { through: 10, top: 11 }, 'seq 11 given again, after through_seq');
      await assertAnswersExact(u, 'a record under a seq given again');
      const byCustomer = await u.request('POST', '/api/records/analytics/', {
        param_a: '2026-11-01T00:00:00Z',
        end: '2026-11-09T00:00:00Z',
        group_by: ['field_10'],
        measures: ['count'],
        filters: { field_10: { operator: '', value: ['again'] } },
      });
      assert.deepEqual(
        byCustomer.body.results.map((r: any) => [r.group, r.count]),
        [[{ field_10: 'again' }, 1]],
      );
      // The explorer's filtered summary finds its time range by the hourly rollups and the tail (sql/time-range.ts):
      // the tail's record is the last one, as the scan (a filter on a field no rollup keeps) finds.
      const filters = { field_4: { operator: '', value: ['m2'] } };
      const summary = await u.request('POST', '/api/records/summary/', { filters });
      const scanned = await u.request('POST', '/api/records/summary/', {
        filters: { ...filters, field_18: { operator: 'gte', value: [100] } },
      });
      assert.equal(summary.status, 200, JSON.stringify(summary.body));
      assert.equal(summary.body.last_timestamp, '2026-11-07T23:30:00Z');
      for (const k of ['count', 'first_timestamp', 'last_timestamp', 'total_cost', 'bucket_seconds'])
        assert.deepEqual(summary.body[k], scanned.body[k], k);
    } finally {
      await u.close();
    }
  });
  test('a batch the store refuses whole leaves nothing in the rollups when the writer folds next', async () => {
    const t = await startTestApp('sqlite');
    try {
      await t.createMany(50, (i) => record(i));
      // A trigger aborts the batch's last record: its transaction rolls back after its first records were added to
      // the writer's memory, which must forget them (read again from the records) before it folds.
      await sqlOnStore(t, POISON_TRIGGER);
      const refused = await t.request('POST', '/api/records/batch/', {
        records: [record(400), record(401), { ...record(402), field_10: 'poison' }],
      });
      assert.notEqual(refused.status, 201, JSON.stringify(refused.body));
      await sqlOnStore(t, { sqlite: 'DROP TRIGGER poison', postgres: '' });
      await t.createMany(10, (i) => record(500 + i));
      await untilFolded(t);
      await assertAnswersExact(t, 'folded after a refused batch');
    } finally {
      await t.close();
    }
  });
  test('a fold that fails keeps the tail (reads stay exact) and is tried again later', async () => {
    const t = await startTestApp('sqlite');
    try {
      await t.createMany(40, (i) => record(i));
      await untilFolded(t);
      // Every write to a rollup table now fails (as a full disk would fail the fold), while records still commit.
      await sqlOnStore(t, {
        sqlite: `CREATE TRIGGER no_day_insert BEFORE INSERT ON rollups_day BEGIN SELECT RAISE(ABORT, 'no room'); END;
                 CREATE TRIGGER no_day_update BEFORE UPDATE ON rollups_day BEGIN SELECT RAISE(ABORT, 'no room'); END;`,
        postgres: '',
      });
      await t.createMany(30, (i) => record(100 + i));
      await new Promise((resolve) => setTimeout(resolve, 300)); // several idle folds tried, and failed
      const stuck = await foldState(t);
      assert.ok(stuck.through < stuck.top, `the tail is kept: ${JSON.stringify(stuck)}`);
      await assertAnswersExact(t, 'while folds fail');
      await sqlOnStore(t, { sqlite: 'DROP TRIGGER no_day_insert; DROP TRIGGER no_day_update;', postgres: '' });
      await untilFolded(t);
      await assertAnswersExact(t, 'folded once folds succeed again');
    } finally {
      await t.close();
    }
  });

  test('two writers on one file (the server and `npx tally`): each finds what the other wrote or folded, and nothing is counted twice', () => {
    const file = path.join(dir(), 'tally.db');
    const [a, b] = [openSqlite(file), openSqlite(file)];
    try {
      const [insertA, insertB] = [createInserter(a), createInserter(b)];
      const [foldA, foldB] = [foldOf(a), foldOf(b)];
      const make = (i: number) => encodeRecord(deriveRecord(record(i), 'org_two'));
      const folded = () => a.prepare('SELECT coalesce(sum(n), 0) FROM rollups_day').pluck().get();
      insertA([make(0), make(1), make(2)]); // in A's memory
      insertB([make(3), make(4)]); // B reads the tail A wrote, then adds its own
      foldB.fold();
      assert.equal(folded(), 5);
      insertA([make(5)]); // A's memory (3 records, folded by B since) is read again before this insert
      foldA.fold();
      assert.equal(folded(), 6, 'every record folded once');
      const erase = createEraser(b);
      registerFunctions(b);
      assert.equal(erase({ select: { sql: `SELECT ${ERASE_COLUMNS} FROM records WHERE seq = 6`, params: [], named: {} } }), 1);
      insertA([make(6)]);
      foldA.fold();
      assert.equal(folded(), a.prepare('SELECT count(*) FROM records').pluck().get(), 'after a deletion by the other writer');
    } finally {
      a.close();
      b.close();
    }
  });

  test('past TAIL_RECORDS_MAX records not folded (folds failing for long) a read is a scan, not a read of the whole tail', async () => {
    const t = await startTestApp('sqlite', NEVER);
    try {
      const byModel = { ...REQUESTS[0], measures: ['count'] };
      const count = (res: Awaited<ReturnType<TestApp['request']>>) =>
        (res.body.results as { count: number }[]).reduce((n, r) => n + r.count, 0);
      await t.createMany(TAIL_RECORDS_MAX, (i) => record(i));
      const within = await t.request('POST', '/api/records/analytics/', byModel);
      assert.deepEqual([within.body.source, count(within)], ['rollup', TAIL_RECORDS_MAX]);
      await t.create(record(TAIL_RECORDS_MAX));
      const past = await t.request('POST', '/api/records/analytics/', byModel);
      assert.deepEqual([past.body.source, count(past)], ['scan', TAIL_RECORDS_MAX + 1]);
    } finally {
      await t.close();
    }
  });

  test('a tail not known when a write begins is read before the write changes records (nothing counted twice)', () => {
    const db = openSqlite(path.join(dir(), 'tally.db'));
    registerFunctions(db);
    try {
      const insert = createInserter(db);
      const erase = createEraser(db);
      const fold = foldOf(db);
      const make = (i: number) => encodeRecord(deriveRecord(record(i), 'org_fold'));
      /** Records the tail holds, by its daily rows' counts. */
      const held = () =>
        fold
          .pending()
          .changes('rollups_day')
          .reduce((n, c) => n + c.sums[0], 0);
      insert([make(0), make(1), make(2)]);
      assert.equal(held(), 3);
      fold.invalidate(); // as after a failure: read again from the records when next needed
      insert([make(3), make(4)]);
      assert.equal(held(), 5, 'the records the insert added are counted once');
      fold.invalidate();
      const one = `SELECT ${ERASE_COLUMNS} FROM records WHERE seq = 5`;
      assert.equal(erase({ select: { sql: one, params: [], named: {} } }), 1);
      assert.equal(held(), 4, 'the record the erasure took is taken out once');
      fold.fold();
      assert.equal(held(), 0);
      assert.equal(db.prepare('SELECT sum(n) FROM rollups_day').pluck().get(), 4);
    } finally {
      db.close();
    }
  });
});
