import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { parseFilters } from '../src/query/filters.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { createRecordsService } from '../src/records/service.ts';
import { COLUMN_INDEX, encodeRecord, idOf, type EncodedRecord } from '../src/store/encoded-record.ts';
import type { Store } from '../src/store/types.ts';
import { createWriteQueue } from '../src/store/write-queue.ts';
import { newRecordId } from '../src/model/ids.ts';
import { validateCreateBody } from '../src/fields/validate.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';

/**
 * Store.openInsert (SQLite): records added over turns of the event loop go in one transaction that stays open while
 * they come; the writer holds every other write until it ends; it is bounded in time (what it holds is committed, the
 * rest go in another) and in records; a transaction that fails stores nothing and hands its records back; an abort
 * rolls back. RecordsService.openWrites writes a failed transaction's records again through the write queue, so a
 * record the store refuses costs only itself.
 */

const record = (i: number, tag: string) =>
  encodeRecord(deriveRecord({ field_2: `text ${i}`, field_9: { run: tag, parity: i % 2 ? 'odd' : 'even' } }, TEST_ORG));
const records = (n: number, tag: string) => Array.from({ length: n }, (_, i) => record(i, tag));
/** A record SQLite refuses: field_3 is NOT NULL. */
const unstorable = (r: EncodedRecord): EncodedRecord => ({
  ...r,
  values: r.values.map((v, i) => (i === COLUMN_INDEX.get('field_3') ? null : v)),
});

const sort = { field: 'id', column: 'id', descending: true };
async function count(store: Store, run?: string): Promise<number> {
  const filters = run === undefined ? undefined : { field_9__run: { operator: '', value: [run] } };
  return (await store.list(TEST_ORG, { conditions: parseFilters(filters), since: null, sort, offset: 0, limit: 1 })).count!;
}

const LONG = { ms: 60_000, records: 10_000 };

