import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAnalyticsParams } from '../src/query/analytics-params.ts';
import { planRollup } from '../src/records/rollup-plan.ts';
import { pairsTextSketch } from '../src/store/rollup/sketch.ts';
import { SUMS } from '../src/store/rollup/tables.ts';
import { answerRollupRows, answerRollupRowsInTurns } from '../src/store/sql/rollups.ts';

// PostgreSQL's store adds a rollup read's rows up on the event loop (SQLite's reader thread does it off it): in turns
// of a few ms, each followed by setImmediate, so that other requests run between (docs/analytics.md). Rows here are
// built in rollupReadSql's column order, as the driver returns them: t, the group_by keys, the sums, the sketches.

const q = parseAnalyticsParams(
  {
    param_a: '2026-05-01T00:00:00Z',
    end: '2026-05-02T00:00:00Z',
    interval: 'hour',
    group_by: 'field_10,field_4',
    measures: 'count,cost,latency_p95,ttft_p50',
    limit: 7,
  },
  Date.now() * 1000,
);
const read = planRollup(q)!;
const HOUR_US = 3_600_000_000;
const start = Date.parse('2026-05-01T00:00:00Z') * 1000;
const rows = Array.from({ length: 3_000 }, (_, i) => {
  const row: Record<string, unknown> = { t: start + (i % 24) * HOUR_US, field_10: `vc${i % 50}`, field_4: `vm${i % 3}` };
  for (const s of SUMS) row[s] = s === 'n' || s === 'costed' || s === 'lat_n' ? 2 : s === 'cost' ? (i % 17) / 100 : 0;
  row.lat = `{${10 + (i % 40)},1,${60 + (i % 9)},1}`;
  row.ttft = `{${i % 5},2}`;
  return row;
});
const sketch = (v: unknown) => pairsTextSketch(v as string | null);

test('a rollup read added up in turns answers as when added up at once, and lets the event loop run between turns', async () => {
  assert.equal(read.parts[0].table, 'rollups_customer_hour');
  const columns = Object.keys(rows[0]);
  const atOnce = answerRollupRows(
    read,
    q,
    rows.map((r) => columns.map((c) => r[c])),
    sketch,
  );
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const inTurns = await answerRollupRowsInTurns(read, q, rows, sketch, 0); // a turn per 64 rows
  ticking = false;
  assert.deepEqual(inTurns, atOnce);
  assert.ok(atOnce.length > 24, `${atOnce.length} rows answered`);
  assert.ok(ticks >= Math.floor(rows.length / 64) - 1, `${ticks} turns of other work ran meanwhile`);
});
