import assert from 'node:assert/strict';
import { calcPrice } from '@pydantic/genai-prices';
import { after, before, describe, test } from 'node:test';
import { priceFinder } from '../src/records/price-book.ts';
import type { ModelPriceRow } from '../src/store/types.ts';
import { parseTimestamp } from '../src/time.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

const row = (model: string, input: number, extra: Partial<ModelPriceRow> = {}): ModelPriceRow => ({
  orgId: null,
  model,
  effectiveFrom: null,
  input,
  output: input * 2,
  cacheRead: null,
  cacheWrite: null,
  createdAt: 0,
  ...extra,
});
const micros = (iso: string) => parseTimestamp(iso)!;

describe('which custom price applies (docs/derived-fields.md#custom-prices)', () => {
  const find = (rows: ModelPriceRow[], model: string, org = 'org_a', at = '2026-06-01T00:00:00Z') =>
    priceFinder(rows).find(org, model, micros(at))?.input ?? null;

  test('an exact name beats a pattern; more literal characters beat fewer; * matches any run, the whole name', () => {
    const rows = [row('*', 1), row('ft:*', 2), row('ft:gpt-4o-mini:*', 3), row('ft:gpt-4o-mini:acme:v1', 4), row('*-7b', 5)];
    assert.equal(find(rows, 'ft:gpt-4o-mini:acme:v1'), 4);
    assert.equal(find(rows, 'ft:gpt-4o-mini:acme:v2'), 3);
    assert.equal(find(rows, 'ft:llama'), 2);
    assert.equal(find(rows, 'llama-7b'), 5);
    assert.equal(find(rows, 'anything'), 1);
    assert.equal(find([row('ft:*', 2)], 'xft:a'), null, 'anchored at the start');
    assert.equal(find([row('gpt-4o', 2)], 'GPT-4o'), null, 'case-sensitive');
    assert.equal(find([row('a.b', 2)], 'axb'), null, 'a dot is a dot');
  });

  test("an org's own price beats the server's, even a less specific one; another org's never applies", () => {
    const rows = [row('llama-3-70b', 1), row('llama-*', 2, { orgId: 'org_a' }), row('llama-3-70b', 3, { orgId: 'org_b' })];
    assert.equal(find(rows, 'llama-3-70b', 'org_a'), 2);
    assert.equal(find(rows, 'llama-3-70b', 'org_b'), 3);
    assert.equal(find(rows, 'llama-3-70b', 'org_c'), 1);
  });

  test('the latest price in effect at the call time; a pattern with none in effect yields to the next', () => {
    const rows = [
      row('m', 1),
      row('m', 2, { effectiveFrom: micros('2026-03-01T00:00:00Z') }),
      row('m', 3, { effectiveFrom: micros('2026-09-01T00:00:00Z') }),
      row('m*', 9),
      row('n', 4, { effectiveFrom: micros('2026-09-01T00:00:00Z') }),
      row('n*', 5),
    ];
    assert.equal(find(rows, 'm', 'org_a', '2026-01-01T00:00:00Z'), 1);
    assert.equal(find(rows, 'm', 'org_a', '2026-03-01T00:00:00Z'), 2, 'from is inclusive');
    assert.equal(find(rows, 'm', 'org_a', '2026-10-01T00:00:00Z'), 3);
    assert.equal(find(rows, 'n', 'org_a', '2026-06-01T00:00:00Z'), 5);
    assert.equal(find(rows, 'n', 'org_a', '2026-09-02T00:00:00Z'), 4);
  });
});

