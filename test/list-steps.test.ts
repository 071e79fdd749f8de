import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseFilters } from '../src/query/filters.ts';
import { parseListParams } from '../src/query/list-params.ts';
import type { ListQuery } from '../src/store/types.ts';
import { startTestApp, TEST_ORG, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * Each store finds a list's page by the first step of its plan that answers (src/store/sql/plan.ts). The answers
 * themselves are held to a reference by test/list-plans.test.ts; this test holds the choice, so that a change that
 * quietly sends every list to the slowest step (the planner's page) fails here rather than only in a benchmark.
 */

const N = 2400;

function body(i: number): Record<string, unknown> {
  return {
    field_2: i % 2 ? 'eine Überweisung' : 'nothing here',
    field_10: `c${i % 13}`,
    field_9: i < 300 ? { late: 'yes' } : { late: 'no' }, // "late" only on the oldest 300 records
  };
}

function query(params: Record<string, unknown>, filters?: unknown, count = true): ListQuery {
  const p = parseListParams(params);
  return { conditions: parseFilters(filters), since: p.since, sort: p.sort, offset: (p.page - 1) * p.pageSize, limit: p.pageSize, count };
}

const TEXT = { field_2: { operator: 'icontains', value: ['ÜBERWEISUNG'] } };
const CUSTOMER = { field_10: { operator: '', value: ['c3'] } };
const OLDEST = { field_9__late: { operator: '', value: ['yes'] } };

/** [what, list, step per store]. */
const CASES: [string, ListQuery, { sqlite: string; postgres: string }][] = [
  ['unfiltered, newest first', query({}), { sqlite: 'page', postgres: 'page' }],
  ['a page past the count', query({ param_c: 100, param_b: 30 }), { sqlite: 'past-the-end', postgres: 'page' }],
  ['text search by id: the walk finds the page among the newest', query({}, TEXT), { sqlite: 'walk', postgres: 'walk' }],
  ['text search without a count: the walk still tries', query({}, TEXT, false), { sqlite: 'walk', postgres: 'walk' }],
  ['a customer: an index narrows, then its matches are sorted', query({}, CUSTOMER), { sqlite: 'sorted', postgres: 'page' }],
  [
    'matches only among the oldest, without a count: the walk stops short',
    query({}, { field_2: { operator: 'icontains', value: ['nothing'] }, ...OLDEST }, false),
    { sqlite: 'page', postgres: 'page' },
  ],
  ['sorted by cost, a text search', query({ param_d: '-field_6' }, TEXT), { sqlite: 'page', postgres: 'page' }],
];

for (const kind of STORE_KINDS) {
  describe(`the plan step that finds a list's page [${kind}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(kind);
      await t.createMany(N, body);
    });
    after(() => t.close());

    for (const [what, q, steps] of CASES) {
      test(what, async () => {
        const result = await t.store.list(TEST_ORG, q);
        assert.equal(result.step, steps[kind], `${what}: answered by ${result.step}`);
        if (q.count !== false) assert.ok(result.count !== null);
      });
    }
  });
}
