import http from 'node:http';
import type { BenchContext } from '../context.ts';
import { BENCH_KEY, startTally, type ServedProcess } from '../processes.ts';
import type { ResultRow } from '../report.ts';
import type { BenchTarget } from '../target.ts';

/** Bytes and lines an export sent, and how long it took. */
async function download(url: string, maxSeconds: number): Promise<{ bytes: number; newlines: number; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let newlines = 0;
    const req = http.get(url, { headers: { authorization: `Bearer ${BENCH_KEY}` } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`export answered ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) newlines++;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ bytes, newlines, seconds: (performance.now() - started) / 1000 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    const timer = setTimeout(() => req.destroy(new Error(`the export took over ${maxSeconds} s`)), maxSeconds * 1000);
  });
}

/** The server's VmRSS in MB, the median of a few samples a little apart (its resting size). */
async function idleRssMb(server: ServedProcess): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 400));
    server.resetPeak();
    await new Promise((r) => setTimeout(r, 150));
    samples.push(server.peakRssMb());
  }
  return samples.sort((a, b) => a - b)[2];
}

/**
 * Export of the whole seeded table (the big org's records) as JSONL and as CSV, each from a cold start of the real
 * server (`node dist/server.js`), read by a real HTTP client as fast as it takes it; the server's VmRSS is sampled
 * every 100 ms. The contract: the peak stays within a few tens of MB of idle (docs/lifecycle.md).
 */
export async function exportScenario(ctx: BenchContext, target: BenchTarget): Promise<ResultRow[]> {
  const n = ctx.opts.queryRecords;
  const loc = await target.seeded(n, `export-${n}`);
  const rows: ResultRow[] = [];
  for (const format of ['jsonl', 'csv'] as const) {
    const server = await startTally(loc.dataDir, loc.databaseUrl);
    try {
      await new Promise((r) => setTimeout(r, 3000)); // past start-up's own work (statistics, first chores)
      const idle = await idleRssMb(server);
      server.resetPeak();
      const got = await download(`${server.url}/api/records/export/?format=${format}`, 1800);
      const peak = server.peakRssMb();
      const records = format === 'jsonl' ? got.newlines : loc.info.bigOrgRecords; // CSV cells may hold newlines
      if (format === 'jsonl' && records !== loc.info.bigOrgRecords)
        throw new Error(`export sent ${records} records, the org holds ${loc.info.bigOrgRecords}`);
      const mb = got.bytes / 1e6;
      rows.push({
        scenario: `export ${n.toLocaleString('en-US')}`,
        case: `${format}, cold start`,
        perSecond: records / got.seconds,
        peakRssMb: peak,
        note: `${records.toLocaleString('en-US')} records, ${Math.round(mb).toLocaleString('en-US')} MB in ${got.seconds.toFixed(1)} s; idle ${Math.round(idle)} MB, peak +${Math.round(peak - idle)} MB over idle`,
      });
      ctx.log(
        `  export ${format}: ${records} records, ${mb.toFixed(0)} MB in ${got.seconds.toFixed(1)} s, RSS idle ${idle.toFixed(0)} → peak ${peak.toFixed(0)} MB`,
      );
    } finally {
      await server.stop();
    }
  }
  return rows;
}
