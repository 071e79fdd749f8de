import assert from 'node:assert/strict';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseFilters } from '../src/query/filters.ts';
import { parseListParams } from '../src/query/list-params.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { listSql } from '../src/store/sqlite/list-sql.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { createSqliteStore } from '../src/store/sqlite/store.ts';
import { RECORD_COLUMNS } from '../src/store/columns.ts';
import { startTestApp, TEST_ORG } from './helpers/app.ts';

/**
 * The SQLite store remembers the counts of filtered lists and brings them up to date from the records inserted
 * since (src/store/sqlite/count-memo.ts). Whatever happens between two identical list requests (records of this
 * org or another, inside or outside the time window, matching or not, arriving with old timestamps, deleted or
 * changed by hand), the count must be the one a fresh count of the same snapshot gives.
 */

const BASE_ORGS = ['org_m1', 'org_m2'];
const BASE = Date.UTC(2025, 3, 1);
const SINCE = new Date(BASE + 50 * 60_000).toISOString();
const QUERIES: { params: Record<string, unknown>; filters?: unknown }[] = [
  { params: {}, filters: { field_2: { operator: 'icontains', value: ['überweisung'] } } },
  { params: { param_a: SINCE }, filters: { field_2: { operator: 'icontains', value: ['ÜBERWEISUNG'] } } },
  { params: { param_a: SINCE } },
  { params: {}, filters: { field_10: { operator: 'in', value: ['c1', 'c2'] } } },
  { params: {}, filters: { field_9__kind: { operator: 'not', value: ['a'] } } },
  { params: { param_a: SINCE }, filters: { field_9__kind: { operator: '', value: ['b'] }, field_10: { operator: '', value: ['c1'] } } },
];

type Action =
  | { kind: 'insert'; items: { org: number; minute: number; text: number; customer: number; meta: number }[] }
  | { kind: 'list'; org: number; query: number }
  | { kind: 'delete'; org: number }
  | { kind: 'update'; org: number };

const TEXTS = ['eine Überweisung', 'nothing', 'ÜBERWEISUNG!', 'überweıſung'];
const item = fc.record({ org: fc.nat(1), minute: fc.nat(100), text: fc.nat(TEXTS.length - 1), customer: fc.nat(3), meta: fc.nat(2) });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('insert' as const), items: fc.array(item, { minLength: 1, maxLength: 12 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('list' as const), org: fc.nat(1), query: fc.nat(QUERIES.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), org: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('update' as const), org: fc.nat(1) }) },
);

test('remembered counts equal fresh counts, whatever happens between two identical lists', async () => {
  let runs = 0;
  let repeatedLists = 0;
  // One store for every run (starting one costs its threads' start-up, ~2 s): each run has orgs of its own, and
  // the earlier runs' records are other orgs' records, which the memo must pass over too.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-memo-'));
  const store = createSqliteStore(dir);
  const raw = openSqlite(path.join(dir, 'tally.db')); // another connection, with Tally's functions: the reference, and the hand edits
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 20, maxLength: 60 }), async (actions) => {
        const run = runs++;
        const ORGS = BASE_ORGS.map((o) => `${o}_${run}`);
        const asked = new Set<string>();
        for (const a of actions) {
          if (a.kind === 'insert') {
            await store.insert(
              a.items.map((it) =>
                encodeRecord(
                  deriveRecord(
                    {
                      field_2: TEXTS[it.text],
                      field_10: `c${it.customer}`,
                      field_9: it.meta === 2 ? null : { kind: it.meta ? 'b' : 'a' },
                      timestamp: new Date(BASE + it.minute * 60_000).toISOString(),
                    },
                    ORGS[it.org],
                  ),
                ),
              ),
            );
          } else if (a.kind === 'delete') {
            raw.prepare('DELETE FROM records WHERE seq = (SELECT min(seq) FROM records WHERE org_id = ?)').run(ORGS[a.org]);
          } else if (a.kind === 'update') {
            raw
              .prepare(
                "UPDATE records SET field_2 = 'nothing', field_10 = 'c3' WHERE seq = (SELECT max(seq) FROM records WHERE org_id = ?)",
              )
              .run(ORGS[a.org]);
          } else {
            const { params, filters } = QUERIES[a.query];
            const p = parseListParams(params);
            const q = { conditions: parseFilters(filters), since: p.since, sort: p.sort, offset: 0, limit: 5 };
            const { count } = await store.list(ORGS[a.org], q);
            const sql = listSql(ORGS[a.org], q);
            const fresh = (raw.prepare(sql.count!.sql).get(...sql.count!.params, sql.named) as { count: number }).count;
            assert.equal(count, fresh, `query ${a.query} for ${ORGS[a.org]}`);
            const key = `${a.org}/${a.query}`;
            if (asked.has(key)) repeatedLists++;
            asked.add(key);
          }
        }
      }),
      { seed: 20261129, numRuns: 40 },
    );
  } finally {
    raw.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(repeatedLists > 200, `only ${repeatedLists} lists repeated an earlier one`);
});

test('a remembered count is used by whichever reader thread counts next (the memo lives on the main thread)', async () => {
  const t = await startTestApp('sqlite');
  const raw = openSqlite(path.join(t.dataDir, 'tally.db'));
  try {
    const filters = { field_2: { operator: 'icontains', value: ['überweisung'] } };
    const records = Array.from({ length: 40 }, (_, i) => ({ field_2: TEXTS[i % TEXTS.length], field_10: `c${i % 3}` }));
    assert.equal((await t.request('POST', '/api/records/batch/', { records })).status, 201);
    const count = async (spelling = 'überweisung') => {
      const res = await t.request('POST', '/api/records/list/?param_c=1', {
        filters: { field_2: { operator: 'icontains', value: [spelling] } },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.count as number;
    };
    const first = await count();
    assert.ok(first > 0);
    // A matching record slipped in below every seq, as Tally's writer never puts one and no trigger notices: a list
    // whose count comes from the memo (brought up to date from the records above the remembered top) misses it,
    // a list counted afresh would see it.
    const columns = RECORD_COLUMNS.map((c) => c.name).filter((c) => c !== 'id');
    raw
      .prepare(
        `INSERT INTO records (seq, id, ${columns.join(', ')}) SELECT -1, 'record_below_top', ${columns.join(', ')} FROM records WHERE org_id = ? AND field_2 = ? LIMIT 1`,
      )
      .run(TEST_ORG, TEXTS[0]);
    // Several at once, so that more than one reader thread counts; a spelling whose count is the same statement
    // shares the entry.
    assert.deepEqual(
      await Promise.all(Array.from({ length: 8 }, (_, i) => count(i % 2 ? 'überWEISUNG' : 'überweisung'))),
      Array(8).fill(first),
    );
    await t.create({ field_2: 'noch eine Überweisung' });
    assert.equal(await count(), first + 1, 'brought up to date with the record created since');
    const q = { conditions: parseFilters(filters), since: null, sort: parseListParams({}).sort, offset: 0, limit: 1 };
    const sql = listSql(TEST_ORG, q);
    assert.equal(
      (raw.prepare(sql.count!.sql).get(...sql.count!.params, sql.named) as { count: number }).count,
      first + 2,
      'a fresh count sees both',
    );
  } finally {
    raw.close();
    await t.close();
  }
});
