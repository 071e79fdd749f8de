import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { SEED_CREATE_PAYLOAD, SEED_FIELD_16, SEED_FIELD_17, SEED_FIELD_5, SEED_FIELD_9, SEED_RESPONSE_KEYS } from './helpers/seed.ts';
import { STORE_KINDS } from './helpers/stores.ts';

for (const kind of STORE_KINDS) {
  describe(`create [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());

    const count = async () => (await t.request('GET', '/api/records/list/')).body.count as number;

    test('the seed payload is stored and answered with the seed response shape', async () => {
      const res = await t.request('POST', '/api/records/create/', SEED_CREATE_PAYLOAD);
      assert.equal(res.status, 201);
      for (const key of SEED_RESPONSE_KEYS) assert.ok(key in res.body, `response has ${key}`);
      assert.match(res.body.id, /^record_[0-9A-HJKMNP-TV-Z]{26}$/);
      assert.equal(res.body.unique_id, res.body.id);
      assert.equal(res.body.org_id, TEST_ORG);
      assert.equal(res.body.field_10, 'entity_123');
      assert.equal(res.body.status, 'success');
      assert.equal(res.body.field_4, 'sample-value');
      assert.equal(res.body.field_6, null, 'unknown model sample-value is priced null, not 0');
      assert.equal(res.body.field_7, 1.2);
      assert.deepEqual(res.body.field_9, { prop_1: 'value_a' });
      assert.equal(res.body.field_1, SEED_CREATE_PAYLOAD.field_1);
      assert.equal(res.body.field_2, SEED_CREATE_PAYLOAD.field_2);
      assert.deepEqual(res.body.field_22, [{ key: 'value', data: 'sample' }]);
      assert.deepEqual(res.body.field_23, { key: 'value', data: 'response' });
      assert.equal(res.body.sub_field_a, 10);
      assert.equal(res.body.sub_field_b, 8);
      assert.equal(res.body.sub_field_total, 18);
      const got = await t.request('GET', `/api/records/${res.body.id}/`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, res.body, 'the 201 body is the stored record');
    });

    test('the seed field_5, field_9, field_16 and field_17 examples are accepted', async () => {
      const res = await t.request('POST', '/api/records/create/', { ...SEED_FIELD_5, ...SEED_FIELD_9, ...SEED_FIELD_16, ...SEED_FIELD_17 });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.sub_field_a, 150);
      assert.equal(res.body.sub_field_b, 85);
      assert.equal(res.body.sub_field_total, 235);
      assert.deepEqual(res.body.field_5, { sub_field_a: 150, sub_field_b: 85, sub_field_c: 235 });
      assert.deepEqual(res.body.field_9, SEED_FIELD_9.field_9);
      assert.deepEqual(res.body.field_16, SEED_FIELD_16.field_16);
      assert.deepEqual(res.body.field_17, SEED_FIELD_17.field_17);
    });

    test('defaults: field_3 type_a, field_18 200, field_19 ""', async () => {
      const res = await t.request('POST', '/api/records/create/', {});
      assert.equal(res.status, 201);
      assert.equal(res.body.field_3, 'type_a');
      assert.equal(res.body.field_18, 200);
      assert.equal(res.body.field_19, '');
      assert.equal(res.body.status, 'success');
      assert.equal(res.body.field_1, null);
      assert.equal(res.body.field_22, null);
    });

    test('field_1/field_2 accept string, object and array and come back as strings', async () => {
      for (const [input, output] of [
        ['plain prompt', { text: 'answer' }],
        [[{ role: 'user', content: 'hi' }], [{ role: 'assistant', content: 'hello' }]],
        [{ messages: [{ role: 'user', content: 'hi' }] }, 'plain answer'],
      ] as const) {
        const res = await t.request('POST', '/api/records/create/', { field_1: input, field_2: output });
        assert.equal(res.status, 201);
        assert.equal(res.body.field_1, typeof input === 'string' ? input : JSON.stringify(input));
        assert.equal(res.body.field_2, typeof output === 'string' ? output : JSON.stringify(output));
      }
    });

    test('field_7_old is accepted as field_7; field_7 wins when both are sent', async () => {
      const old = await t.request('POST', '/api/records/create/', { field_7_old: 2.5 });
      assert.equal(old.status, 201);
      assert.equal(old.body.field_7, 2.5);
      assert.ok(!('field_7_old' in old.body));
      const both = await t.request('POST', '/api/records/create/', { field_7_old: 2.5, field_7: 3.5 });
      assert.equal(both.body.field_7, 3.5);
    });

    test('field_17 accepts "none" and "auto"; field_20 accepts string and object', async () => {
      for (const choice of ['none', 'auto']) {
        const res = await t.request('POST', '/api/records/create/', { field_17: choice, field_20: 'slow response' });
        assert.equal(res.status, 201);
        assert.equal(res.body.field_17, choice);
        assert.equal(res.body.field_20, 'slow response');
      }
      const res = await t.request('POST', '/api/records/create/', { field_20: { code: 'w1', text: 'truncated' } });
      assert.deepEqual(res.body.field_20, { code: 'w1', text: 'truncated' });
    });

    test('field_16 and field_17 shapes are checked', async () => {
      const before = await count();
      const cases = [
        { field_16: [{ type: 'type_b', definition: { name: 'x' } }] },
        { field_16: [{ type: 'type_a' }] },
        { field_16: [{ type: 'type_a', definition: { description: 'no name' } }] },
        { field_16: { type: 'type_a', definition: { name: 'x' } } },
        { field_17: 'sometimes' },
        { field_17: { type: 'type_a' } },
        { field_17: { type: 'type_b', definition: { name: 'x' } } },
      ];
      for (const body of cases) {
        const res = await t.request('POST', '/api/records/create/', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, 'validation_error');
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field.startsWith(Object.keys(body)[0])),
          JSON.stringify(res.body),
        );
      }
      assert.equal(await count(), before, 'nothing stored');
    });

    test('option_a false answers 202 at once and the record is readable within a second', async () => {
      const res = await t.request('POST', '/api/records/create/', { ...SEED_CREATE_PAYLOAD, field_21: { option_a: false } });
      assert.equal(res.status, 202);
      assert.match(res.body.id, /^record_/);
      assert.equal(res.body.unique_id, res.body.id);
      assert.ok(res.body.timestamp);
      const deadline = Date.now() + 1000;
      let got: Awaited<ReturnType<typeof t.request>>;
      do {
        got = await t.request('GET', `/api/records/${res.body.id}/`);
        if (got.status === 200) break;
        await new Promise((r) => setTimeout(r, 10));
      } while (Date.now() < deadline);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, res.body);
    });

    test('option_a true answers 201 with the whole stored record', async () => {
      const res = await t.request('POST', '/api/records/create/', { ...SEED_CREATE_PAYLOAD, field_21: { option_a: true } });
      assert.equal(res.status, 201);
      const got = await t.request('GET', `/api/records/${res.body.id}`);
      assert.deepEqual(got.body, res.body);
    });

    test('a rejected create lists every problem and stores nothing', async () => {
      const before = await count();
      const res = await t.request('POST', '/api/records/create/', {
        field_3: 'type_z',
        field_5: { sub_field_a: -1, sub_field_b: 'eight' },
        field_6: 'cheap',
        field_18: 700,
        surprise: true,
        another_unknown: 1,
        timestamp: 'yesterday',
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_error');
      const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
      assert.deepEqual(fields, [
        'another_unknown',
        'field_18',
        'field_3',
        'field_5.sub_field_a',
        'field_5.sub_field_b',
        'field_6',
        'surprise',
        'timestamp',
      ]);
      assert.equal(await count(), before);
    });

    test('unknown top-level fields are rejected by name', async () => {
      const res = await t.request('POST', '/api/records/create/', { field_99: 1 });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.error.details, [{ field: 'field_99', message: 'unknown field' }]);
    });

    test('malformed JSON, a non-object body and a wrong content type are 4xx JSON errors', async () => {
      const bad = await t.request('POST', '/api/records/create/', '{"field_1": ');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_json');
      const arr = await t.request('POST', '/api/records/create/', [1, 2]);
      assert.equal(arr.status, 400);
      assert.equal(arr.body.error.code, 'validation_error');
      const text = await t.request('POST', '/api/records/create/', 'hello', { 'content-type': 'text/plain' });
      assert.equal(text.status, 415);
      assert.equal(text.body.error.code, 'unsupported_media_type');
      const curlDefault = await t.request('POST', '/api/records/create/', '{"field_1":"sent by curl -d"}', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(curlDefault.status, 201, 'valid JSON under another content type is accepted');
      const deep = await t.request('POST', '/api/records/create/', `{"field_9":${'['.repeat(100000)}${']'.repeat(100000)}}`);
      assert.ok(deep.status === 400, `deep nesting gives ${deep.status}`);
    });

    test('an oversized body is a 413', async () => {
      const small = await startTestApp(kind, { TALLY_BODY_LIMIT_BYTES: '2048' });
      try {
        const res = await small.request('POST', '/api/records/create/', { field_1: 'x'.repeat(5000) });
        assert.equal(res.status, 413);
        assert.equal(res.body.error.code, 'payload_too_large');
      } finally {
        await small.close();
      }
    });

    test('strings that cannot be stored faithfully are refused, not altered', async () => {
      for (const body of ['{"field_1":"a\\ud800b"}', '{"field_10":"a\\u0000b"}', '{"field_9":{"k\\u0000":"v"}}']) {
        const res = await t.request('POST', '/api/records/create/', body);
        assert.equal(res.status, 400, body);
        assert.equal(res.body.error.code, 'validation_error');
      }
      for (const bytes of [[0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const payload = Buffer.concat([Buffer.from('{"field_1":"a'), Buffer.from(bytes), Buffer.from('b"}')]);
        const res = await t.app.http.inject({
          method: 'POST',
          url: '/api/records/create/',
          payload,
          headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
        });
        assert.equal(res.statusCode, 400, `bytes ${bytes}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, 'invalid_json');
      }
      const ok = await t.request('POST', '/api/records/create/', { field_1: 'emoji 😀 and accents éà and CJK 漢字' });
      assert.equal(ok.status, 201);
      const got = await t.request('GET', `/api/records/${ok.body.id}/`);
      assert.equal(got.body.field_1, 'emoji 😀 and accents éà and CJK 漢字');
    });

    test('__proto__ and constructor keys are plain metadata', async () => {
      const res = await t.request('POST', '/api/records/create/', '{"field_9":{"__proto__":{"polluted":1},"constructor":"x"}}');
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const got = await t.request('GET', `/api/records/${res.body.id}/`);
      assert.equal(got.body.field_9.constructor, 'x');
    });

    test('a client timestamp is kept; one outside 1700-2200 or malformed is refused', async () => {
      const res = await t.request('POST', '/api/records/create/', { timestamp: '2025-01-01T10:30:00+02:00' });
      assert.equal(res.status, 201);
      assert.equal(res.body.timestamp, '2025-01-01T08:30:00Z');
      for (const ts of ['2025-02-30T00:00:00Z', '1600-01-01T00:00:00Z', 'now', 12345]) {
        const bad = await t.request('POST', '/api/records/create/', { timestamp: ts });
        assert.equal(bad.status, 400, String(ts));
      }
    });

    test('numbers out of range are refused', async () => {
      for (const body of [
        { field_18: 99 },
        { field_18: 600 },
        { field_18: 200.5 },
        { field_7: -1 },
        { field_5: { sub_field_a: 1.5 } },
        { field_6: -0.01 },
      ]) {
        const res = await t.request('POST', '/api/records/create/', body);
        assert.equal(res.status, 400, JSON.stringify(body));
      }
    });

    test('a number beyond float range anywhere in the body is refused, not stored as null', async () => {
      const before = (await t.request('GET', '/api/records/list/?param_c=1')).body.count;
      for (const [body, field] of [
        ['{"field_9":{"inf":1e400}}', 'field_9'],
        ['{"field_1":{"x":[1,-1e999]}}', 'field_1'],
        ['{"field_20":{"w":1e309}}', 'field_20'],
      ]) {
        const res = await t.request('POST', '/api/records/create/', body);
        assert.equal(res.status, 400, body);
        assert.equal(res.body.error.code, 'validation_error');
        assert.ok(
          res.body.error.details.some((d: { field: string; message: string }) => d.field === field && /too large/.test(d.message)),
          JSON.stringify(res.body),
        );
      }
      const filter = await t.request('POST', '/api/records/list/', '{"filters":{"field_9__inf":{"operator":"gt","value":[1e400]}}}');
      assert.equal(filter.status, 400, JSON.stringify(filter.body));
      assert.equal((await t.request('GET', '/api/records/list/?param_c=1')).body.count, before);
      assert.equal((await t.request('POST', '/api/records/create/', '{"field_9":{"big":1.7e308}}')).status, 201);
    });

    test('null means absent for optional fields', async () => {
      const res = await t.request('POST', '/api/records/create/', {
        field_3: null,
        field_4: null,
        field_5: null,
        field_18: null,
        field_19: null,
        field_21: null,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.field_3, 'type_a');
      assert.equal(res.body.field_18, 200);
      assert.equal(res.body.field_19, '');
    });
  });
}
