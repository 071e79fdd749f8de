import Database from 'better-sqlite3';
import { parseAnalyticsParams } from '../src/query/analytics-params.ts';
import { planRollup } from '../src/records/rollup-plan.ts';
import type { AnalyticsQuery } from '../src/store/analytics-types.ts';
import { bytesSketch } from '../src/store/rollup/sketch.ts';
import { answerRollupRows, rollupReadSql } from '../src/store/sql/rollups.ts';
import { sqliteDialect } from '../src/store/sqlite/dialect.ts';
import { BENCH_ORG } from './processes.ts';
import { MODELS } from './record-body.ts';

/**
 * `npx tsx bench/rollup-probe.ts <SQLite file> [rounds] [part of a request's name]`: where the SQLite rollup read of the analytics scenario's three
 * requests spends its time, on one read-only connection with the reader's page cache: the statement stepped alone
 * (rows read, nothing done with them), then stepped and added up (answerRollupRows), p50 and max of the rounds.
 */
const [file, roundsArg, only] = process.argv.slice(2);
if (!file) throw new Error('usage: npx tsx bench/rollup-probe.ts <SQLite file> [rounds]');
const rounds = Number(roundsArg ?? 40);
const db = new Database(file);
db.pragma('query_only = 1');
db.pragma('cache_size = -65536');
const LAST = '2026-01-31T00:00:00.000Z';
const FIRST = '2026-01-01T00:00:00.000Z';
// PROBE_ONE_MODEL=1: the same model every round (its pages stay in the cache), else the models in turn as the scenario.
const one = process.env.PROBE_ONE_MODEL === '1';
const model = (i: number) => ({ field_4: { operator: '', value: [MODELS[one ? 0 : i % MODELS.length]] } });
const requests: [string, (i: number) => Record<string, unknown>][] = [
  ['30 days by day, grouped by model', () => ({ param_a: FIRST, end: LAST, interval: 'day', group_by: 'field_4' })],
  [
    'top 20 customers by cost',
    () => ({ param_a: FIRST, end: LAST, group_by: 'field_10', measures: 'count,cost', order_by: '-cost', limit: '20' }),
  ],
  ['hourly p95 latency of one model', (i) => ({ param_a: FIRST, end: LAST, interval: 'hour', measures: 'latency_p95', filters: model(i) })],
];
const stats = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  return `p50 ${xs[Math.floor(xs.length / 2)].toFixed(2)} ms, max ${xs[xs.length - 1].toFixed(2)} ms`;
};
for (const [name, input] of requests) {
  if (only && !name.includes(only)) continue;
  const step: number[] = [];
  const whole: number[] = [];
  let rows = 0;
  let bytes = 0;
  let sql = '';
  for (let i = 0; i < rounds; i++) {
    const q: AnalyticsQuery = { ...parseAnalyticsParams(input(i), Date.now() * 1000) };
    const read = planRollup(q);
    if (!read) throw new Error(`${name}: not a rollup read`);
    const params: unknown[] = [];
    sql = rollupReadSql(sqliteDialect, params, BENCH_ORG, read, q);
    const stmt = db.prepare(sql).raw();
    let t0 = performance.now();
    rows = 0;
    bytes = 0;
    for (const row of stmt.iterate(...params) as Iterable<unknown[]>) {
      rows++;
      const last = row[row.length - 1];
      if (last instanceof Uint8Array) bytes += last.byteLength;
    }
    step.push(performance.now() - t0);
    t0 = performance.now();
    answerRollupRows(read, q, stmt.iterate(...params) as Iterable<unknown[]>, (v) => bytesSketch(v as Uint8Array | null));
    whole.push(performance.now() - t0);
  }
  console.log(`${name}: ${rows} rows, ${(bytes / 1024).toFixed(0)} KiB of sketches`);
  console.log(`  stepped: ${stats(step)}; stepped and added up: ${stats(whole)}`);
  console.log(
    `  ${db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(
        ...Array(200)
          .fill(0)
          .slice(0, (sql.match(/\?/g) ?? []).length),
      )
      .map((r) => (r as { detail: string }).detail)
      .join(' | ')}`,
  );
}
db.close();
