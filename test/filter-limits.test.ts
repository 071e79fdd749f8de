import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_FILTERS, MAX_FILTER_VALUES, MAX_IN_VALUES } from '../src/query/filters.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * How many filters and "in" values one request may send (docs/filters.md): the most the limits allow answers
 * 200 with the right records on every store, one more is a 400 naming the limit. Before the limits, valid
 * filters reached the engines' own: SQLite's 32,766 parameters and 1,000-deep expressions (a nested key's
 * "in" of 997 values), PostgreSQL's 65,535 parameters (answered 500 and 503).
 *
 * The worst case binds the most SQLite parameters the limits allow, give or take a few dozen: 30,000 values, plus
 * the most a filter binds of its own (7 for an icontains on a column, 6 for a top-level metadata "in" of three
 * JSON types). Counted from the statements it builds: 30,586 in the largest (the page walk), of 32,766.
 */

/** Text columns a record can hold any text in: an icontains on each binds the most parameters SQLite binds for one filter. */
const TEXT_COLUMNS = ['field_1', 'field_2', 'field_4', 'field_10', 'field_11', 'field_12', 'field_13', 'field_14', 'field_15', 'field_19'];
/**
 * Upper-cased, its ASCII run holds I and S and differs from the run without them, and it has a letter beyond
 * ASCII: SQLite's icontains then binds seven parameters (its prefilter's every check).
 */
const NEEDLE = 'isabcdeé';
const HAYSTACK = 'xISABCDEÉx';
const NESTED = 10; // field_9__n<i>__deep, MAX_IN_VALUES values each
const TOP = MAX_FILTERS - TEXT_COLUMNS.length - NESTED; // field_9__k<i>, the rest of the values shared out

/**
 * Strings, numbers and booleans mixed: a metadata "in" binds parameters of its own per JSON type. SQLite binds
 * every value of a top-level key (booleans as 0 and 1), but a nested key's booleans not at all (true and false
 * are written into the SQL), so nested lists hold just the two booleans.
 */
function mixed(n: number, salt: number, nested: boolean): (string | number | boolean)[] {
  const values = Array.from({ length: nested ? n - 2 : n }, (_, j) =>
    j % 3 === 0 ? `s${salt}-${j}` : j % 3 === 1 || nested ? j + 0.5 : j % 2 === 0,
  );
  return nested ? [...values, true, false] : values;
}
/** The value of each type that the planted record holds: the list's first string, its first number, or false. */
const planted = (i: number, salt: number) => [`s${salt}-0`, 1.5, false][i % 3];

function worstCase(): Record<string, unknown> {
  const filters: Record<string, unknown> = {};
  for (const f of TEXT_COLUMNS) filters[f] = { operator: 'icontains', value: [NEEDLE] };
  for (let i = 0; i < NESTED; i++) filters[`field_9__n${i}__deep`] = { operator: 'in', value: mixed(MAX_IN_VALUES, i, true) };
  const left = MAX_FILTER_VALUES - NESTED * MAX_IN_VALUES;
  for (let i = 0; i < TOP; i++) {
    const share = Math.floor(left / TOP) + (i < left % TOP ? 1 : 0);
    filters[`field_9__k${i}`] = { operator: 'in', value: mixed(share, 1000 + i, false) };
  }
  return filters;
}

function plantedRecord(): Record<string, any> {
  const body: Record<string, any> = Object.fromEntries(TEXT_COLUMNS.map((f) => [f, HAYSTACK]));
  const meta: Record<string, unknown> = {};
  for (let i = 0; i < NESTED; i++) meta[`n${i}`] = { deep: planted(i, i) };
  for (let i = 0; i < TOP; i++) meta[`k${i}`] = planted(i, 1000 + i);
  body.field_9 = meta;
  return body;
}

const inValues = (filters: Record<string, any>) =>
  Object.values(filters).reduce((n, f) => n + (f.operator === 'in' ? f.value.length : 0), 0);

