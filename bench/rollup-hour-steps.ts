import Database from 'better-sqlite3';
import { BENCH_ORG } from './processes.ts';
import { MODELS } from './record-body.ts';
/**
 * `npx tsx bench/rollup-hour-steps.ts <seeded SQLite file>` (an experiment, docs/performance.md): one model's hours
 * read six ways, to tell the model index's walk, the key lookup of each row and the sketch apart (`all` and
 * `iterate`), the models in turn, 40 reads each, p50 and max.
 */
const [file] = process.argv.slice(2);
const db = new Database(file);
db.pragma('query_only = 1');
db.pragma('cache_size = -65536');
const from = Date.UTC(2026, 0, 1) * 1000;
const to = Date.UTC(2026, 0, 31) * 1000;
const where = 'org_id = ? AND t >= ? AND t < ? AND field_4 = ?';
const variants: [string, string][] = [
  ['index only (t)', `SELECT t FROM rollups_hour INDEXED BY rollups_hour_model WHERE ${where}`],
  ['lookup, sums', `SELECT t, n FROM rollups_hour INDEXED BY rollups_hour_model WHERE ${where}`],
  ['lookup, lat', `SELECT t, n, lat FROM rollups_hour INDEXED BY rollups_hour_model WHERE ${where}`],
  ['lookup, length(lat)', `SELECT t, n, length(lat) FROM rollups_hour INDEXED BY rollups_hour_model WHERE ${where}`],
  ['key range, lat', `SELECT t, n, lat FROM rollups_hour WHERE ${where}`],
  ['key range, n', `SELECT t, n FROM rollups_hour WHERE ${where}`],
];
for (const [name, sql] of variants) {
  const stmt = db.prepare(sql).raw();
  for (const mode of ['all', 'iterate'] as const) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 40; i++) {
      const args = [BENCH_ORG, from, to, `v${MODELS[i % MODELS.length]}`];
      const t0 = performance.now();
      if (mode === 'all') rows = stmt.all(...args).length;
      else {
        rows = 0;
        for (const _ of stmt.iterate(...args)) rows++;
      }
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`${name} (${mode}): ${rows} rows, p50 ${times[20].toFixed(2)} ms, max ${times[39].toFixed(2)} ms`);
  }
}
