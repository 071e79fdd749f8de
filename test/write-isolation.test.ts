import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../src/auth/keys.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { within } from './helpers/http.ts';
import { POISON_TRIGGER, sqlOnStore } from './helpers/store-sql.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * A record that can never be written costs no other record (issue 14, item 2). Reported: on PostgreSQL, a
 * customer id of 1,024 CJK characters overflowed a btree entry; answered 202, it was retried forever at the head
 * of the write queue, every other org's sync create got 503 and their accepted records were never stored.
 */

const OTHER_KEY = 'other-org-key-0123456789abcdef';
const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('');

for (const kind of STORE_KINDS) {
  describe(`a record the store cannot hold [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await t.store.ensureApiKey('org_other', hashApiKey(OTHER_KEY));
    });
    after(() => t.close());
    const other = (method: string, url: string, body?: unknown) => t.request(method, url, body, { authorization: `Bearer ${OTHER_KEY}` });

    test('identifiers past 2,048 bytes of UTF-8 are a 400 naming the field, the same on both stores; 2,046 bytes are stored', async () => {
      for (const field of ['field_10', 'field_12', 'field_13', 'field_4', 'field_11', 'field_14', 'field_15']) {
        const refused = await t.request('POST', '/api/records/create/', { [field]: cjk(1024), field_21: { option_a: false } });
        assert.equal(refused.status, 400, `${field}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.code, 'validation_error');
        assert.deepEqual(
          refused.body.error.details.map((d: { field: string }) => d.field),
          [field],
        );
        assert.match(refused.body.error.details[0].message, /2048 bytes of UTF-8/);
      }
      const id = cjk(682); // 2,046 bytes
      const stored = await t.create({ field_10: id, field_12: id, field_13: id });
      assert.equal((await t.request('GET', `/api/records/${stored.id}/`)).body.field_10, id);
      const found = await t.request('POST', '/api/records/list/', { filters: { field_13: { operator: '', value: [id] } } });
      assert.deepEqual(
        found.body.results.map((r: { id: string }) => r.id),
        [stored.id],
      );
    });

    test('an accepted record the store refuses is set aside in dead_letters; every record beside it, of any org, is stored', async () => {
      await sqlOnStore(t, POISON_TRIGGER);
      // All in one turn of the event loop, so they share group commits with the poisoned ones.
      const sent = await within(
        Promise.all([
          t.request('POST', '/api/records/create/', { field_10: 'poison', field_2: 'async poison', field_21: { option_a: false } }),
          ...Array.from({ length: 10 }, (_, i) =>
            other('POST', '/api/records/create/', { field_2: `other async ${i}`, field_21: { option_a: false } }),
          ),
          ...Array.from({ length: 10 }, (_, i) => other('POST', '/api/records/create/', { field_2: `other sync ${i}` })),
          t.request('POST', '/api/records/create/', { field_10: 'poison', field_2: 'sync poison' }),
          t.request('POST', '/api/records/create/', { field_10: 'fine', field_2: 'sync fine' }),
        ]),
        30_000,
        'the creates',
      );
      await within(t.app.queue.drain(), 30_000, 'the queue drain');
      const [asyncPoison, ...rest] = sent;
      const syncPoison = rest[20];
      assert.equal(asyncPoison.status, 202);
      assert.equal(syncPoison.status, 422, JSON.stringify(syncPoison.body));
      assert.equal(syncPoison.body.error.code, 'unstorable_record');
      for (const r of rest.filter((r) => r !== syncPoison)) {
        assert.ok(r.status === 201 || r.status === 202, `${r.status} ${JSON.stringify(r.body)}`);
        const owner = r.body.org_id === 'org_other' ? other : (m: string, u: string) => t.request(m, u);
        assert.equal((await owner('GET', `/api/records/${r.body.id}/`)).status, 200, `${r.body.field_2} stored`);
      }
      assert.equal((await t.request('GET', `/api/records/${asyncPoison.body.id}/`)).status, 404);
      const letters = await sqlOnStore(t, { sqlite: '', postgres: '' }, 'SELECT org_id, id, reason, record FROM dead_letters');
      assert.equal(letters.length, 1);
      assert.equal(letters[0].id, asyncPoison.body.id);
      assert.match(String(letters[0].reason), /poisoned/);
      assert.equal(JSON.parse(String(letters[0].record)).field_2, 'async poison');
      const metrics = (await t.request('GET', '/metrics')).body as string;
      assert.match(metrics, /tally_dead_letters_total\{outcome="stored"\} 1\b/);
      assert.equal((await t.request('GET', '/readyz')).status, 200);
      // The writes go on as before.
      assert.equal((await other('POST', '/api/records/create/', { field_2: 'after' })).status, 201);
    });

    test('a batch holding a record the store refuses is a 422 and stores nothing; tally_records_stored_total counts batches', async () => {
      const before = Number(/tally_records_stored_total (\d+)/.exec((await t.request('GET', '/metrics')).body)?.[1] ?? 0);
      const ok = await t.request('POST', '/api/records/batch/', { records: [{ field_2: 'b1' }, { field_2: 'b2' }, { field_2: 'b3' }] });
      assert.equal(ok.status, 201);
      const counted = Number(/tally_records_stored_total (\d+)/.exec((await t.request('GET', '/metrics')).body)?.[1]);
      assert.equal(counted, before + 3);
      const refused = await t.request('POST', '/api/records/batch/', { records: [{ field_2: 'kept out 1' }, { field_10: 'poison' }] });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'unstorable_record');
      const listed = await t.request('POST', '/api/records/list/', { filters: { field_2: { operator: '', value: ['kept out 1'] } } });
      assert.equal(listed.body.count, 0);
    });
  });
}