for (const kind of STORE_KINDS) {
  describe(`filter size limits [${kind}]`, () => {
    let t: TestApp;
    let match: string;
    before(async () => {
      t = await startTestApp(kind);
      const body = plantedRecord();
      match = (await t.create(body)).id;
      // Each decoy misses one filter: a top-level key's value, a nested key, a text column's needle.
      await t.create({ ...body, field_9: { ...body.field_9, [`k${TOP - 1}`]: 'nope' } });
      await t.create({ ...body, field_9: { ...body.field_9, [`n${NESTED - 1}`]: { other: planted(NESTED - 1, NESTED - 1) } } });
      await t.create({ ...body, field_19: 'x' });
      await t.create({ field_9: { k0: planted(0, 1000) } });
    });
    after(() => t.close());

    const post = (path: string, filters: unknown) => t.request('POST', path, { filters });

    test('the most filters and "in" values the limits allow answer 200 with the right records, on list (every plan) and summary', async () => {
      const filters = worstCase();
      assert.equal(Object.keys(filters).length, MAX_FILTERS);
      assert.equal(inValues(filters), MAX_FILTER_VALUES);
      for (const query of ['', '?param_d=id', '?param_d=field_6', '?param_d=-timestamp&count=false']) {
        const res = await post(`/api/records/list/${query}`, filters);
        assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.deepEqual(
          res.body.results.map((r: any) => r.id),
          [match],
          query,
        );
        if (!query.includes('count=false')) assert.equal(res.body.count, 1, query);
      }
      const summary = await post('/api/records/summary/', filters);
      assert.equal(summary.status, 200, JSON.stringify(summary.body).slice(0, 300));
      assert.equal(summary.body.count, 1);
    });

    test('one "in" value, one filter or one list value past a limit is a 400 invalid_filter_value naming it', async () => {
      const filters = worstCase() as Record<string, any>;
      filters.field_9__k0.value.push('one more');
      const tooMany: [Record<string, unknown>, RegExp][] = [
        [filters, new RegExp(`at most ${MAX_FILTER_VALUES} values together; these hold ${MAX_FILTER_VALUES + 1}`)],
        [{ ...worstCase(), field_18: { operator: '', value: [200] } }, new RegExp(`At most ${MAX_FILTERS} filters`)],
        [
          { field_10: { operator: 'in', value: Array.from({ length: MAX_IN_VALUES + 1 }, (_, i) => `c${i}`) } },
          new RegExp(`"in" takes at most ${MAX_IN_VALUES} values`),
        ],
      ];
      for (const [body, message] of tooMany) {
        for (const path of ['/api/records/list/', '/api/records/summary/']) {
          const res = await post(path, body);
          assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`);
          assert.equal(res.body.error.code, 'invalid_filter_value');
          assert.match(res.body.error.message, message);
        }
      }
    });

    test('the reproductions: a nested key\'s "in" of 997 and 1,000 values; 100 "in" filters of 400 and of 1,000 values', async () => {
      const nested = await t.create({ field_9: { a: { b: 'v996' } } });
      for (const n of [997, MAX_IN_VALUES]) {
        const value = Array.from({ length: n }, (_, i) => `v${i}`);
        for (const path of ['/api/records/list/', '/api/records/summary/']) {
          const res = await post(path, { field_9__a__b: { operator: 'in', value } });
          assert.equal(res.status, 200, `${n} values, ${path}: ${JSON.stringify(res.body).slice(0, 300)}`);
          assert.equal(res.body.count, 1);
        }
        const listed = await post('/api/records/list/', { field_9__a__b: { operator: 'in', value } });
        assert.deepEqual(
          listed.body.results.map((r: any) => r.id),
          [nested.id],
        );
      }
      for (const n of [400, MAX_IN_VALUES]) {
        const filters = Object.fromEntries(
          Array.from({ length: MAX_FILTERS }, (_, i) => [
            `field_9__m${i}`,
            { operator: 'in', value: Array.from({ length: n }, (_, j) => `x${j}`) },
          ]),
        );
        const res = await post('/api/records/list/', filters);
        assert.equal(res.status, 400, `${n} values × ${MAX_FILTERS}: ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.equal(res.body.error.code, 'invalid_filter_value');
        assert.match(res.body.error.message, new RegExp(`at most ${MAX_FILTER_VALUES} values`));
      }
    });
  });
}
