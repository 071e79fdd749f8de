import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import {
  createExpirer,
  type ExpireOutcome,
  nextSliceSize,
  SLICE_BUDGET_MS,
  SLICE_MAX,
  SLICE_MIN,
  SLICE_SHARE,
  type Slice,
  sliceBudget,
} from '../src/store/sqlite/expiry.ts';
import { registerFunctions } from '../src/store/sqlite/functions.ts';
import { createInserter, createRowWriter } from '../src/store/sqlite/insert.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';

/**
 * SQLite's retention deletion (store/sqlite/expiry.ts): slices of a pending expiry ride the group commits, inside
 * their transactions, counted only once committed; with no commit, slices run alone; every count stays exact.
 */

const ORG = 'org_expiry';
/** The time a commit's inserts took, as the writer tells the slice: its budget is then SLICE_BUDGET_MS. */
const INSERT_MS = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
const make = (daysAgo: number, i: number) =>
  encodeRecord(
    deriveRecord(
      { timestamp: new Date(Date.now() - daysAgo * DAY_MS).toISOString(), field_10: `c${i % 3}`, field_9: { env: i % 2 ? 'a' : 'b' } },
      ORG,
    ),
  );

test('the slice size follows a time budget measured around the deletion itself: halved above it, doubled under half of it', () => {
  const over = SLICE_BUDGET_MS + 0.5;
  const under = SLICE_BUDGET_MS / 2 - 0.1;
  assert.equal(nextSliceSize(SLICE_MAX, over), SLICE_MAX / 2);
  assert.equal(nextSliceSize(3, over), 1);
  assert.equal(nextSliceSize(SLICE_MIN, 1000), SLICE_MIN, 'not under the floor');
  assert.equal(nextSliceSize(10, under), 20);
  assert.equal(nextSliceSize(80, 0), SLICE_MAX, 'not over the cap');
  assert.equal(nextSliceSize(40, (SLICE_BUDGET_MS * 3) / 4), 40, 'within the budget: kept');
  // In a commit, the budget is a share of the time its inserts took, at most SLICE_BUDGET_MS.
  assert.equal(sliceBudget(1), SLICE_SHARE);
  assert.equal(sliceBudget(INSERT_MS), SLICE_BUDGET_MS);
  assert.equal(nextSliceSize(40, 0.6, sliceBudget(1)), 20, 'over a short commit’s budget: halved');
  assert.equal(nextSliceSize(40, 0.6, sliceBudget(INSERT_MS)), 80, 'under half of a long one’s: doubled');
});

describe('SQLite: expired records deleted in slices of the commits', () => {
  const open = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-expiry-'));
    const db = openSqlite(path.join(dir, 'tally.db'));
    registerFunctions(db);
    const replies: { id: number; error: string | null; outcome?: ExpireOutcome }[] = [];
    const expirer = createExpirer(db, (id, error, outcome) => replies.push({ id, error: error?.error ?? null, outcome }));
    const close = () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    /** Every derived count against a fresh one. */
    const exact = () => {
      assert.deepEqual(
        db.prepare('SELECT org_id, n FROM org_record_counts WHERE n > 0 ORDER BY org_id').all(),
        db.prepare('SELECT org_id, count(*) AS n FROM records GROUP BY org_id ORDER BY org_id').all(),
      );
      assert.equal(
        db.prepare('SELECT count(*) FROM record_meta').pluck().get(),
        db.prepare("SELECT count(*) FROM records WHERE field_9 IS NOT NULL AND field_9 <> '{}'").pluck().get(),
      );
      assert.deepEqual(
        db.prepare('SELECT v, n FROM meta_value_counts WHERE n > 0 ORDER BY v').all(),
        db.prepare('SELECT v, count(*) AS n FROM record_meta GROUP BY v HAVING n >= 2 ORDER BY v').all(),
      );
    };
    return { db, replies, expirer, close, exact };
  };
  const before = () => (Date.now() - 10 * DAY_MS) * 1000;

  test('each commit deletes a slice before its COMMIT; a rolled-back commit takes its slice back; the expiry is answered with its count', () => {
    const { db, replies, expirer, close, exact } = open();
    try {
      const insert = createInserter(db);
      const writeRows = createRowWriter(db);
      const old = 250;
      insert(Array.from({ length: old }, (_, i) => make(20 + (i % 4), i)));
      insert(Array.from({ length: 5 }, (_, i) => make(1, i)));
      expirer.request(1, { orgId: ORG, before: before(), limit: 10_000 });

      // A commit that rolls back: its slice's deletions are gone with it and not counted.
      let slice: Slice | null = null;
      assert.throws(() =>
        db
          .transaction(() => {
            writeRows([make(0, 0)]);
            slice = expirer.slice(INSERT_MS);
            throw new Error('the commit fails');
          })
          .immediate(),
      );
      assert.ok(slice !== null && (slice as Slice).deleted > 0, 'a slice was deleted inside the transaction');
      expirer.settle(slice, false);
      assert.equal(db.prepare('SELECT count(*) FROM records').pluck().get(), old + 5);

      // Commits of one create each, all in this turn of the loop (no time for a slice alone): they delete it all.
      let commits = 0;
      for (; commits < 1000 && replies.length === 0; commits++) {
        db.transaction(() => {
          writeRows([make(0, commits)]);
          slice = expirer.slice(INSERT_MS);
        }).immediate();
        expirer.settle(slice, true);
      }
      assert.deepEqual(
        replies.map((r) => [r.id, r.error, r.outcome?.deleted, r.outcome?.alone]),
        [[1, null, old, 0]],
      );
      assert.equal(replies[0].outcome?.withCommits, commits, 'one slice per commit');
      assert.ok(commits > 2, `in slices, not at once: ${commits} commits`);
      assert.equal(db.prepare('SELECT count(*) FROM records').pluck().get(), 5 + commits);
      exact();

      // With nothing pending, a commit deletes nothing.
      const count = db.prepare('SELECT count(*) FROM records').pluck().get();
      db.transaction(() => {
        slice = expirer.slice(INSERT_MS);
      }).immediate();
      assert.equal(slice, null);
      assert.equal(db.prepare('SELECT count(*) FROM records').pluck().get(), count);
    } finally {
      close();
    }
  });

  test('with no commit, slices run in transactions of their own until the expiry is done (or its limit reached)', async () => {
    const { db, replies, expirer, close, exact } = open();
    try {
      const insert = createInserter(db);
      insert(Array.from({ length: 180 }, (_, i) => make(20, i)));
      insert(Array.from({ length: 3 }, (_, i) => make(1, i)));
      expirer.request(7, { orgId: ORG, before: before(), limit: 150 });
      for (let i = 0; i < 500 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(replies.length, 1, 'answered within 5 s');
      assert.equal(replies[0].outcome?.deleted, 150, 'the limit, not more');
      assert.equal(replies[0].outcome?.withCommits, 0);
      assert.ok((replies[0].outcome?.alone ?? 0) >= 2, `slices alone: ${replies[0].outcome?.alone}`);
      expirer.request(8, { orgId: ORG, before: before(), limit: 150 });
      for (let i = 0; i < 500 && replies.length === 1; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(replies[1].outcome?.deleted, 30, 'fewer than asked: none older is left');
      assert.equal(db.prepare('SELECT count(*) FROM records').pluck().get(), 3);
      exact();
    } finally {
      close();
    }
  });
});
