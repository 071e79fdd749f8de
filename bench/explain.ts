import Database from 'better-sqlite3';
import fs from 'node:fs';
import { parseFilters } from '../src/query/filters.ts';
import { parseListParams } from '../src/query/list-params.ts';
import { bucketWidth, bucketsStatement, percentilesStatement, rangeStatement } from '../src/store/sql/summary.ts';
import { sqliteDialect } from '../src/store/sqlite/dialect.ts';
import { registerFunctions } from '../src/store/sqlite/functions.ts';
import { ORG_COUNT_SQL, SORT_MAX, listSql } from '../src/store/sqlite/list-sql.ts';
import { BENCH_ORG } from './processes.ts';
import { benchQueries } from './queries.ts';
import type { SeedInfo } from './seed.ts';

/**
 * `npx tsx bench/explain.ts <seeded .db> <its .json>`: EXPLAIN QUERY PLAN of the count and page SQL the
 * SQLite store runs for each benchmark query (and of the summary's three statements), as markdown for
 * docs/performance.md. The plans depend on the statistics the server gathers when it opens a file, so point
 * it at a copy the server has opened.
 */
const [file, metaFile] = process.argv.slice(2);
const info = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as SeedInfo;
const db = new Database(file, { readonly: true });
const stats = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'").get() as { n: number };
if (stats.n === 0 || !db.prepare("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'records'").get()) {
  process.stderr.write(
    "note: this file has no statistics for records (the server ANALYZEs its copy at open); plans may differ from the server's. Point explain at a tally.db the server has opened.\n",
  );
}
registerFunctions(db); // the SQL calls them (tally_budget in every WHERE); the plans do not depend on them
const plan = (sql: string, args: unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => `  ${r.detail}`).join('\n');

/** The summary's statements; the bucket ranges repeat one plan per bucket, so only distinct lines are kept. */
function summaryPlans(since: number | null, conditions: ReturnType<typeof parseFilters>): string {
  const q = { since, conditions };
  const named = { org: BENCH_ORG };
  const range = rangeStatement(sqliteDialect, BENCH_ORG, q);
  const ends = db.prepare(range.sql).get(...range.params, named) as { first_ts: number; last_ts: number };
  const buckets = bucketsStatement(sqliteDialect, BENCH_ORG, q, ends.first_ts, ends.last_ts, bucketWidth(ends.first_ts, ends.last_ts));
  const percentiles = percentilesStatement(sqliteDialect, BENCH_ORG, q);
  const distinct = (text: string) => [...new Set(text.split('\n'))].join('\n');
  return [
    `range:\n\`\`\`\n${plan(range.sql, [...range.params, named])}\n\`\`\``,
    `buckets:\n\`\`\`\n${distinct(plan(buckets.sql, [...buckets.params, named]))}\n\`\`\``,
    `percentiles:\n\`\`\`\n${plan(percentiles.sql, [...percentiles.params, named])}\n\`\`\``,
  ].join('\n');
}
for (const q of benchQueries(info)) {
  const url = new URL(q.path(0), 'http://x');
  const summary = url.pathname.includes('/summary/');
  if (!url.pathname.includes('/list/') && !summary) {
    process.stdout.write(`### ${q.name}\n\`\`\`\n${plan('SELECT * FROM records WHERE org_id = ? AND id = ?', [BENCH_ORG, 'x'])}\n\`\`\`\n`);
    continue;
  }
  const query = Object.fromEntries(url.searchParams);
  const filters = query.filters ? JSON.parse(query.filters) : undefined;
  delete query.filters;
  const params = parseListParams(query);
  if (summary) {
    process.stdout.write(`### ${q.name}\n${summaryPlans(params.since, parseFilters(filters))}\n`);
    continue;
  }
  const sql = listSql(BENCH_ORG, {
    conditions: parseFilters(filters),
    since: params.since,
    sort: params.sort,
    offset: (params.page - 1) * params.pageSize,
    limit: params.pageSize,
  });
  const count = sql.count ? plan(sql.count.sql, [...sql.count.params, sql.named]) : plan(ORG_COUNT_SQL, [BENCH_ORG]);
  const since = sql.countAfter
    ? `count of the records since a remembered count (count-memo.ts):\n\`\`\`\n${plan(sql.countAfter.sql, [...sql.countAfter.params, { ...sql.named, after: 1 }])}\n\`\`\`\n`
    : '';
  const page = plan(sql.page.sql, [...sql.page.params, params.pageSize + 1, 0, sql.named]);
  const sorted = sql.sorted
    ? `sorted (used when the count is at most ${SORT_MAX}):\n\`\`\`\n${plan(sql.sorted.sql, [...sql.sorted.params, params.pageSize + 1, 0, sql.named])}\n\`\`\`\n`
    : '';
  const walk = sql.walk
    ? `walk (tried first when walkBound allows; the page above is the fallback):\n\`\`\`\n${plan(sql.walk.sql, [...sql.walk.params, params.pageSize + 1, 0, { ...sql.named, skip: 1999 }])}\n\`\`\`\n`
    : '';
  process.stdout.write(`### ${q.name}\ncount:\n\`\`\`\n${count}\n\`\`\`\n${since}page:\n\`\`\`\n${page}\n\`\`\`\n${sorted}${walk}`);
}
db.close();
