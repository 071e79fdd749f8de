/**
 * CPU per request, by thread: `tsx bench/cpu.ts [durable|async|batch|otlp|floor|fastify] [seconds] [connections]` (TALLY_LOG_LEVEL
 * passes through; BENCH_CPU_PROF=<dir> writes the server's V8 CPU profile there, --cpu-prof).
 * Runs the same create load as the ingest scenario against one server and reads each of the server's threads'
 * CPU time (utime + stime from /proc/<pid>/task/<tid>/stat) before and after, and the load generator's own
 * (process.cpuUsage), divided by the requests served. Not part of `npm run bench`: it explains the ratio.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from './load.ts';
import { rollingRequest } from './otlp-body.ts';
import { BENCH_KEY, startProcess, startTally } from './processes.ts';
import { chatRecord } from './record-body.ts';

const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

function threadTimes(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
      const key = tid === String(pid) ? 'main (event loop)' : `${name} ${tid}`;
      out.set(key, (out.get(key) ?? 0) + ticks * TICK_US);
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

const mode = process.argv[2] ?? 'durable';
const seconds = Number(process.argv[3] ?? 6);
const connections = Number(process.argv[4] ?? 50);
const batch = mode === 'batch';
const otlp = mode === 'otlp' ? rollingRequest(512) : null; // 512-span protobuf requests, new spans each time
const body = batch
  ? JSON.stringify({ records: Array.from({ length: 1000 }, (_, i) => chatRecord(i)) })
  : JSON.stringify(chatRecord(1, { field_21: { option_a: mode !== 'async' } }));
const perRequest = batch ? 1000 : otlp ? 512 : 1; // batch and otlp: the figures are per record
const env: Record<string, string> = {};
if (process.env.TALLY_LOG_LEVEL) env.TALLY_LOG_LEVEL = process.env.TALLY_LOG_LEVEL;
const nodeArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-cpu-'));
const server =
  mode === 'floor'
    ? await startProcess('bench/floor-server.ts', {})
    : mode === 'fastify'
      ? await startProcess('bench/fastify-floor-server.ts', {})
      : await startTally(dir, null, env, undefined, nodeArgs);
try {
  const url = server.url + (batch ? '/api/records/batch/' : otlp ? '/v1/traces' : '/api/records/create/');
  const spec = otlp
    ? { url, method: 'POST' as const, nextBody: otlp.next, contentType: 'application/x-protobuf', key: BENCH_KEY, connections }
    : { url, method: 'POST' as const, body, key: BENCH_KEY, connections };
  await runLoad({ ...spec, seconds: 1 });
  const before = threadTimes(server.pid);
  const cpu0 = process.cpuUsage();
  const r = await runLoad({ ...spec, seconds });
  const cpu1 = process.cpuUsage(cpu0);
  const after = threadTimes(server.pid);
  const rows: [string, number][] = [];
  let total = 0;
  for (const [name, t] of after) {
    const d = t - (before.get(name) ?? 0);
    total += d;
    if (d > 0) rows.push([name, d]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  console.log(
    `${mode}: ${(r.perSecond * perRequest).toFixed(0)} records/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.requests} requests, errors ${r.errors + r.non2xx}`,
  );
  for (const [name, d] of rows)
    console.log(
      `  ${name.padEnd(18)} ${(d / (r.requests * perRequest)).toFixed(1).padStart(7)} µs/record  ${((d / (seconds * 1e6)) * 100).toFixed(0).padStart(4)}% of a core`,
    );
  console.log(`  ${'server total'.padEnd(18)} ${(total / (r.requests * perRequest)).toFixed(1).padStart(7)} µs/record`);
  console.log(
    `  ${'load generator'.padEnd(18)} ${((cpu1.user + cpu1.system) / (r.requests * perRequest)).toFixed(1).padStart(7)} µs/record`,
  );
} finally {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
