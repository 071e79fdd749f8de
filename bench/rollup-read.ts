import { parseAnalyticsParams } from '../src/query/analytics-params.ts';
import { planRollup } from '../src/records/rollup-plan.ts';
import type { AnalyticsQuery } from '../src/store/analytics-types.ts';
import { createSqliteStore } from '../src/store/sqlite/store.ts';
import type { Store } from '../src/store/types.ts';
import { openPgStore, withSearchPath } from './pg.ts';
import { BENCH_ORG } from './processes.ts';
import { MODELS } from './record-body.ts';

/**
 * `npx tsx bench/rollup-read.ts <postgres URL> <schema> [rounds] | <SQLite data dir> [rounds]`: the analytics scenario's
 * three rollup requests and its two of the hourly customer table read in process from a seeded store (bench/scenarios/analytics.ts keeps its seed), without
 * HTTP: the store's whole rollupAnalytics per request, p50 and max of the rounds. Where a store's rollup read spends
 * its time, apart from the server's.
 */
const [target, ...rest] = process.argv.slice(2);
const pg = target?.startsWith('postgres') ?? false;
const schema = pg ? rest.shift() : undefined;
const rounds = Number(rest[0] ?? 30);
if (!target || (pg && !schema))
  throw new Error('usage: npx tsx bench/rollup-read.ts <postgres URL> <schema> [rounds] | <SQLite data dir> [rounds]');
const store: Store = schema ? await openPgStore(withSearchPath(target, schema)) : createSqliteStore(target);
const LAST = '2026-01-31T00:00:00.000Z';
const FIRST = '2026-01-01T00:00:00.000Z';
const model = (i: number) => ({ field_4: { operator: '', value: [MODELS[i % MODELS.length]] } });
const requests: [string, (i: number) => Record<string, unknown>][] = [
  ['30 days by day, grouped by model', () => ({ param_a: FIRST, end: LAST, interval: 'day', group_by: 'field_4' })],
  [
    'top 20 customers by cost',
    () => ({ param_a: FIRST, end: LAST, group_by: 'field_10', measures: 'count,cost', order_by: '-cost', limit: '20' }),
  ],
  ['hourly p95 latency of one model', (i) => ({ param_a: FIRST, end: LAST, interval: 'hour', measures: 'latency_p95', filters: model(i) })],
  [
    'hourly p95 latency of one customer (customer hours)',
    (i) => ({
      param_a: FIRST,
      end: LAST,
      interval: 'hour',
      measures: 'latency_p95',
      filters: { field_10: { operator: '', value: `customer_${i % 1000}` } },
    }),
  ],
  [
    'one day by the hour, grouped by customer and model (customer hours)',
    () => ({ param_a: '2026-01-30T00:00:00.000Z', end: LAST, interval: 'hour', group_by: 'field_10,field_4', limit: '5' }),
  ],
];
try {
  for (const [name, input] of requests) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < rounds; i++) {
      const p = parseAnalyticsParams(input(i), Date.now() * 1000);
      const q: AnalyticsQuery = { ...p };
      const read = planRollup(q);
      if (!read) throw new Error(`${name}: not a rollup read`);
      const t0 = performance.now();
      const out = await store.rollupAnalytics(BENCH_ORG, read, q);
      times.push(performance.now() - t0);
      rows = out?.length ?? -1;
    }
    times.sort((a, b) => a - b);
    console.log(`${name}: p50 ${times[Math.floor(rounds / 2)].toFixed(1)} ms, max ${times[rounds - 1].toFixed(1)} ms (${rows} rows)`);
  }
} finally {
  await store.close();
}
