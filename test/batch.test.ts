import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKey } from '../src/bootstrap.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { SEED_CREATE_PAYLOAD } from './helpers/seed.ts';
import { STORE_KINDS } from './helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`batch create [${kind}]`, () => {
    let t: TestApp;
    let otherKey: string;
    before(async () => {
      t = await startTestApp(kind);
      otherKey = await createKey(t.store, 'org_batch_other');
    });
    after(() => t.close());

    const count = async (auth?: string) =>
      (await t.request('GET', '/api/records/list/', undefined, auth ? { authorization: `Bearer ${auth}` } : {})).body.count as number;
    const item = (i: number) => ({ ...SEED_CREATE_PAYLOAD, field_10: `batch-customer-${i}`, field_9: { batch: 'b1', n: i } });

    test('stores every item in order and answers 201 with the ids', async () => {
      const before = await count();
      const res = await t.request('POST', '/api/records/batch/', { records: [item(0), item(1), item(2)] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.count, 3);
      assert.equal(res.body.ids.length, 3);
      assert.equal(await count(), before + 3);
      for (const [i, id] of (res.body.ids as string[]).entries()) {
        const got = await t.request('GET', `/api/records/${id}/`);
        assert.equal(got.status, 200);
        assert.equal(got.body.org_id, TEST_ORG);
        assert.equal(got.body.field_10, `batch-customer-${i}`);
        assert.deepEqual(got.body.field_22, [{ key: 'value', data: 'sample' }], 'derived fields are computed as for a single create');
      }
      const listed = await t.request('POST', '/api/records/list/', { filters: { field_9__batch: { operator: '', value: ['b1'] } } });
      assert.equal(listed.body.count, 3, 'metadata of batch items is indexed like single creates');
    });

    test('the trailing slash is optional', async () => {
      assert.equal((await t.request('POST', '/api/records/batch', { records: [item(9)] })).status, 201);
    });

    test('one bad item rejects the batch, lists every bad item with its index and stores nothing', async () => {
      const before = await count();
      const records = [item(0), { ...item(1), field_18: 'nope' }, item(2), { field_3: 'type_z', field_7: 'slow' }, 'not an object'];
      const res = await t.request('POST', '/api/records/batch/', { records });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_error');
      const fields = (res.body.error.details as { field: string }[]).map((d) => d.field).sort();
      assert.deepEqual(fields, ['records.1.field_18', 'records.3.field_3', 'records.3.field_7', 'records.4']);
      assert.equal(await count(), before, 'nothing stored');
    });

    test('more than 1000 items, an empty array, or no array is a 400 that stores nothing', async () => {
      const before = await count();
      const tooMany = await t.request('POST', '/api/records/batch/', {
        records: Array.from({ length: 1001 }, (_, i) => ({ field_10: `c${i}` })),
      });
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.error.details[0].field, 'records');
      assert.match(tooMany.body.error.message, /1000/);
      for (const body of [{ records: [] }, {}, { records: {} }, [item(0)], { records: [item(0)], extra: 1 }]) {
        const res = await t.request('POST', '/api/records/batch/', body);
        assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
        assert.equal(res.body.error.code, 'validation_error');
      }
      assert.equal(await count(), before);
    });

    test('exactly 1000 items are stored', async () => {
      const before = await count();
      const res = await t.request('POST', '/api/records/batch/', {
        records: Array.from({ length: 1000 }, (_, i) => ({ field_10: `thousand-${i}` })),
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.count, 1000);
      assert.equal(await count(), before + 1000);
    });

    test("items belong to the caller's org only", async () => {
      const mineBefore = await count();
      const theirsBefore = await count(otherKey);
      const res = await t.request('POST', '/api/records/batch/', { records: [item(0), item(1)] }, { authorization: `Bearer ${otherKey}` });
      assert.equal(res.status, 201);
      assert.equal(await count(otherKey), theirsBefore + 2);
      assert.equal(await count(), mineBefore, "the other org's batch is not visible to this org");
      const got = await t.request('GET', `/api/records/${res.body.ids[0]}/`);
      assert.equal(got.status, 404);
      const theirs = await t.request('GET', `/api/records/${res.body.ids[0]}/`, undefined, { authorization: `Bearer ${otherKey}` });
      assert.equal(theirs.body.org_id, 'org_batch_other');
    });

    test('needs a valid key', async () => {
      const res = await t.request('POST', '/api/records/batch/', { records: [item(0)] }, { authorization: 'Bearer wrong-key-0000000000' });
      assert.equal(res.status, 401);
    });
  });
}
