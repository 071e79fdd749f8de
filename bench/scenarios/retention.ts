import type { BenchContext } from '../context.ts';
import { runLoad, type LoadResult } from '../load.ts';
import { BENCH_KEY, BENCH_ORG, startTally, type ServedProcess } from '../processes.ts';
import { chatRecord } from '../record-body.ts';
import type { ResultRow } from '../report.ts';
import type { BenchTarget } from '../target.ts';

/** The big org's record count (the list's count, from the per-org counter: cheap). */
async function orgCount(server: ServedProcess): Promise<number> {
  const res = await fetch(`${server.url}/api/records/list/?param_c=1`, { headers: { authorization: `Bearer ${BENCH_KEY}` } });
  if (!res.ok) throw new Error(`list answered ${res.status}`);
  return ((await res.json()) as { count: number }).count;
}

/**
 * Durable creates at full speed while the retention run deletes the seeded table (every seeded record is older than
 * the 30 days kept): the creates' p99 during the deletion against the same load on the same table without it. The
 * target (issue 18): no worse than 2×.
 */
export async function retentionScenario(ctx: BenchContext, target: BenchTarget): Promise<ResultRow[]> {
  if (!target.seededWritable) {
    ctx.log('retention: skipped on PostgreSQL (seeded schemas are shared and read-only)');
    return [{ scenario: 'retention', case: 'not run on PostgreSQL (seeded schemas are shared and read-only)' }];
  }
  const n = ctx.opts.queryRecords;
  const loc = await target.seeded(n, `retention-${n}`);
  const body = JSON.stringify(chatRecord(1));
  const load = (server: ServedProcess, seconds: number, until?: Promise<unknown>) =>
    runLoad({
      url: `${server.url}/api/records/create/`,
      method: 'POST',
      body,
      key: BENCH_KEY,
      connections: ctx.opts.connections,
      seconds,
      until,
    });
  const size = n.toLocaleString('en-US');
  const rows: ResultRow[] = [];

  // Without: the same table, no retention.
  let without: LoadResult;
  const plain = await startTally(loc.dataDir, loc.databaseUrl);
  try {
    await load(plain, 1);
    without = await load(plain, ctx.opts.seconds);
  } finally {
    await plain.stop();
  }

  // During: the server's first retention run starts 10 s after it does (retention.ts); the load starts once the
  // big org's count has begun to fall and stops when the run has logged that org's deletion.
  let logged = '';
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  const server = await startTally(loc.dataDir, loc.databaseUrl, { TALLY_RETENTION_DAYS: '30' }, (text) => {
    logged = (logged + text).slice(-100_000);
    if (logged.includes('retention: expired records deleted') && logged.includes(`"orgId":"${BENCH_ORG}"`)) finished();
  });
  try {
    const before = await orgCount(server);
    for (let i = 0; i < 600 && (await orgCount(server)) >= before; i++) await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const limit = setTimeout(finished, 1_800_000); // 30 min at most
    const during = await load(server, 1800, done);
    clearTimeout(limit);
    await done;
    const seconds = (performance.now() - started) / 1000;
    const ratio = during.p99 / without.p99;
    const left = await orgCount(server);
    rows.push(
      {
        scenario: `retention ${size}`,
        case: 'ingest-single, no deletion',
        perSecond: without.perSecond,
        p50: without.p50,
        p99: without.p99,
      },
      {
        scenario: `retention ${size}`,
        case: 'ingest-single while 1M expire',
        perSecond: during.perSecond,
        p50: during.p50,
        p99: during.p99,
        peakRssMb: server.peakRssMb(),
        note: `p99 ${ratio.toFixed(2)}× without (target ≤ 2×: ${ratio <= 2 ? 'met' : 'missed'}); the big org's ${before.toLocaleString('en-US')} records deleted in ${seconds.toFixed(1)} s (${Math.round(before / seconds).toLocaleString('en-US')}/s, all orgs' records expire); ${left.toLocaleString('en-US')} left (the creates)`,
      },
    );
    ctx.log(`  retention: p99 ${without.p99} → ${during.p99} ms (${ratio.toFixed(2)}×), deletion ${seconds.toFixed(1)} s`);
  } finally {
    await server.stop();
  }
  return rows;
}
