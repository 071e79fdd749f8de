import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../src/auth/keys.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/** Ten records a minute apart. Costs are multiples of 0.25 so every sum is exact in binary floating point. */
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4o', 'mystery-model-without-a-price', 'gpt-4o', 'gpt-4o-mini', 'gpt-4o', 'gpt-4o', 'gpt-4o-mini', 'gpt-4o'];
const COSTS = [0.25, 0.5, 0.75, null, 1, 1.25, 1.5, 1.75, 2, 2.25];
const LATENCIES = [1, 2, 3, 4, null, 5, 6, 7, 8, 9];
const HTTP_CODES = [200, 200, 200, 200, 500, 200, 429, 200, 200, 200];
const SEED = MODELS.map((model, i) => ({
  field_4: model,
  ...(COSTS[i] === null ? {} : { field_6: COSTS[i] }), // the unknown model without a cost stays uncosted
  ...(LATENCIES[i] === null ? {} : { field_7: LATENCIES[i] }),
  field_18: HTTP_CODES[i],
  field_5: { sub_field_a: 100 + i, sub_field_b: 10 }, // 110 + i tokens
  field_9: { tier: i < 5 ? 'gold' : 'silver' },
  timestamp: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
}));

const OTHER_KEY = 'other-org-key-0123456789';

