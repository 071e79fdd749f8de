import type { BenchContext } from '../context.ts';
import { runLoad, type LoadResult } from '../load.ts';
import { BENCH_KEY, BENCH_ORG, startTally, type ServedProcess } from '../processes.ts';
import { chatRecord } from '../record-body.ts';
import type { ResultRow } from '../report.ts';
import type { BenchTarget } from '../target.ts';

const auth = { authorization: `Bearer ${BENCH_KEY}` };

/** The big org's record count, of a filter when given (the list's count; unfiltered, from the per-org counter). */
async function orgCount(server: ServedProcess, filters?: object): Promise<number> {
  const query = filters ? `&filters=${encodeURIComponent(JSON.stringify(filters))}` : '';
  const res = await fetch(`${server.url}/api/records/list/?param_c=1${query}`, { headers: auth });
  if (!res.ok) throw new Error(`list answered ${res.status}`);
  return ((await res.json()) as { count: number }).count;
}

/** Erases one customer of the big org (one of 1,000) and checks the counts afterwards against those before. */
async function eraseOne(server: ServedProcess, size: string): Promise<ResultRow> {
  const filters = { field_10: { operator: '', value: ['customer_7'] } };
  const [total, customer] = [await orgCount(server), await orgCount(server, filters)];
  const started = performance.now();
  const res = await fetch(`${server.url}/api/records/erase/`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ filters }),
  });
  const ms = performance.now() - started;
  if (!res.ok) throw new Error(`erase answered ${res.status}`);
  const { count } = (await res.json()) as { count: number };
  const [totalAfter, customerAfter] = [await orgCount(server), await orgCount(server, filters)];
  const exact = count === customer && customerAfter === 0 && totalAfter === total - count;
  return {
    scenario: `erase ${size}`,
    case: 'one customer of 1,000',
    p50: ms,
    note: `${count.toLocaleString('en-US')} records erased in ${Math.round(ms)} ms; counts afterwards ${exact ? 'exact' : 'WRONG'} (org ${total.toLocaleString('en-US')} → ${totalAfter.toLocaleString('en-US')}, customer ${customer} → ${customerAfter})`,
  };
}

/**
 * Durable creates at full speed while the retention run deletes the seeded table (every seeded record is older than
 * the 30 days kept): the creates' p99 during the deletion against the same load on the same table without it. The
 * target (issue 18): no worse than 2×. Before it, the erasure of one customer among the seeded records: its time and
 * whether every count is exact afterwards.
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
    rows.push(await eraseOne(plain, size));
    ctx.log(`  ${rows[rows.length - 1].note}`);
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
    const expired = before - (left - during.requests); // what the run deleted: all but the creates
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
        case: 'ingest-single while the seed expires',
        perSecond: during.perSecond,
        p50: during.p50,
        p99: during.p99,
        peakRssMb: server.peakRssMb(),
        note: `p99 ${ratio.toFixed(2)}× without (target ≤ 2×: ${ratio <= 2 ? 'met' : 'missed'}); the big org's ${expired.toLocaleString('en-US')} seeded records deleted in ${seconds.toFixed(1)} s (${Math.round(expired / seconds).toLocaleString('en-US')}/s; every org's seeded records expire); ${left.toLocaleString('en-US')} left (the creates)`,
      },
    );
    ctx.log(`  retention: p99 ${without.p99} → ${during.p99} ms (${ratio.toFixed(2)}×), deletion ${seconds.toFixed(1)} s`);
  } finally {
    await server.stop();
  }
  return rows;
}
