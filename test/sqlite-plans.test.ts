import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseFilters } from '../src/query/filters.ts';
import { parseAnalyticsParams } from '../src/query/analytics-params.ts';
import { parseListParams } from '../src/query/list-params.ts';
import { planRollup } from '../src/records/rollup-plan.ts';
import { rollupReadSql } from '../src/store/sql/rollups.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { bucketWidth, bucketsStatement, percentilesStatement, rangeStatement } from '../src/store/sql/summary.ts';
import { ROW_CHECK, sqliteDialect } from '../src/store/sqlite/dialect.ts';
import { listSql } from '../src/store/sqlite/list-sql.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { TAIL_READ_SQL, tailTimesSql } from '../src/store/sqlite/tail-sql.ts';
import { createSqliteStore } from '../src/store/sqlite/store.ts';

/**
 * Plans the SQLite store relies on for speed (docs/performance.md, "Query plans"): a count that would otherwise
 * seek into the table for every record in range must read one index alone. Correctness of the same queries is
 * tested against a reference in list-plans.test.ts; this only pins down where their time goes.
 */

const ORG = 'org_plans';
let dir: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-plans-'));
  const store = createSqliteStore(dir);
  const texts = ['Überweisung erhalten', 'nothing here', 'a refund'];
  const base = Date.UTC(2025, 0, 1);
  const records = Array.from({ length: 3000 }, (_, i) =>
    encodeRecord(
      deriveRecord({ field_2: texts[i % 3], field_10: `c${i % 50}`, timestamp: new Date(base + i * 60_000).toISOString() }, ORG),
    ),
  );
  await store.insert(records);
  await store.close();
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * The statistics of the 1M-record bench file (five orgs, one with 90% of the records), as ANALYZE leaves them: the
 * planner's choices there, not on this small table, are the ones that matter.
 */
const BIG_STATS: [string, string][] = [
  ['records_org_ts_output', '1000000 200000 1 1'],
  ['records_org_ts_cover', '1000000 200000 1 1 1 1 1'],
  ['records_org_cost', '1000000 200000 16'],
  ['records_org_trace', '1000000 200000 200000'],
  ['records_org_custom_id', '1000000 200000 200000'],
  ['records_org_customer', '1000000 200000 200'],
  ['records_org_id', '1000000 200000 1'],
];