for (const kind of STORE_KINDS) {
  describe(`summary [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      for (const body of SEED) assert.equal((await t.request('POST', '/api/records/create/', body)).status, 201);
      await t.store.ensureApiKey('org_other', hashApiKey(OTHER_KEY));
      // Either side of 1970: buckets must floor negative microseconds too.
      for (const timestamp of ['1969-12-31T23:59:30Z', '1970-01-01T00:00:30Z']) {
        const res = await t.request('POST', '/api/records/create/', { field_4: 'gpt-4o', field_6: 4, field_7: 0.5, timestamp }, { authorization: `Bearer ${OTHER_KEY}` });
        assert.equal(res.status, 201);
      }
    });
    after(() => t.close());

    test('everything: count, cost without the uncosted record, tokens, nearest-rank percentiles, error rate', async () => {
      const res = await t.request('GET', '/api/records/summary/');
      assert.equal(res.status, 200);
      const { buckets, ...totals } = res.body;
      assert.deepEqual(totals, {
        count: 10,
        total_cost: 11.25,
        uncosted_count: 1,
        total_tokens: 1145,
        latency_p50: 5,
        latency_p95: 9,
        error_count: 2,
        error_rate: 0.2,
        first_timestamp: '2025-01-01T00:00:00Z',
        last_timestamp: '2025-01-01T00:09:00Z',
        bucket_seconds: 10,
      });
      assert.equal(buckets.length, 55, 'nine minutes in 10 s buckets, empty ones included');
      assert.deepEqual(buckets[0], { start: '2025-01-01T00:00:00Z', count: 1, cost: 0.25 });
      assert.deepEqual(buckets[1], { start: '2025-01-01T00:00:10Z', count: 0, cost: null });
      assert.deepEqual(buckets[18], { start: '2025-01-01T00:03:00Z', count: 1, cost: null }, 'a bucket with only an uncosted record');
      assert.deepEqual(buckets[54], { start: '2025-01-01T00:09:00Z', count: 1, cost: 2.25 });
      assert.equal(buckets.reduce((n: number, b: any) => n + b.count, 0), 10);
      assert.equal((await t.request('GET', '/api/records/summary')).status, 200, 'trailing slash optional');
    });

    test('a filter on a column: only gpt-4o', async () => {
      const filters = { field_4: { operator: '', value: ['gpt-4o'] } };
      const res = await t.request('GET', `/api/records/summary/?filters=${encodeURIComponent(JSON.stringify(filters))}`);
      assert.equal(res.status, 200);
      const { buckets, ...totals } = res.body;
      assert.deepEqual(totals, {
        count: 6,
        total_cost: 7.5,
        uncosted_count: 0,
        total_tokens: 688,
        latency_p50: 6,
        latency_p95: 9,
        error_count: 2,
        error_rate: 2 / 6,
        first_timestamp: '2025-01-01T00:00:00Z',
        last_timestamp: '2025-01-01T00:09:00Z',
        bucket_seconds: 10,
      });
      assert.equal(buckets.filter((b: any) => b.count > 0).length, 6);
      const post = await t.request('POST', '/api/records/summary/', { filters });
      assert.deepEqual(post.body, res.body, 'POST with a body equals GET with ?filters=');
    });

    test('param_a with a metadata filter, as the list reads them', async () => {
      const body = { filters: { field_9__tier: { operator: 'in', value: ['silver', 'bronze'] } } };
      const res = await t.request('POST', `/api/records/summary/?param_a=${encodeURIComponent('2025-01-01T00:07:00Z')}`, body);
      assert.equal(res.status, 200);
      const { buckets, ...totals } = res.body;
      assert.deepEqual(totals, {
        count: 3,
        total_cost: 6,
        uncosted_count: 0,
        total_tokens: 354,
        latency_p50: 8,
        latency_p95: 9,
        error_count: 0,
        error_rate: 0,
        first_timestamp: '2025-01-01T00:07:00Z',
        last_timestamp: '2025-01-01T00:09:00Z',
        bucket_seconds: 5,
      });
      assert.equal(buckets.length, 25);
      const list = await t.request('POST', `/api/records/list/?param_a=${encodeURIComponent('2025-01-01T00:07:00Z')}`, body);
      assert.equal(list.body.count, totals.count, 'the summary covers exactly what the list returns');
    });

    test('only records without a cost: total_cost is null, never a silent 0', async () => {
      const res = await t.request('POST', '/api/records/summary/', { filters: { field_6: { operator: 'isnull', value: [true] } } });
      assert.equal(res.body.count, 1);
      assert.equal(res.body.total_cost, null);
      assert.equal(res.body.uncosted_count, 1);
      assert.equal(res.body.latency_p50, 4);
      assert.deepEqual(res.body.buckets, [{ start: '2025-01-01T00:03:00Z', count: 1, cost: null }]);
    });

    test('an empty result', async () => {
      const res = await t.request('POST', '/api/records/summary/', { filters: { field_4: { operator: '', value: ['no-such-model'] } } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        count: 0,
        total_cost: 0,
        uncosted_count: 0,
        total_tokens: 0,
        latency_p50: null,
        latency_p95: null,
        error_count: 0,
        error_rate: null,
        first_timestamp: null,
        last_timestamp: null,
        bucket_seconds: null,
        buckets: [],
      });
    });

    test('bad input is a 400 naming the parameter or filter, as for the list', async () => {
      const since = await t.request('GET', '/api/records/summary/?param_a=yesterday');
      assert.equal(since.status, 400);
      assert.equal(since.body.error.code, 'invalid_query_parameter');
      const field = await t.request('POST', '/api/records/summary/', { filters: { field_99: { operator: '', value: ['x'] } } });
      assert.equal(field.status, 400);
      assert.equal(field.body.error.code, 'unknown_filter_field');
      const op = await t.request('POST', '/api/records/summary/', { filters: { field_4: { operator: 'like', value: ['x'] } } });
      assert.equal(op.body.error.code, 'unknown_operator');
      const json = await t.request('GET', '/api/records/summary/?filters=notjson');
      assert.equal(json.status, 400);
    });

    test('auth: 401 without a key or with a wrong one', async () => {
      for (const headers of [{ authorization: '' }, { authorization: 'Bearer not-a-real-key-at-all' }]) {
        const res = await t.request('GET', '/api/records/summary/', undefined, headers);
        assert.equal(res.status, 401);
        assert.equal(res.body.error.code, 'unauthorized');
      }
    });

    test("org isolation: each org sees only its own records; buckets floor before 1970", async () => {
      const other = await t.request('GET', '/api/records/summary/', undefined, { authorization: `Bearer ${OTHER_KEY}` });
      assert.equal(other.status, 200);
      assert.equal(other.body.count, 2);
      assert.equal(other.body.total_cost, 8);
      assert.equal(other.body.bucket_seconds, 2);
      assert.equal(other.body.buckets.length, 31);
      assert.deepEqual(other.body.buckets[0], { start: '1969-12-31T23:59:30Z', count: 1, cost: 4 });
      assert.deepEqual(other.body.buckets[30], { start: '1970-01-01T00:00:30Z', count: 1, cost: 4 });
      const mine = await t.request('GET', '/api/records/summary/');
      assert.equal(mine.body.count, 10);
      const orgFilter = await t.request('POST', '/api/records/summary/', { filters: { org_id: { operator: '', value: ['org_other'] } } });
      assert.equal(orgFilter.body.count, 0, 'filtering on another org_id finds nothing');
    });
  });
}
