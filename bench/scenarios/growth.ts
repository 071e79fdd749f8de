import type { BenchContext } from '../context.ts';
import { runLoad } from '../load.ts';
import { BENCH_KEY, startTally } from '../processes.ts';
import { chatRecord } from '../record-body.ts';
import type { ResultRow } from '../report.ts';
import { sequentialLoad } from '../sequential.ts';
import type { BenchTarget } from '../target.ts';

/** ingest-single and the default list on tables of growing size: neither should slow down as the table grows. */
export async function growthScenario(ctx: BenchContext, target: BenchTarget): Promise<ResultRow[]> {
  const body = JSON.stringify(chatRecord(1));
  const rows: ResultRow[] = [];
  if (!target.seededWritable) {
    // Seeded PostgreSQL schemas are shared between runs; copying 1M rows per size was not worth the time.
    ctx.log('growth: skipped on PostgreSQL (seeded schemas are read-only)');
    return [{ scenario: 'growth', case: 'not run on PostgreSQL (seeded schemas are shared and read-only)' }];
  }
  for (const n of ctx.opts.growthSizes) {
    const loc = await target.seeded(n, `growth-${n}`);
    const server = await startTally(loc.dataDir, loc.databaseUrl);
    try {
      const list = await sequentialLoad(server.url, () => '/api/records/list/', ctx.opts.queryRequests, 60);
      await runLoad({
        url: `${server.url}/api/records/create/`,
        method: 'POST',
        body,
        key: BENCH_KEY,
        connections: ctx.opts.connections,
        seconds: 1,
      });
      const r = await runLoad({
        url: `${server.url}/api/records/create/`,
        method: 'POST',
        body,
        key: BENCH_KEY,
        connections: ctx.opts.connections,
        seconds: ctx.opts.seconds,
      });
      const size = n.toLocaleString('en-US');
      rows.push({
        scenario: `growth ${size}`,
        case: 'ingest-single',
        perSecond: r.perSecond,
        p50: r.p50,
        p99: r.p99,
        peakRssMb: server.peakRssMb(),
      });
      rows.push({ scenario: `growth ${size}`, case: 'default list', p50: list.p50, p99: list.p99, note: `count ${list.count}` });
      ctx.log(`  growth ${size}: ingest ${Math.round(r.perSecond)}/s p99 ${r.p99} ms; list p50 ${list.p50.toFixed(2)} ms`);
    } finally {
      await server.stop();
    }
  }
  return rows;
}