describe('an insert whose records come over time [sqlite]', () => {
  let t: TestApp;
  let open: NonNullable<Store['openInsert']>;
  before(async () => {
    t = await startTestApp('sqlite');
    open = t.store.openInsert!;
    await t.store.insert([record(0, 'warm')]); // the writer thread has started (the timings below are its own)
  });
  after(() => t.close());

  test('records added over several turns are one transaction; another insert waits until it commits', async () => {
    const stream = open(LONG);
    const batch = records(90, 'turns');
    for (let i = 0; i < batch.length; i += 30) {
      stream.add(batch.slice(i, i + 30));
      await sleep(5);
    }
    // Another insert whose records come over time (an OTLP request, a batch) is held until this one commits.
    const other = open(LONG);
    other.add(records(10, 'other'));
    await sleep(100);
    assert.equal(await count(t.store, 'turns'), 0, 'nothing is visible before the commit');
    const outcome = await stream.end();
    assert.deepEqual(outcome, { inserted: 90, failed: [], error: null });
    assert.equal(await count(t.store, 'turns'), 90);
    assert.deepEqual(await other.end(), { inserted: 10, failed: [], error: null });
    assert.equal(await count(t.store, 'other'), 10);
  });

  test('a group commit or a chore does not wait: the open transaction commits what it holds, the rest go in another', {
    timeout: 10_000,
  }, async () => {
    const stream = open(LONG);
    const batch = records(50, 'yield');
    stream.add(batch.slice(0, 30));
    await sleep(5);
    await t.store.insert([record(0, 'create')]); // answered while the request is still open
    assert.equal(await count(t.store, 'yield'), 30, 'what the transaction held was committed for it');
    assert.equal(await count(t.store, 'create'), 1);
    stream.add(batch.slice(30));
    assert.deepEqual(await stream.end(), { inserted: 50, failed: [], error: null });
    assert.equal(await count(t.store, 'yield'), 50);
  });

  test('a batch does not wait either: the open transaction commits what it holds, the batch goes next', { timeout: 10_000 }, async () => {
    const stream = open(LONG);
    const batch = records(50, 'before-batch');
    stream.add(batch.slice(0, 30));
    await sleep(5);
    await t.store.insert(records(250, 'a-batch')); // chunked (first, more, last), answered while the request is open
    assert.equal(await count(t.store, 'before-batch'), 30, 'what the transaction held was committed for it');
    assert.equal(await count(t.store, 'a-batch'), 250);
    stream.add(batch.slice(30));
    assert.deepEqual(await stream.end(), { inserted: 50, failed: [], error: null });
    assert.equal(await count(t.store, 'before-batch'), 50);
  });

  test('a record the store refuses fails its transaction: nothing of it is stored, its records and later ones come back', async () => {
    const stream = open(LONG);
    const batch = records(60, 'refused');
    batch[35] = unstorable(batch[35]);
    stream.add(batch.slice(0, 30));
    await sleep(5);
    stream.add(batch.slice(30, 45));
    await sleep(20);
    // The writer answered the failure at once: other writes go on while this request still adds records.
    await t.store.insert([record(0, 'after-refusal')]);
    stream.add(batch.slice(45));
    const outcome = await stream.end();
    assert.equal(outcome.inserted, 0);
    assert.ok(outcome.error instanceof Error);
    assert.deepEqual(outcome.failed.map(idOf), batch.map(idOf));
    assert.equal(await count(t.store, 'refused'), 0);
    assert.equal(await count(t.store, 'after-refusal'), 1);
  });

  test('an abort rolls the open transaction back; the writer goes on', async () => {
    const stream = open(LONG);
    stream.add(records(40, 'aborted'));
    await sleep(5);
    stream.abort();
    stream.add(records(5, 'aborted'));
    await t.store.insert([record(0, 'after-abort')]);
    assert.equal(await count(t.store, 'aborted'), 0);
    assert.equal(await count(t.store, 'after-abort'), 1);
  });

  test('open past its time bound: what it holds is committed, the rest go in another', async () => {
    const stream = open({ ms: 30, records: 10_000 });
    const batch = records(70, 'timed');
    stream.add(batch.slice(0, 20));
    await sleep(80);
    assert.equal(await count(t.store, 'timed'), 20, 'the first 20 were committed by the bound');
    stream.add(batch.slice(20, 50));
    await sleep(60);
    stream.add(batch.slice(50));
    assert.deepEqual(await stream.end(), { inserted: 70, failed: [], error: null });
    assert.equal(await count(t.store, 'timed'), 70);
  });

  test('a transaction holds at most its records bound; the next records open another', async () => {
    const stream = open({ ms: 60_000, records: 25 });
    const batch = records(60, 'bounded');
    for (let i = 0; i < 30; i += 10) stream.add(batch.slice(i, i + 10));
    // The first 30 filled a transaction (ended at the bound): committed while the stream is still open.
    await t.store.insert([record(0, 'between')]);
    assert.equal(await count(t.store, 'bounded'), 30);
    for (let i = 30; i < batch.length; i += 10) stream.add(batch.slice(i, i + 10));
    assert.deepEqual(await stream.end(), { inserted: 60, failed: [], error: null });
  });

  test('records whose ids the org holds are skipped and not counted as inserted', async () => {
    const batch = records(20, 'again');
    await t.store.insert(batch.slice(0, 5));
    const stream = open(LONG);
    stream.add(batch.slice(0, 10));
    await sleep(5);
    stream.add(batch.slice(10));
    assert.deepEqual(await stream.end(), { inserted: 15, failed: [], error: null });
    assert.equal(await count(t.store, 'again'), 20);
  });

  test('RecordsService.openWrites: a record the store refuses costs only itself (the rest go again through the write queue)', async () => {
    const queue = createWriteQueue(t.store, { maxPending: 10_000, maxFlights: t.store.writeFlights, log: pino({ level: 'silent' }) });
    // The real store; the 13th record it is given made one it refuses.
    const store: Store = Object.create(t.store);
    let added = 0;
    store.openInsert = (bounds) => {
      const stream = open(bounds);
      const add = (batch: readonly EncodedRecord[]) => {
        const copy = batch.map((r, i) => (added + i === 12 ? unstorable(r) : r));
        added += batch.length;
        stream.add(copy);
      };
      return { ...stream, add };
    };
    const service = createRecordsService(store, queue);
    const writes = service.openWrites(TEST_ORG);
    const items = Array.from({ length: 40 }, (_, i) => ({
      input: validateCreateBody({ field_3: 'type_a', field_2: `span ${i}`, field_9: { run: 'service' } }),
      id: newRecordId(),
    }));
    for (let i = 0; i < items.length; i += 16) {
      assert.equal(writes.add(items.slice(i, i + 16)), true);
      await sleep(2);
    }
    const failures = await writes.end();
    assert.deepEqual([...failures.keys()], [items[12].id]);
    const err = failures.get(items[12].id) as { code?: string };
    assert.equal(err.code, 'unstorable_record');
    assert.equal(await count(t.store, 'service'), 39);
  });
});
