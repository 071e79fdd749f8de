import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../src/auth/keys.ts';
import { parseFilters } from '../src/query/filters.ts';
import { summaryFromRollups } from '../src/records/summary-rollups.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/** Ten records a minute apart. Costs are multiples of 0.25 so every sum is exact in binary floating point. */
const MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4o',
  'mystery-model-without-a-price',
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4o',
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4o',
];
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
        const res = await t.request(
          'POST',
          '/api/records/create/',
          { field_4: 'gpt-4o', field_6: 4, field_7: 0.5, timestamp },
          { authorization: `Bearer ${OTHER_KEY}` },
        );
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
      assert.equal(
        buckets.reduce((n: number, b: any) => n + b.count, 0),
        10,
      );
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

    test('org isolation: each org sees only its own records; buckets floor before 1970', async () => {
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

/**
 * The summary against a reference computed from the records the list returns, over both of the summary's
 * plans (org and start time only; filters) and both stores. Latencies repeat (ties) and some are missing;
 * costs are multiples of 1/64, so every sum is exact.
 */
const ORACLE_KEY = 'oracle-org-key-0123456789';
const DAY_US = 86_400_000_000;
const T0 = Date.UTC(2025, 5, 1) * 1000;

function oracleRecord(i: number): Record<string, unknown> {
  const ts = T0 + Math.floor((((i * 7919) % 1000) / 1000) * 3 * DAY_US) + i; // spread over 3 days, out of order
  return {
    field_4: i % 9 === 0 ? 'mystery-model-without-a-price' : 'gpt-4o',
    ...(i % 9 === 0 ? {} : { field_6: ((i * 13) % 50) / 64 }),
    ...(i % 5 === 0 ? {} : { field_7: ((i * 3) % 8) * 0.25 }),
    field_18: i % 11 === 0 ? 503 : 200,
    field_5: { sub_field_a: i, sub_field_b: 2 * i },
    field_10: `customer_${i % 3}`,
    timestamp: new Date(ts / 1000).toISOString(),
  };
}

/** Nearest rank with exact rationals: the value at 1-based rank ceil(p * n). */
const nearestRank = (sorted: number[], num: number, den: number) =>
  sorted.length === 0 ? null : sorted[Math.ceil((num * sorted.length) / den) - 1];

function reference(records: any[], bucketSeconds: number) {
  const costs = records.filter((r) => r.field_6 !== null).map((r) => r.field_6);
  const latencies = records
    .filter((r) => r.field_7 !== null)
    .map((r) => r.field_7)
    .sort((a, b) => a - b);
  const byTime = [...records].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  const us = byTime.map((r) => Date.parse(r.timestamp) * 1000);
  const w = bucketSeconds * 1_000_000;
  const buckets = new Map<number, { count: number; cost: number | null }>();
  for (let s = Math.floor(us[0] / w) * w; s <= us[us.length - 1]; s += w) buckets.set(s, { count: 0, cost: null });
  for (const r of records) {
    const b = buckets.get(Math.floor((Date.parse(r.timestamp) * 1000) / w) * w)!;
    b.count++;
    if (r.field_6 !== null) b.cost = (b.cost ?? 0) + r.field_6;
  }
  return {
    count: records.length,
    total_cost: costs.length === 0 ? null : costs.reduce((a, b) => a + b, 0),
    uncosted_count: records.length - costs.length,
    total_tokens: records.reduce((n, r) => n + r.sub_field_total, 0),
    latency_p50: nearestRank(latencies, 1, 2),
    latency_p95: nearestRank(latencies, 19, 20),
    error_count: records.filter((r) => r.status === 'error').length,
    error_rate: records.filter((r) => r.status === 'error').length / records.length,
    first_timestamp: byTime[0].timestamp,
    last_timestamp: byTime[byTime.length - 1].timestamp,
    buckets: [...buckets].map(([start, b]) => ({ start: new Date(start / 1000).toISOString().replace('.000Z', 'Z'), ...b })),
  };
}

for (const kind of STORE_KINDS) {
  describe(`summary agrees with the records the list returns [${kind}]`, () => {
    let t: TestApp;
    const auth = { authorization: `Bearer ${ORACLE_KEY}` };
    before(async () => {
      t = await startTestApp(kind);
      await t.store.ensureApiKey('org_oracle', hashApiKey(ORACLE_KEY));
      // Two more in the hour of param_a below: one before it (which a bucket must not count), one after.
      const edges = [600, 3000].map((s, i) => ({
        ...oracleRecord(1000 + i),
        timestamp: new Date((T0 + DAY_US + s * 1_000_000) / 1000).toISOString(),
      }));
      const records = [...Array.from({ length: 240 }, (_, i) => oracleRecord(i)), ...edges];
      const res = await t.request('POST', '/api/records/batch/', { records }, auth);
      assert.equal(res.status, 201);
    });
    after(() => t.close());

    const hour = T0 + DAY_US;
    const since = new Date((hour + 2_400_000_000 + 1_234_000) / 1000).toISOString(); // 40 min into an hour's bucket
    const cases: [string, string, unknown][] = [
      ['everything (time-only plan)', '', undefined],
      ['param_a alone, mid-bucket (time-only plan)', `param_a=${encodeURIComponent(since)}`, undefined],
      ['a customer (filtered plan)', '', { field_10: { operator: '', value: ['customer_1'] } }],
      [
        'param_a and a latency range (filtered plan)',
        `param_a=${encodeURIComponent(since)}`,
        { field_7: { operator: 'gte', value: [0.5] } },
      ],
      ['only records without a latency', '', { field_7: { operator: 'isnull', value: [true] } }],
      // Filters the hourly rollups hold: answered from them (asserted below), first and last timestamps exact.
      ['a model (rollups)', '', { field_4: { operator: '', value: ['gpt-4o'] } }],
      [
        'two models and errors (rollups)',
        '',
        { field_4: { operator: 'in', value: ['gpt-4o', 'mystery-model-without-a-price'] }, status: { operator: '', value: ['error'] } },
      ],
    ];
    /** Whether the rollups answer a case: unfiltered or filtered on their dimensions only, no param_a, hourly buckets. */
    const byRollups = (query: string, filters: any, bucketSeconds: number) =>
      !query && bucketSeconds % 3600 === 0 && Object.keys(filters ?? {}).every((f) => ['field_3', 'field_4', 'status'].includes(f));
    test('the fixture has records in the hour before param_a, which its first bucket must leave out', async () => {
      const fromHour = await t.request(
        'GET',
        `/api/records/list/?param_a=${encodeURIComponent(new Date(hour / 1000).toISOString())}`,
        undefined,
        auth,
      );
      const fromSince = await t.request('GET', `/api/records/list/?param_a=${encodeURIComponent(since)}`, undefined, auth);
      assert.ok(fromHour.body.count > fromSince.body.count);
      const { body } = await t.request('GET', `/api/records/summary/?param_a=${encodeURIComponent(since)}`, undefined, auth);
      assert.equal(body.bucket_seconds, 3600);
      assert.equal(body.buckets[0].start, new Date(hour / 1000).toISOString().replace('.000Z', 'Z'));
    });

    for (const [name, query, filters] of cases) {
      test(name, async () => {
        const body = filters ? { filters } : {};
        const summary = await t.request('POST', `/api/records/summary/?${query}`, body, auth);
        assert.equal(summary.status, 200);
        const list = await t.request('POST', `/api/records/list/?param_c=1000&${query}`, body, auth);
        assert.equal(list.body.count, list.body.results.length);
        assert.ok(list.body.count > 0);
        const { bucket_seconds, ...got } = summary.body;
        assert.ok(got.buckets.length <= 60);
        const want = reference(list.body.results, bucket_seconds);
        if (byRollups(query, filters, bucket_seconds)) {
          // The rollups answer (docs/analytics.md), percentiles from sketches within 1%.
          const conditions = parseFilters(filters ?? {});
          const fromRollups = await summaryFromRollups(t.store, 'org_oracle', { conditions, since: null });
          assert.ok(fromRollups !== null, 'the rollups answer this summary');
          assert.equal(fromRollups.count, want.count);
          for (const p of ['latency_p50', 'latency_p95'] as const) {
            assert.ok(Math.abs(got[p] - want[p]!) <= 0.01 * want[p]!, `${p}: ${got[p]} ≠ ${want[p]}`);
            got[p] = want[p];
          }
        }
        assert.deepEqual(got, want);
      });
    }

    test('one record: its latency is both p50 and p95', async () => {
      const one = await t.request('POST', '/api/records/summary/', { filters: { sub_field_a: { operator: '', value: [7] } } }, auth);
      assert.equal(one.body.count, 1);
      assert.equal(one.body.latency_p50, 1.25);
      assert.equal(one.body.latency_p95, 1.25);
    });
  });
}
