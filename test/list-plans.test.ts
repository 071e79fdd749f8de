import assert from 'node:assert/strict';
import { after as afterAll, before, describe, test } from 'node:test';
import { simpleUpper } from '../src/store/sqlite/pg-text.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { STORE_KINDS } from './helpers/stores.ts';

/**
 * The SQLite store answers a list several ways: the count from record_meta alone for a metadata equality or
 * "in", a page sorted after narrowing by an index when the count is small, a bounded walk in id order that falls
 * back to the planner's page when it stops short, an empty page past the count, and count=false. Every way must give the answer an independent reference computes from the
 * records themselves, on every store, for pages inside and past the end, with data where the walk succeeds
 * (matches among the newest records) and where it must fall back (matches only among the oldest, timestamps
 * out of id order).
 */

const N = 2400;
const BASE = Date.UTC(2025, 0, 1);

function body(i: number): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    kind: i % 7 === 0 ? 'rare' : i % 2 ? 'odd' : 'even',
    n: i % 3 === 0 ? 0 : i % 3 === 1 ? '0' : 1,
    flag: i % 5 === 0,
    ...(i < 300 ? { late: 'yes' } : {}),
  };
  const texts = ['Überweisung erhalten', 'ıstanbul', 'eine überweisung', 'nothing here'];
  // The newest 100 records carry old timestamps (a backfill): id order and time order disagree there.
  const ts = i >= N - 100 ? BASE - i * 1000 : BASE + i * 1000;
  return {
    field_2: texts[i % 4],
    field_10: `c${i % 13}`,
    timestamp: new Date(ts).toISOString(),
    ...(i % 11 === 0 ? {} : { field_9: meta }),
  };
}

type Rec = { id: string; timestamp: string; field_2: string; field_10: string; field_9: Record<string, unknown> | null };
const meta = (r: Rec) => r.field_9 ?? {};
const icontains = (needle: string) => (r: Rec) => simpleUpper(r.field_2).includes(simpleUpper(needle));
const SINCE = new Date(BASE + 1000 * 1000).toISOString(); // record 1000's own timestamp: the bound is inclusive
const after = (r: Rec) => Date.parse(r.timestamp) >= Date.parse(SINCE);

const CASES: { name: string; filters?: unknown; since?: string; match: (r: Rec) => boolean }[] = [
  { name: 'meta equal, sparse', filters: { field_9__kind: { operator: '', value: ['rare'] } }, match: (r) => meta(r).kind === 'rare' },
  {
    name: 'meta in, dense, repeated value',
    filters: { field_9__kind: { operator: 'in', value: ['odd', 'rare', 'odd'] } },
    match: (r) => ['odd', 'rare'].includes(meta(r).kind as string),
  },
  {
    name: 'meta in across JSON types',
    filters: { field_9__n: { operator: 'in', value: [0, '0'] } },
    match: (r) => meta(r).n === 0 || meta(r).n === '0',
  },
  { name: 'meta boolean', filters: { field_9__flag: { operator: '', value: [true] } }, match: (r) => meta(r).flag === true },
  { name: 'meta only on the oldest', filters: { field_9__late: { operator: '', value: ['yes'] } }, match: (r) => meta(r).late === 'yes' },
  {
    name: 'meta not (keeps missing keys)',
    filters: { field_9__kind: { operator: 'not', value: ['odd'] } },
    match: (r) => meta(r).kind !== 'odd',
  },
  { name: 'meta isnull', filters: { field_9__kind: { operator: 'isnull', value: [true] } }, match: (r) => !('kind' in meta(r)) },
  {
    name: 'meta and a column',
    filters: { field_9__kind: { operator: '', value: ['even'] }, field_10: { operator: '', value: ['c3'] } },
    match: (r) => meta(r).kind === 'even' && r.field_10 === 'c3',
  },
  { name: 'meta empty in', filters: { field_9__kind: { operator: 'in', value: [] } }, match: () => false },
  {
    name: 'icontains, non-ASCII',
    filters: { field_2: { operator: 'icontains', value: ['überweisung'] } },
    match: icontains('überweisung'),
  },
  { name: 'icontains through ı', filters: { field_2: { operator: 'icontains', value: ['ISTANBUL'] } }, match: icontains('ISTANBUL') },
  {
    name: 'start time and icontains',
    since: SINCE,
    filters: { field_2: { operator: 'icontains', value: ['ÜBERWEISUNG'] } },
    match: (r) => after(r) && icontains('ÜBERWEISUNG')(r),
  },
  {
    name: 'start time and meta in',
    since: SINCE,
    filters: { field_9__kind: { operator: 'in', value: ['rare', 'even'] } },
    match: (r) => after(r) && ['rare', 'even'].includes(meta(r).kind as string),
  },
  { name: 'start time only', since: SINCE, match: after },
];

const SORTS: Record<string, (a: Rec, b: Rec) => number> = {
  '-id': (a, b) => (a.id < b.id ? 1 : -1),
  id: (a, b) => (a.id < b.id ? -1 : 1),
  '-timestamp': (a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp) || (a.id < b.id ? 1 : -1),
};

const PAGES: [size: number, page: number][] = [
  [1, 1],
  [3, 2],
  [10, 1],
  [10, 4],
  [100, 1],
  [100, 3],
  [7, 400],
];

for (const kind of STORE_KINDS) {
  describe(`list plans give the reference answer [${kind}]`, () => {
    let t: TestApp;
    let all: Rec[];
    before(async () => {
      t = await startTestApp(kind);
      await t.createMany(N, body);
      const listed = [];
      for (let page = 1; page <= Math.ceil(N / 1000); page++)
        listed.push(...(await t.request('GET', `/api/records/list/?param_c=1000&param_b=${page}&param_d=id`)).body.results);
      all = listed;
      assert.equal(all.length, N);
    });
    afterAll(() => t.close());

    for (const c of CASES) {
      test(c.name, async () => {
        for (const [sort, compare] of Object.entries(SORTS)) {
          const expected = all.filter(c.match).sort(compare);
          for (const [size, page] of PAGES) {
            for (const count of [true, false]) {
              const q = new URLSearchParams({
                param_c: String(size),
                param_b: String(page),
                param_d: sort,
                ...(c.since ? { param_a: c.since } : {}),
                ...(count ? {} : { count: 'false' }),
              });
              const what = `${c.name}, ${q}`;
              const res = await t.request('POST', `/api/records/list/?${q}`, c.filters ? { filters: c.filters } : undefined);
              assert.equal(res.status, 200, `${what}: ${JSON.stringify(res.body)}`);
              const want = expected.slice((page - 1) * size, page * size).map((r) => r.id);
              assert.deepEqual(
                res.body.results.map((r: Rec) => r.id),
                want,
                what,
              );
              assert.equal(res.body.count, count ? expected.length : null, what);
              assert.equal(res.body.next === null, page * size >= expected.length, `${what}: next`);
              assert.equal(res.body.previous === null, page === 1, `${what}: previous`);
            }
          }
        }
      });
    }
  });
}
