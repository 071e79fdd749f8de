import fs from 'node:fs';
import path from 'node:path';

/** One line of the results table. Rates are per second, latencies in milliseconds, memory in MB. */
export interface ResultRow {
  scenario: string;
  case: string;
  perSecond?: number;
  p50?: number;
  p99?: number;
  peakRssMb?: number;
  /** Extra facts: ratios, counts, targets met or missed. */
  note?: string;
}

const fmt = (v: number | undefined, digits = 1) =>
  v === undefined ? '' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);

/** The results as a markdown table (pasteable into docs/performance.md). */
export function markdownTable(rows: ResultRow[]): string {
  const head = '| scenario | case | per s | p50 ms | p99 ms | peak RSS MB | notes |\n|---|---|---:|---:|---:|---:|---|';
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.case} | ${fmt(r.perSecond)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.peakRssMb, 0)} | ${r.note ?? ''} |`,
  );
  return [head, ...lines].join('\n');
}

/**
 * Writes the run to bench/results/<time>.json and, when it ran every scenario (`full`), to bench/results/latest.json
 * (latest-postgres.json): the committed latest results are always a whole run, never a partial one.
 */
export function writeResults(run: Record<string, unknown>, full: boolean): string {
  const dir = new URL('./results', import.meta.url).pathname;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const text = `${JSON.stringify(run, null, 2)}\n`;
  fs.writeFileSync(file, text);
  if (full) fs.writeFileSync(path.join(dir, run.engine === 'postgres' ? 'latest-postgres.json' : 'latest.json'), text);
  return file;
}
