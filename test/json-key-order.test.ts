import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The key order of JSON objects in a record, as docs/api.md documents it ("JSON objects and key order"): the
 * same members and values on every store; keys in JavaScript's object order (integer keys first) in the create
 * reply and wherever the JSON is kept as text; and on PostgreSQL, whose field_9 is jsonb, every object of field_9
 * read back with its other keys shorter first, then by bytes.
 */

const SENT = {
  field_1: { zz: 1, a: 2, '7': 'seven' },
  field_5: { sub_field_c: 30, sub_field_b: 10, sub_field_a: 20 },
  field_9: { zeta: 1, b: { y: 1, x: 2 }, '10': 'ten', '2': 'two', aa: [{ q: 1, p: 2 }], é: 'e', z: 'z', dup: 1 },
  field_16: [{ type: 'type_a', definition: { parameters: { zz: 1, a: 2 }, name: 'f' } }],
  field_17: { definition: { name: 'f' }, type: 'type_a' },
  field_20: { zz: 1, a: 2, '3': 'three' },
};
const JSON_FIELDS = ['field_5', 'field_9', 'field_16', 'field_17', 'field_20'] as const;

/** The key lists of every object in value, depth first. */
function keyLists(value: unknown): string[][] {
  if (Array.isArray(value)) return value.flatMap(keyLists);
  if (value === null || typeof value !== 'object') return [];
  return [Object.keys(value), ...Object.values(value).flatMap(keyLists)];
}

/** jsonb's order: shorter keys first (in bytes), then byte by byte. */
const jsonbOrder = (keys: string[]) =>
  [...keys].sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** JavaScript's object order, in which Tally reads a body: integer keys ascending, then the others as sent. */
const jsOrder = (keys: string[]) => [
  ...keys.filter((k) => /^(0|[1-9]\d*)$/.test(k)).sort((a, b) => Number(a) - Number(b)),
  ...keys.filter((k) => !/^(0|[1-9]\d*)$/.test(k)),
];

for (const kind of STORE_KINDS) {
  describe(`JSON objects and key order [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    test("every store returns the members sent; key order is JavaScript's, and on PostgreSQL jsonb's inside field_9 once stored", async () => {
      // A key sent twice keeps its last value (JSON.parse), in the place of its first.
      const text = JSON.stringify(SENT).replace('"dup":1', '"dup":0,"dup":1');
      const created = await t.request('POST', '/api/records/create/', text);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const got = (await t.request('GET', `/api/records/${created.body.id}/`)).body;
      const listed = (await t.request('POST', '/api/records/list/', { filters: { id: { value: [created.body.id] } } })).body.results[0];
      for (const read of [created.body, got, listed]) {
        for (const f of JSON_FIELDS)
          assert.deepEqual(read[f], f === 'field_5' ? { sub_field_a: 20, sub_field_b: 10, sub_field_c: 30 } : SENT[f], f);
        assert.deepEqual(JSON.parse(read.field_1), SENT.field_1);
      }
      // The create reply: JavaScript's order everywhere (field_5 as sub_field_a, b, c); field_1's text likewise.
      for (const f of JSON_FIELDS) {
        const expected = f === 'field_5' ? [['sub_field_a', 'sub_field_b', 'sub_field_c']] : keyLists(SENT[f]).map(jsOrder);
        assert.deepEqual(keyLists(created.body[f]), expected, `${f} in the create reply`);
      }
      assert.equal(created.body.field_1, '{"7":"seven","zz":1,"a":2}');
      for (const read of [got, listed]) {
        for (const f of JSON_FIELDS) {
          const expected =
            kind === 'postgres' && f === 'field_9'
              ? keyLists(SENT.field_9).map((keys) => jsOrder(jsonbOrder(keys)))
              : keyLists(created.body[f]);
          assert.deepEqual(keyLists(read[f]), expected, `${f} read back`);
        }
        assert.equal(read.field_1, created.body.field_1);
      }
      if (kind === 'postgres') assert.deepEqual(Object.keys(got.field_9), ['2', '10', 'b', 'z', 'aa', 'é', 'dup', 'zeta']);
      else assert.deepEqual(Object.keys(got.field_9), ['2', '10', 'zeta', 'b', 'aa', 'é', 'z', 'dup']);
    });
  });
}
