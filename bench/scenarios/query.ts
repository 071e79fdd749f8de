import type { BenchContext } from '../context.ts';
import { BENCH_KEY, startTally } from '../processes.ts';
import { benchQueries, withAndWithoutCount } from '../queries.ts';
import type { ResultRow } from '../report.ts';
import { sequentialLoad } from '../sequential.ts';
import type { BenchTarget } from '../target.ts';

/** Each query (each list with and without its count), one request at a time, on a seeded table; p50/p99 per query against the targets. */
export async function queryScenario(ctx: BenchContext, target: BenchTarget): Promise<ResultRow[]> {
  const n = ctx.opts.queryRecords;
  const { info, ...loc } = await target.seeded(n, 'query');
  ctx.log(`query: ${n} records (${info.bigOrgRecords} in the big org), ${ctx.opts.queryRequests} requests per query`);
  const server = await startTally(loc.dataDir, loc.databaseUrl);
  const rows: ResultRow[] = [];
  try {
    // Warm the server's and the client's code (JIT) first, on records no query measures. Optimised code arrives over
    // thousands of requests, not hundreds: with the 300 get-by-ids and 2,000 /healthz this warm-up used to be, the
    // first 2,000 get-by-ids measured p99 3.6 ms and /healthz 3.0 ms; the next rounds 2.6/1.6, then 0.9-1.3/0.5-0.7
    // (2026-11-29). A server in use has run its request path far more often than that. The measured records stay
    // cold in SQLite's page cache: the warm-up reads 100 records from page 500 of the org's list.
    const warm = (await (
      await fetch(`${server.url}/api/records/list/?param_b=500&param_c=100&count=false`, {
        headers: { authorization: `Bearer ${BENCH_KEY}` },
      })
    ).json()) as { results: { id: string }[] };
    const warmIds = warm.results.map((r) => r.id);
    if (warmIds.length === 0) throw new Error('no records to warm the server with');
    for (let round = 0; round < 4; round++) {
      await sequentialLoad(server.url, (i) => `/api/records/${warmIds[i % warmIds.length]}/`, 2000, 60);
      await sequentialLoad(server.url, () => '/healthz', 1000, 60);
    }
    // The same client and (warm) server answering without auth or store: the latency and tail of the machine itself,
    // before the queries and again after them (when the server also collects the garbage of 340 KB pages and summaries).
    const floorBefore = await sequentialLoad(server.url, () => '/healthz', ctx.opts.queryRequests * 10, 60);
    for (const q of withAndWithoutCount(benchQueries(info))) {
      // A p99 needs more than 200 samples to mean something when one request takes a millisecond: get by id (and
      // its floor, below) take ten times as many, one per sampled record, each cold in SQLite's page cache.
      const r = await sequentialLoad(server.url, q.path, q.name === 'get by id' ? ctx.opts.queryRequests * 10 : ctx.opts.queryRequests, 60);
      const { p50, p99 } = q.target ?? { p50: 20, p99: 100 };
      const met = q.name === 'get by id' ? r.p99 <= 2 : r.p50 <= p50 && r.p99 <= p99;
      // A counted list's first request counts in full; later ones bring the remembered count up to date (SQLite).
      const count = r.count === undefined ? '' : `count ${r.count}${r.count === null ? '' : `, first request ${r.first.toFixed(1)} ms`}; `;
      rows.push({
        scenario: `query ${n.toLocaleString('en-US')}`,
        case: q.name,
        p50: r.p50,
        p99: r.p99,
        note: `${count}${r.requests} req; ${met ? 'meets target' : 'MISSES target'}`,
      });
      ctx.log(`  ${q.name}: p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
    }
    const floorAfter = await sequentialLoad(server.url, () => '/healthz', ctx.opts.queryRequests * 10, 60);
    for (const [when, floor] of [
      ['before the queries', floorBefore],
      ['after the queries', floorAfter],
    ] as const) {
      rows.push({
        scenario: `query ${n.toLocaleString('en-US')}`,
        case: `floor: GET /healthz (no auth, no store), ${when}`,
        p50: floor.p50,
        p99: floor.p99,
        note: `${floor.requests} req`,
      });
    }
    rows.push({ scenario: `query ${n.toLocaleString('en-US')}`, case: 'server peak RSS over all queries', peakRssMb: server.peakRssMb() });
  } finally {
    await server.stop();
  }
  return rows;
}
