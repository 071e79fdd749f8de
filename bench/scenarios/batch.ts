import type { BenchContext } from '../context.ts';
import { runLoad } from '../load.ts';
import { BENCH_KEY, startTally } from '../processes.ts';
import { chatRecord } from '../record-body.ts';
import type { ResultRow } from '../report.ts';
import type { BenchTarget } from '../target.ts';

const BATCH = 1000;

/** POST /api/records/batch/ with 1000 records per request, against the raw insert rate of the same rows. */
export async function batchScenario(ctx: BenchContext, target: BenchTarget): Promise<ResultRow[]> {
  const { seconds } = ctx.opts;
  const body = JSON.stringify({ records: Array.from({ length: BATCH }, (_, i) => chatRecord(i)) });
  ctx.log(`batch: ${BATCH} records (${(body.length / 1e6).toFixed(2)} MB) per request, ${seconds} s`);
  const floor = await target.storageFloor(seconds);
  const rows: ResultRow[] = [{ scenario: 'batch', case: floor.label, perSecond: floor.perSecond }];
  // The target's floor is the driver with its defaults, nothing else in the loop. The store also moves the WAL's
  // checkpoints to a thread of their own; this floor does the same, to show how much of the ratio that is.
  const asStored = await target.storageFloorAsStored(seconds);
  if (asStored)
    rows.push({
      scenario: 'batch',
      case: asStored.label,
      perSecond: asStored.perSecond,
      note: `${(asStored.perSecond / floor.perSecond).toFixed(2)}× storage floor`,
    });
  // Each case on a fresh store, as the floor is measured (the insert rate falls as the tables grow; otlp.ts).
  for (const connections of [1, 4]) {
    const loc = await target.fresh(`batch-${connections}`);
    const server = await startTally(loc.dataDir, loc.databaseUrl);
    try {
      await runLoad({ url: `${server.url}/api/records/batch/`, method: 'POST', body, key: BENCH_KEY, connections, seconds: 1 });
      server.resetPeak();
      const r = await runLoad({ url: `${server.url}/api/records/batch/`, method: 'POST', body, key: BENCH_KEY, connections, seconds });
      const perSecond = r.perSecond * BATCH;
      const failures = r.errors + r.non2xx > 0 ? `; ${r.errors} errors, ${r.non2xx} non-2xx` : '';
      rows.push({
        scenario: 'batch',
        case: `ingest-batch, ${connections} connection(s) (records/s; latency per 1000-record request)`,
        perSecond,
        p50: r.p50,
        p99: r.p99,
        peakRssMb: server.peakRssMb(),
        note: `${(perSecond / floor.perSecond).toFixed(2)}× storage floor${asStored ? `, ${(perSecond / asStored.perSecond).toFixed(2)}× with the checkpointer` : ''}${failures}`,
      });
    } finally {
      await server.stop();
    }
  }
  return rows;
}