for (const kind of STORE_KINDS) {
  describe(`custom prices through /api/prices [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
    });
    after(() => t.close());
    const set = (body: unknown) => t.request('POST', '/api/prices', body);

    test('a model no catalogue knows is priced once an admin sets its price; records made before keep theirs', async () => {
      const usage = { sub_field_a: 2_000_000, sub_field_b: 500_000 };
      const before = await t.create({ field_4: 'acme-llama-70b-ft', field_5: usage });
      assert.equal(before.field_6, null);
      const res = await set({ model: 'acme-llama-*', input: 0.6, output: 2.4 });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        model: 'acme-llama-*',
        org_id: TEST_ORG,
        input: 0.6,
        output: 2.4,
        cache_read: null,
        cache_write: null,
        effective_from: null,
        created: res.body.created,
      });
      const after = await t.create({ field_4: 'acme-llama-70b-ft', field_5: usage });
      assert.equal(after.field_6, 2 * 0.6 + 0.5 * 2.4);
      assert.equal((await t.request('GET', `/api/records/${before.id}/`)).body.field_6, null, 'a record keeps the cost it was stored with');

      assert.equal((await set({ model: 'acme-llama-*', input: 1, output: 1 })).status, 201, 'setting again replaces');
      assert.equal((await t.create({ field_4: 'acme-llama-70b-ft', field_5: usage })).field_6, 2.5);
      assert.equal((await t.request('GET', `/api/records/${after.id}/`)).body.field_6, 2.4, 'the old cost stays');
    });

    test('a custom price beats the catalogue, with its cache prices for cache reads and writes; field_6 sent still wins', async () => {
      assert.equal((await set({ model: 'gpt-4o', input: 1, output: 2, cache_read: 0.1, cache_write: 1.5 })).status, 201);
      const r = await t.create({
        field_4: 'gpt-4o',
        field_5: { sub_field_a: 1_000_000, sub_field_b: 1_000_000, cache_read_input_tokens: 600_000, cache_write_input_tokens: 100_000 },
      });
      assert.equal(r.field_6, 0.3 * 1 + 0.6 * 0.1 + 0.1 * 1.5 + 2);
      const provider = {
        id: 'p',
        name: 'p',
        api_pattern: '',
        models: [
          { id: 'm', match: { equals: 'm' }, prices: { input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.1, cache_write_mtok: 1.5 } },
        ],
      };
      const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000, cache_read_tokens: 600_000, cache_write_tokens: 100_000 };
      assert.equal(r.field_6, Math.round(calcPrice(usage, 'm', { provider })!.total_price * 1e12) / 1e12, "the library's own arithmetic");
      assert.equal((await t.create({ field_4: 'gpt-4o', field_5: { sub_field_a: 10 }, field_6: 7 })).field_6, 7);
      assert.equal((await t.request('DELETE', '/api/prices?model=gpt-4o')).status, 204);
      const catalogue = await t.create({ field_4: 'gpt-4o', field_5: { sub_field_a: 1_000_000, sub_field_b: 0 } });
      assert.equal(catalogue.field_6, 2.5, 'removed: the catalogue prices it again');
    });

    test('an effective-from time applies to calls at or after it; a custom-priced model gets token estimates', async () => {
      assert.equal((await set({ model: 'house-model', input: 1, output: 1 })).status, 201);
      assert.equal((await set({ model: 'house-model', input: 5, output: 5, effective_from: '2026-07-01T00:00:00+02:00' })).status, 201);
      const at = (timestamp: string) =>
        t.create({ field_4: 'house-model', timestamp, field_5: { sub_field_a: 1_000_000, sub_field_b: 0 } });
      assert.equal((await at('2026-06-30T21:59:59Z')).field_6, 1);
      assert.equal((await at('2026-06-30T22:00:00Z')).field_6, 5);
      const estimated = await t.create({ field_4: 'house-model', field_1: 'hello there', field_2: 'hi' });
      assert.equal(estimated.tokens_estimated, true);
      assert.ok(estimated.field_6 > 0);
      const list = (await t.request('GET', '/api/prices')).body.results.filter((p: any) => p.model === 'house-model');
      assert.deepEqual(
        list.map((p: any) => p.effective_from),
        [null, '2026-06-30T22:00:00Z'],
      );
      assert.equal((await t.request('DELETE', '/api/prices?model=house-model&effective_from=2026-06-30T22:00:00Z')).status, 204);
      assert.equal((await at('2026-08-01T00:00:00Z')).field_6, 1, 'only that one removed');
    });

    test("the server's prices (set by the CLI) are listed and apply; the org's own beat them", async () => {
      await t.store.setModelPrice(row('srv-*', 3), null);
      await t.store.setModelPrice(row('srv-special', 4, { orgId: 'org_other' }), null);
      // Written beside the app, as the CLI does; a change through the API reads every price again at once.
      assert.equal((await set({ model: 'srv-zzz', input: 0, output: 0 })).status, 201);
      const results = (await t.request('GET', '/api/prices')).body.results;
      assert.ok(results.some((p: any) => p.model === 'srv-*' && p.org_id === null));
      assert.ok(!results.some((p: any) => p.org_id === 'org_other'), "another org's prices are not shown");
      assert.equal((await t.create({ field_4: 'srv-special', field_5: { sub_field_a: 1_000_000 } })).field_6, 3);
      assert.equal((await t.create({ field_4: 'srv-zzz', field_5: { sub_field_a: 1_000_000 } })).field_6, 0);
    });

    test('bad input: pattern syntax, negative or missing prices, a bad time, another org: a clear 400 or 404, nothing stored', async () => {
      const count = async () => (await t.request('GET', '/api/prices')).body.results.length;
      const n = await count();
      const bad: [unknown, number, RegExp][] = [
        [{ model: 'gpt-4?', input: 1, output: 1 }, 400, /model uses "\?".*only \* \(any run of characters\)/],
        [{ model: 'gpt-[45]o', input: 1, output: 1 }, 400, /model uses "\["/],
        [{ model: 'gpt-**', input: 1, output: 1 }, 400, /model uses "\*\*"/],
        [{ model: ' ', input: 1, output: 1 }, 400, /model must be a model name or a pattern/],
        [{ model: 'm', input: -1, output: 1 }, 400, /input must be a number of USD per 1M tokens from 0/],
        [{ model: 'm', input: 1 }, 400, /output is required/],
        [{ model: 'm', input: 1, output: 1, cache_read: 'cheap' }, 400, /cache_read must be a number/],
        [{ model: 'm', input: 1, output: 1, effective_from: 'yesterday' }, 400, /effective_from must be an ISO 8601 time/],
        [{ model: 'm', input: 1, output: 1, colour: 'red' }, 400, /Unknown field\(s\) "colour"/],
        [{ model: 'm', input: 1, output: 1, org_id: 'org_nope' }, 404, /No org "org_nope"/],
        [[1], 400, /must be a JSON object/],
      ];
      for (const [body, status, message] of bad) {
        const res = await set(body);
        assert.equal(res.status, status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error.message, message, JSON.stringify(body));
      }
      assert.equal((await t.request('DELETE', '/api/prices?model=never-set')).status, 404);
      assert.equal((await t.request('DELETE', '/api/prices?model=a%7Bb%7D')).status, 400);
      assert.equal((await t.request('DELETE', '/api/prices')).status, 400);
      assert.equal(await count(), n, 'nothing stored');
    });

    test('changes to an org’s prices are in its audit log', async () => {
      const entries = (await t.request('GET', '/api/audit')).body.results.map((e: any) => e.action);
      assert.ok(entries.includes('price_set') && entries.includes('price_removed'), entries.join(','));
    });
  });
}
