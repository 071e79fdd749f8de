import type { BenchContext } from '../context.ts';
import { runLoad } from '../load.ts';
import { BENCH_KEY, startProcess, startTally } from '../processes.ts';
import { chatRecord } from '../record-body.ts';
import type { ResultRow } from '../report.ts';
import type { BenchTarget } from '../target.ts';

const CREATE = '/api/records/create/';

/** Group-commit sizes under the same load: the server logs each commit's size at debug level. */
async function groupCommitSizes(ctx: BenchContext, target: BenchTarget, body: string): Promise<string> {
  const sizes: number[] = [];
  let rest = '';
  const loc = await target.fresh('group-commit');
  const server = await startTally(loc.dataDir, loc.databaseUrl, { TALLY_LOG_LEVEL: 'debug' }, (text) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.includes('"msg":"committed"')) sizes.push(Number(/"batch":(\d+)/.exec(line)?.[1] ?? 0));
  });
  try {
    await runLoad({
      url: server.url + CREATE,
      method: 'POST',
      body,
      key: BENCH_KEY,
      connections: ctx.opts.connections,
      seconds: Math.min(3, ctx.opts.seconds),
    });
  } finally {
    await server.stop();
  }
  sizes.sort((a, b) => a - b);
  const mean = sizes.reduce((a, b) => a + b, 0) / Math.max(sizes.length, 1);
  return `${sizes.length} commits, records per commit mean ${mean.toFixed(1)}, p50 ${sizes[Math.floor(sizes.length / 2)] ?? 0}, max ${sizes.at(-1) ?? 0}`;
}

/** ingest-single (durable), ingest-async, and the bare-HTTP floor they are compared with, in one run. */
export async function ingestScenario(ctx: BenchContext, target: BenchTarget): Promise<{ rows: ResultRow[]; groupCommit: string }> {
  const { connections, seconds } = ctx.opts;
  const durable = JSON.stringify(chatRecord(1, { field_21: { option_a: true } }));
  const accepted = JSON.stringify(chatRecord(1, { field_21: { option_a: false } }));
  ctx.log(`ingest: ${durable.length}-byte records, ${connections} connections, ${seconds} s each`);

  const measureFloor = async (entry: string) => {
    const floor = await startProcess(entry, {});
    try {
      await runLoad({ url: floor.url + CREATE, method: 'POST', body: durable, connections, seconds: 1 });
      return {
        ...(await runLoad({ url: floor.url + CREATE, method: 'POST', body: durable, connections, seconds })),
        peakRssMb: floor.peakRssMb(),
      };
    } finally {
      await floor.stop();
    }
  };
  const floorResult = await measureFloor('bench/floor-server.ts');
  const fastifyResult = await measureFloor('bench/fastify-floor-server.ts');

  const rows: ResultRow[] = [
    { scenario: 'ingest', case: 'HTTP floor (bare node:http, JSON.parse only)', ...pick(floorResult), peakRssMb: floorResult.peakRssMb },
    {
      scenario: 'ingest',
      case: 'Fastify floor (bare Fastify route, same reply; for reference)',
      ...pick(fastifyResult),
      peakRssMb: fastifyResult.peakRssMb,
      note: `${(fastifyResult.perSecond / floorResult.perSecond).toFixed(2)}× floor`,
    },
  ];
  for (const [name, body] of [
    ['ingest-single (option_a true, 201 after fsync)', durable],
    ['ingest-async (option_a false, 202)', accepted],
  ] as const) {
    const loc = await target.fresh('ingest');
    const server = await startTally(loc.dataDir, loc.databaseUrl);
    try {
      await runLoad({ url: server.url + CREATE, method: 'POST', body, key: BENCH_KEY, connections, seconds: 1 }); // warm-up
      server.resetPeak();
      const r = await runLoad({ url: server.url + CREATE, method: 'POST', body, key: BENCH_KEY, connections, seconds });
      const ratio = r.perSecond / floorResult.perSecond;
      const vsFastify = r.perSecond / fastifyResult.perSecond;
      const failures = r.errors + r.non2xx > 0 ? `; ${r.errors} errors, ${r.non2xx} non-2xx` : '';
      rows.push({
        scenario: 'ingest',
        case: name,
        ...pick(r),
        peakRssMb: server.peakRssMb(),
        note: `${ratio.toFixed(2)}× floor (${vsFastify.toFixed(2)}× the Fastify floor)${failures}`,
      });
    } finally {
      await server.stop();
    }
  }
  const groupCommit = await groupCommitSizes(ctx, target, durable);
  rows[2].note += `; ${groupCommit}`;
  return { rows, groupCommit };
}

const pick = (r: { perSecond: number; p50: number; p99: number }) => ({ perSecond: r.perSecond, p50: r.p50, p99: r.p99 });