function countPlan(query: Record<string, unknown>, filters: unknown): string {
  const db = openSqlite(path.join(dir, 'tally.db')); // runs the bounded ANALYZE, as the server does at start
  try {
    useStats(db, BIG_STATS);
    const p = parseListParams(query);
    const sql = listSql(ORG, { conditions: parseFilters(filters), since: p.since, sort: p.sort, offset: 0, limit: 100 });
    assert.ok(sql.count, 'a filtered list has a count statement');
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql.count.sql}`).all(...sql.count.params, sql.named) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  } finally {
    db.close();
  }
}

for (const operator of ['icontains', 'contains', 'startswith']) {
  test(`a time window with ${operator} on field_2 is counted from records_org_ts_output alone`, () => {
    const plan = countPlan({ param_a: '2025-01-02T00:00:00Z' }, { field_2: { operator, value: ['überweisung'] } });
    assert.match(plan, /COVERING INDEX records_org_ts_output \(org_id=\? AND ts>\?\)/, plan);
  });
}

test('a whole-org text count reads records_org_ts_output, not the table', () => {
  const plan = countPlan({}, { field_2: { operator: 'icontains', value: ['refund'] } });
  assert.match(plan, /COVERING INDEX records_org_ts_output \(org_id=\?\)/, plan);
});

test('a plain time range is counted from the narrow records_org_ts_cover, not the text index', () => {
  const plan = countPlan({ param_a: '2025-01-02T00:00:00Z' }, undefined);
  assert.match(plan, /COVERING INDEX records_org_ts_cover \(org_id=\? AND ts>\?\)/, plan);
});

test("a customer's page reads the customer index in id order (or sorts its entries), never the customer's records", () => {
  const db = openSqlite(path.join(dir, 'tally.db'));
  try {
    const p = parseListParams({});
    const sql = listSql(ORG, {
      conditions: parseFilters({ field_10: { operator: '', value: ['c7'] } }),
      since: null,
      sort: p.sort,
      offset: 0,
      limit: 100,
    });
    for (const s of [sql.page, sql.sorted!]) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...s.params, 101, 0, sql.named) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
      assert.match(plan, /COVERING INDEX records_org_customer \(org_id=\? AND field_10=\?\)/, plan);
    }
  } finally {
    db.close();
  }
});

/** The statistics the server's bounded ANALYZE left on the 100k-record bench file (analysis_limit 400). */
const SEEDED_STATS: [string, string][] = [
  ['records_org_customer', '100000 401 6 1'],
  ['records_org_ts_output', '100000 401 1 1'],
  ['records_org_ts_cover', '100000 401 1 1 1 1 1'],
  ['records_org_cost', '100000 401 7'],
  ['records_org_trace', '100000 401 401'],
  ['records_org_custom_id', '100000 401 401'],
  ['records_org_id', '100000 401 1'],
];

/** The records' index statistics replaced by these (as ANALYZE of a bigger file would leave them), and loaded. */
function useStats(db: ReturnType<typeof openSqlite>, stats: [string, string][]): void {
  db.exec("DELETE FROM sqlite_stat1 WHERE tbl = 'records'");
  const put = db.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('records', ?, ?)");
  for (const [idx, stat] of stats) put.run(idx, stat);
  db.exec('ANALYZE sqlite_schema'); // reloads the statistics
}

/** Every statement of the bench's lists plans, under these statistics, as it does without the read budget's row check. */
function assertRowCheckMovesNoPlan(stats: [string, string][]): void {
  const db = openSqlite(path.join(dir, 'tally.db'));
  try {
    useStats(db, stats);
    const day = '2025-01-02T00:00:00Z';
    const lists: [Record<string, unknown>, unknown][] = [
      [{}, undefined],
      [{}, { field_10: { operator: '', value: ['c7'] } }],
      [{ param_d: '-field_6' }, { field_6: { operator: 'gt', value: [0.005] } }],
      [{ param_a: day }, { field_2: { operator: 'icontains', value: ['überweisung'] } }],
      [{}, { field_2: { operator: 'icontains', value: ['überweisung'] } }],
      [{ param_a: day }, undefined],
    ];
    for (const [query, filters] of lists) {
      const p = parseListParams(query);
      const sql = listSql(ORG, { conditions: parseFilters(filters), since: p.since, sort: p.sort, offset: 0, limit: 100 });
      for (const s of [sql.count, sql.page, sql.sorted, sql.walk]) {
        if (!s) continue;
        const plan = (text: string) =>
          (
            db
              .prepare(`EXPLAIN QUERY PLAN ${text}`)
              .all(...s.params, ...(s === sql.count ? [] : [101, 0]), { ...sql.named, skip: 999 }) as { detail: string }[]
          )
            .map((r) => r.detail)
            .join(' | ');
        assert.equal(s.sql.includes(ROW_CHECK), filters !== undefined, `the check goes where filters run per row: ${s.sql.slice(0, 200)}`);
        assert.equal(
          plan(s.sql),
          plan(s.sql.replaceAll(` AND ${ROW_CHECK}`, '')),
          `${JSON.stringify(query)} ${JSON.stringify(filters)}: ${s.sql.slice(0, 120)}`,
        );
      }
      // The explorer's summary of the same start time and filters: its three statements.
      const q = { conditions: parseFilters(filters), since: p.since };
      const [first, last] = [Date.UTC(2025, 0, 1) * 1000, Date.UTC(2025, 0, 3) * 1000];
      for (const s of [
        rangeStatement(sqliteDialect, ORG, q),
        bucketsStatement(sqliteDialect, ORG, q, first, last, bucketWidth(first, last)),
        percentilesStatement(sqliteDialect, ORG, q),
      ]) {
        const plan = (text: string) =>
          (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...s.params, { org: ORG }) as { detail: string }[])
            .map((r) => r.detail)
            .join(' | ');
        assert.ok(s.sql.includes(ROW_CHECK), `a summary is checked with or without filters: ${s.sql.slice(0, 200)}`);
        assert.equal(
          plan(s.sql),
          plan(s.sql.replaceAll(` AND ${ROW_CHECK}`, '')),
          `summary ${JSON.stringify(query)} ${JSON.stringify(filters)}: ${s.sql.slice(0, 120)}`,
        );
      }
    }
  } finally {
    db.close();
  }
}

test("the read budget's row check moves no plan (statistics of the 1M-record file)", () => assertRowCheckMovesNoPlan(BIG_STATS));
test("the read budget's row check moves no plan (statistics of the 100k-record file)", () => assertRowCheckMovesNoPlan(SEEDED_STATS));

test('the hourly rollups of a few models are read by the model index, of more models or none by the key', () => {
  const db = openSqlite(path.join(dir, 'tally.db'));
  try {
    const plan = (filters: Record<string, unknown> | undefined) => {
      const q = parseAnalyticsParams(
        { param_a: '2025-01-01T00:00:00Z', end: '2025-01-31T00:00:00Z', interval: 'hour', measures: 'latency_p95', filters },
        Date.now() * 1000,
      );
      const read = planRollup(q);
      assert.ok(read, 'whole hours are the rollups');
      const params: unknown[] = [];
      const sql = rollupReadSql(sqliteDialect, params, ORG, read, q);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    };
    const models = (n: number) => ({ field_4: { operator: 'in', value: Array.from({ length: n }, (_, i) => `m${i}`) } });
    assert.match(plan(models(1)), /rollups_hour USING INDEX rollups_hour_model \(org_id=\? AND field_4=\? AND t>\? AND t<\?\)/);
    assert.match(plan(models(4)), /USING INDEX rollups_hour_model/);
    assert.match(plan(models(5)), /rollups_hour USING INDEX rollups_hour_key \(org_id=\? AND t>\? AND t<\?\)/);
    assert.match(plan(undefined), /rollups_hour USING INDEX rollups_hour_key/);
    assert.match(plan({ field_3: { operator: '', value: ['chat'] } }), /rollups_hour USING INDEX rollups_hour_key/);
    // The hourly customer table by a range of its key.
    assert.match(
      plan({ field_10: { operator: '', value: 'acme' } }),
      /SEARCH rollups_customer_hour USING PRIMARY KEY \(org_id=\? AND t>\? AND t<\?\)/,
    );
  } finally {
    db.close();
  }
});

test("a rollup read's tail (records not folded yet) is a range of seq, not the org's time index (statistics of the 1M-record file)", () => {
  const db = openSqlite(path.join(dir, 'tally.db'));
  try {
    useStats(db, BIG_STATS);
    const plan = (sql: string, params: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    assert.equal(plan(TAIL_READ_SQL, [10, ORG, 0, 1e15]), 'SEARCH records USING INTEGER PRIMARY KEY (rowid>?)');
    const times = tailTimesSql(ORG, 0, { conditions: [], where: [{ dim: 'field_4', keys: ['vgpt-4o', 'n'] }] });
    assert.equal(plan(times.sql, [10, ...times.params]), 'SEARCH records USING INTEGER PRIMARY KEY (rowid>?)');
  } finally {
    db.close();
  }
});
