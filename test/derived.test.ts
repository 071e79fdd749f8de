import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`derived fields [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());
    const create = (body: unknown) => t.create(body);

    test('ids are unique and time-ordered; timestamp is arrival time in ISO 8601 UTC', async () => {
      const before = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await create({})).id);
      assert.equal(new Set(ids).size, 20);
      assert.deepEqual([...ids].sort(), ids, 'ids sort in creation order');
      const r = await create({});
      assert.match(r.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/);
      const ms = Date.parse(r.timestamp);
      assert.ok(ms >= before - 5 && ms <= Date.now() + 5);
    });

    test('sub_field_total is sub_field_c, else a + b', async () => {
      assert.equal((await create({ field_5: { sub_field_a: 3, sub_field_b: 4, sub_field_c: 10 } })).sub_field_total, 10);
      assert.equal((await create({ field_5: { sub_field_a: 3, sub_field_b: 4 } })).sub_field_total, 7);
      const none = await create({ field_5: {} });
      assert.equal(none.sub_field_total, null);
      assert.equal(none.sub_field_a, null);
    });

    test('rate = sub_field_b / (field_7 - field_8) when field_8 < field_7, else sub_field_b / field_7', async () => {
      assert.equal((await create({ field_5: { sub_field_b: 100 }, field_7: 3, field_8: 1 })).rate, 50);
      assert.equal((await create({ field_5: { sub_field_b: 100 }, field_7: 2 })).rate, 50);
      assert.equal((await create({ field_5: { sub_field_b: 100 }, field_7: 2, field_8: 2 })).rate, 50);
      assert.equal((await create({ field_5: { sub_field_b: 100 }, field_7: 2, field_8: 5 })).rate, 50);
      assert.equal((await create({ field_5: { sub_field_b: 100 }, field_7: 0 })).rate, null);
      assert.equal((await create({ field_5: { sub_field_b: 100 } })).rate, null);
      assert.equal((await create({ field_7: 2 })).rate, null);
    });

    test('a rate a float cannot hold is stored as null: the record reads null, and rate filters see null too', async () => {
      const ids = async (filters: unknown) => {
        const res = await t.request('POST', '/api/records/list/?param_d=id', { filters });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body.results.map((r: any) => r.id) as string[];
      };
      const huge = Number.MAX_SAFE_INTEGER;
      const overflow = [
        await create({ field_5: { sub_field_b: huge }, field_7: 1e-300, field_9: { case: 'rate-overflow' } }),
        await create({ field_5: { sub_field_b: huge }, field_7: 3e-300, field_8: 2e-300, field_9: { case: 'rate-overflow' } }),
      ];
      const finite = await create({ field_5: { sub_field_b: huge }, field_7: 1e-290, field_9: { case: 'rate-overflow' } });
      const mine = { field_9__case: { value: ['rate-overflow'] } };
      for (const r of overflow) {
        assert.equal(r.rate, null);
        assert.equal((await t.request('GET', `/api/records/${r.id}/`)).body.rate, null);
      }
      assert.ok(finite.rate > 1e300 && Number.isFinite(finite.rate));
      assert.deepEqual(await ids({ ...mine, rate: { operator: 'gt', value: [1e300] } }), [finite.id]);
      assert.deepEqual(
        await ids({ ...mine, rate: { operator: 'isnull', value: [true] } }),
        overflow.map((r) => r.id),
      );
      assert.deepEqual(await ids({ ...mine, rate: { operator: 'isnull', value: [false] } }), [finite.id]);
      assert.deepEqual(
        await ids({ ...mine, rate: { operator: 'not', value: [1] } }),
        [...overflow, finite].map((r) => r.id),
      );
      const sorted = await t.request('POST', '/api/records/list/?param_d=-rate', { filters: mine });
      assert.deepEqual(
        sorted.body.results.map((r: any) => r.rate),
        [null, null, finite.rate],
        'nulls first descending, as every record without a rate',
      );
    });

    test('cost and sub_field_total from the largest token counts stay finite numbers that filters see as read', async () => {
      const max = Number.MAX_SAFE_INTEGER;
      const r = await create({ field_4: 'gpt-4o', field_5: { sub_field_a: max, sub_field_b: max }, field_9: { case: 'max-tokens' } });
      assert.equal(typeof r.field_6, 'number');
      assert.ok(Number.isFinite(r.field_6) && r.field_6 > 0);
      assert.equal(r.sub_field_total, max + max);
      const got = (await t.request('GET', `/api/records/${r.id}/`)).body;
      assert.equal(got.field_6, r.field_6);
      assert.equal(got.sub_field_total, r.sub_field_total);
      const res = await t.request('POST', '/api/records/list/', {
        filters: { field_9__case: { value: ['max-tokens'] }, field_6: { operator: 'gte', value: [r.field_6] } },
      });
      assert.deepEqual(
        res.body.results.map((x: any) => x.id),
        [r.id],
      );
    });

    test('status follows field_18', async () => {
      for (const [code, status] of [
        [200, 'success'],
        [201, 'success'],
        [302, 'success'],
        [399, 'success'],
        [400, 'error'],
        [429, 'error'],
        [500, 'error'],
        [504, 'error'],
      ] as const) {
        const r = await create({ field_18: code, field_19: code >= 400 ? 'boom' : '' });
        assert.equal(r.status, status, String(code));
        assert.equal(r.field_18, code);
      }
    });

    test('type_a: field_22/field_23 from JSON strings and from structures alike', async () => {
      const messages = [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ];
      const reply = {
        role: 'assistant',
        content: 'hello',
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      };
      const fromStrings = await create({ field_1: JSON.stringify(messages), field_2: JSON.stringify(reply) });
      const fromStructures = await create({ field_1: messages, field_2: reply });
      for (const r of [fromStrings, fromStructures]) {
        assert.deepEqual(r.field_22, messages);
        assert.deepEqual(r.field_23, reply);
        assert.equal(r.field_1, JSON.stringify(messages));
      }
      const text = await create({ field_1: 'What is 2+2?', field_2: '4' });
      assert.deepEqual(text.field_22, [{ role: 'user', content: 'What is 2+2?' }]);
      assert.deepEqual(text.field_23, { role: 'assistant', content: '4' });
      const wrapped = await create({
        field_1: { messages },
        field_2: [
          { role: 'assistant', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      });
      assert.deepEqual(wrapped.field_22, messages);
      assert.deepEqual(wrapped.field_23, { role: 'assistant', content: 'b' });
      const single = await create({ field_1: { role: 'user', content: 'x' } });
      assert.deepEqual(single.field_22, [{ role: 'user', content: 'x' }]);
    });

    test('type_b: text or array input; vector output', async () => {
      const one = await create({ field_3: 'type_b', field_1: 'embed me', field_2: [0.1, 0.2] });
      assert.deepEqual(one.field_22, ['embed me']);
      assert.deepEqual(one.field_23, { items: [0.1, 0.2] });
      const many = await create({ field_3: 'type_b', field_1: ['a', 'b'], field_2: { data: [{ embedding: [1, 2] }] } });
      assert.deepEqual(many.field_22, ['a', 'b']);
      assert.deepEqual(many.field_23, { data: [{ embedding: [1, 2] }] });
    });

    test('type_c/type_d: any JSON structure', async () => {
      for (const type of ['type_c', 'type_d']) {
        const r = await create({ field_3: type, field_1: { step: 'plan', args: [1] }, field_2: 'done' });
        assert.deepEqual(r.field_22, [{ step: 'plan', args: [1] }]);
        assert.deepEqual(r.field_23, { content: 'done' });
        const s = await create({ field_3: type, field_1: '[1,2,3]', field_2: '{"ok":true}' });
        assert.deepEqual(s.field_22, [1, 2, 3]);
        assert.deepEqual(s.field_23, { ok: true });
      }
    });

    test('type_e..type_h keep field_1/field_2 as sent and extract nothing', async () => {
      for (const type of ['type_e', 'type_f', 'type_g', 'type_h']) {
        const r = await create({ field_3: type, field_1: { tool: 'search' }, field_2: 'result' });
        assert.equal(r.field_3, type);
        assert.equal(r.field_1, '{"tool":"search"}');
        assert.equal(r.field_2, 'result');
        assert.equal(r.field_22, null);
        assert.equal(r.field_23, null);
      }
    });

    test('field_3 outside type_a..type_h is a 400', async () => {
      const res = await t.request('POST', '/api/records/create/', { field_3: 'type_i' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.details[0].field, 'field_3');
    });
  });
}
