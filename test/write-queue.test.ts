import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { AppError } from '../src/errors.ts';
import { parseFilters } from '../src/query/filters.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord, idOf, type EncodedRecord } from '../src/store/encoded-record.ts';
import type { Store } from '../src/store/types.ts';
import { createWriteQueue } from '../src/store/write-queue.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { within } from './helpers/http.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The write queue's group commit on a real store: creates that arrive together share a commit, and up to
 * Store.writeFlights commits are in flight at once (SQLite: two, the next group goes to the store while the last
 * one commits; PostgreSQL: one). The store is the
 * real one; the wrapper only watches its inserts (and, in one test, refuses one), it stores nothing itself.
 */

const record = (i: number) => encodeRecord(deriveRecord({ field_2: `queued ${i}` }, TEST_ORG));
const sort = { field: 'id', column: 'id', descending: true };
const log = pino({ level: 'silent' });

/** The real store, with its inserts counted: how many ran at once, and how many records each carried. */
function watched(store: Store, failFirst = false) {
  const seen = { inFlight: 0, maxInFlight: 0, sizes: [] as number[], failures: 0 };
  let failNext = failFirst;
  const wrapper: Store = Object.create(store);
  wrapper.insert = async (records: Iterable<EncodedRecord>) => {
    const batch = [...records];
    seen.sizes.push(batch.length);
    seen.inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    try {
      if (failNext) {
        failNext = false;
        seen.failures++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new AppError('store_unavailable', 'the store is down');
      }
      return await store.insert(batch);
    } finally {
      seen.inFlight--;
    }
  };
  return { wrapper, seen };
}

for (const kind of STORE_KINDS) {
  describe(`the write queue [${kind}]`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(kind)));
    after(() => t.close());

    test('a burst of durable creates is stored whole, in shared commits, never more in flight than the store takes', async () => {
      const { wrapper, seen } = watched(t.store);
      const queue = createWriteQueue(wrapper, { maxPending: 10_000, maxFlights: t.store.writeFlights, log });
      const records = Array.from({ length: 300 }, (_, i) => record(i));
      // Arriving in slices over several turns of the event loop, as requests do.
      const writes: Promise<void>[] = [];
      for (let i = 0; i < records.length; i += 10) {
        for (const r of records.slice(i, i + 10)) writes.push(queue.write(r));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await within(Promise.all(writes), 30_000, 'the writes to commit');
      assert.equal(seen.maxInFlight, t.store.writeFlights, `inserts at once: ${seen.maxInFlight}`);
      assert.ok(seen.sizes.length < records.length, `commits shared: ${seen.sizes.length} commits for ${records.length} records`);
      assert.equal(
        seen.sizes.reduce((a, b) => a + b, 0),
        records.length,
      );
      const count = (
        await t.store.list(TEST_ORG, {
          conditions: parseFilters({ field_2: { operator: 'startswith', value: 'queued ' } }),
          since: null,
          sort,
          offset: 0,
          limit: 1,
        })
      ).count;
      assert.equal(count, records.length);
      for (const i of [0, 151, 299]) assert.equal((await t.store.get(TEST_ORG, idOf(records[i])))?.field_2, `queued ${i}`);
    });

    test('a failed commit answers its durable writes with 503 and retries its accepted ones; later writes commit', async () => {
      const { wrapper, seen } = watched(t.store, true);
      const queue = createWriteQueue(wrapper, { maxPending: 10_000, maxFlights: t.store.writeFlights, log });
      const accepted = Array.from({ length: 5 }, (_, i) => record(1000 + i));
      const durable = Array.from({ length: 5 }, (_, i) => record(2000 + i));
      const later = Array.from({ length: 5 }, (_, i) => record(3000 + i));
      for (const r of accepted) queue.accept(r);
      const first = durable.map((r) =>
        queue.write(r).then(
          () => 'stored',
          (err: unknown) => err,
        ),
      );
      await new Promise((resolve) => setImmediate(resolve)); // the first flight (which fails) has left
      const second = later.map((r) => queue.write(r)); // a second flight (SQLite) while the first is still failing
      await within(Promise.all(second), 10_000, 'the later writes to commit');
      await within(queue.drain(), 10_000, 'the queue to commit the accepted writes');
      for (const outcome of await Promise.all(first)) {
        assert.ok(
          outcome instanceof AppError && outcome.code === 'store_unavailable',
          `durable write in the failed commit: ${String(outcome)}`,
        );
      }
      assert.equal(seen.failures, 1);
      assert.equal(seen.maxInFlight, t.store.writeFlights);
      for (const r of [...accepted, ...later]) assert.ok(await t.store.get(TEST_ORG, idOf(r)), `${idOf(r)} stored`);
      for (const r of durable) assert.equal(await t.store.get(TEST_ORG, idOf(r)), null, `${idOf(r)} answered 503 and not stored`);
      assert.equal(queue.depth(), 0);
      assert.equal(queue.bytes(), 0);
    });
  });
}
